"""Reads that apply the scoping rule: a role on an organisation reaches its subtree.

Every view, export, import and task asks these functions what a user may see or
change; nothing else filters by grants. An object outside the user's scope is
reported as missing (404), never as forbidden, so its existence does not leak.
"""

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from orgs.models import Member, Organization, Role, RoleGrant

ALL_ROLES = frozenset(Role.values)
# Who may do what inside their subtree (the admin, a superuser, may do everything).
READ = ALL_ROLES
EDIT_ORGANIZATIONS = frozenset({Role.CAMPAIGN_OFFICE, Role.COMMITTEE_STAFF})
EDIT_MEMBERS = frozenset({Role.CAMPAIGN_OFFICE, Role.COMMITTEE_STAFF, Role.BRANCH_SECRETARY})
IMPORT = EDIT_ORGANIZATIONS
# Who accepts or approves what a lower unit files (plans, pledges): used on the
# unit's parent, so a unit never approves its own filing.
REVIEW = frozenset({Role.CAMPAIGN_OFFICE, Role.COMMITTEE_STAFF})
EXPORT = EDIT_MEMBERS

User = AuthUser | AnonymousUser


def grant_ranges(user: User, roles: Iterable[str]) -> list[tuple[int, int, int]] | None:
    """(tree_id, lft, rght) of each granted organisation; None means everything."""
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return None
    grants = RoleGrant.objects.filter(user_id=user.pk, role__in=list(roles)).values_list(
        "organization__tree_id", "organization__lft", "organization__rght"
    )
    return list(grants)


def scope_q(user: User, roles: Iterable[str] = READ, prefix: str = "") -> Q | None:
    """A Q over Organization fields (under ``prefix``) matching the user's subtrees.

    None means unrestricted; an empty match is ``Q(pk__in=[])``.
    """
    ranges = grant_ranges(user, roles)
    if ranges is None:
        return None
    q = Q(pk__in=[])
    for tree_id, lft, rght in ranges:
        q |= Q(
            **{
                f"{prefix}tree_id": tree_id,
                f"{prefix}lft__gte": lft,
                f"{prefix}rght__lte": rght,
            }
        )
    return q


def organizations_for(user: User, roles: Iterable[str] = READ) -> QuerySet[Organization]:
    q = scope_q(user, roles)
    qs = Organization.objects.select_related("sector", "parent")
    return qs if q is None else qs.filter(q)


def members_for(user: User, roles: Iterable[str] = READ) -> QuerySet[Member]:
    q = scope_q(user, roles, prefix="organization__")
    qs = Member.objects.select_related("organization", "organization__sector")
    return qs if q is None else qs.filter(q)


def can(user: User, roles: Iterable[str], organization: Organization) -> bool:
    """Whether one of ``roles`` reaches ``organization``."""
    ranges = grant_ranges(user, roles)
    if ranges is None:
        return True
    return any(
        t == organization.tree_id and lft <= organization.lft and organization.rght <= rght
        for t, lft, rght in ranges
    )


def can_anywhere(user: User, roles: Iterable[str]) -> bool:
    """Whether the user holds any of ``roles`` on some organisation (or is admin)."""
    ranges = grant_ranges(user, roles)
    return ranges is None or bool(ranges)


def organization_get(user: User, pk: int | str) -> Organization:
    """The organisation if the user can see it, else 404."""
    try:
        return organizations_for(user).get(pk=pk)
    except (Organization.DoesNotExist, ValueError):
        raise Http404 from None


def member_get(user: User, pk: int | str) -> Member:
    try:
        return members_for(user).get(pk=pk)
    except (Member.DoesNotExist, ValueError):
        raise Http404 from None


def top_organizations_for(user: User) -> QuerySet[Organization]:
    """The highest organisations the user reaches: the roots of their visible forest."""
    q = scope_q(user)
    if q is None:
        return Organization.objects.filter(parent__isnull=True)
    visible = Organization.objects.filter(q)
    # A granted organisation is a top if no other grant covers its parent.
    return visible.exclude(parent__in=visible)


def with_subtree_member_counts(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    """Annotate ``subtree_members``: members anywhere in each node's subtree.

    One correlated count over the nested-set range, so the number of queries
    does not grow with the number of nodes.
    """
    members = (
        Member.objects.filter(
            organization__tree_id=OuterRef("tree_id"),
            organization__lft__gte=OuterRef("lft"),
            organization__lft__lte=OuterRef("rght"),
        )
        .order_by()
        .values("organization__tree_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(subtree_members=Coalesce(Subquery(members), 0))


def organization_choices_for(user: User, roles: Iterable[str]) -> QuerySet[Organization]:
    """Organisations usable as a target (a parent, a member's new branch)."""
    return organizations_for(user, roles).filter(is_active=True).order_by("tree_id", "lft")


def visible_ancestors(user: User, organization: Organization) -> QuerySet[Organization]:
    """The organisation's ancestors the user can see, top first (its breadcrumb)."""
    return (
        organizations_for(user)
        .filter(tree_id=organization.tree_id, lft__lt=organization.lft, rght__gt=organization.rght)
        .order_by("lft")
    )


def acts_from_above(user: User, organization: Organization) -> bool:
    """Whether the user acts for the level above ``organization``: the parent's
    REVIEW role (a grant reaches down, so a right on the parent is a right from
    above), or the admin for a root, which has no parent. Never the unit itself."""
    parent = organization.parent
    if parent is None:
        return bool(getattr(user, "is_superuser", False))
    return can(user, REVIEW, parent)


def own_member(user: User) -> Member | None:
    """The member record of a member with a login (None for anyone else)."""
    if not user.is_authenticated:
        return None
    return Member.objects.filter(user_id=user.pk).select_related("organization").first()
