"""Reads that apply the scoping rule: a role on an organisation reaches its subtree.

Every view, export, import and task asks these functions what a user may see or
change; nothing else filters by grants. An object outside the user's scope is
reported as missing (404), never as forbidden, so its existence does not leak.
"""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db.models import BooleanField, F, Func, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from orgs.forms import MemberFilterForm
from orgs.models import Member, Organization, OrganizationTally, Role, RoleGrant

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
# A 党员's grant places them in the tree (their branch's page, its name and
# counts) but reaches nobody else's records: of the roll, the plans and the
# pledges they read their own only, and the rest on the public board.
READ_RECORDS = READ - {Role.MEMBER}
# Who sees a member's mobile and birth date (besides the member themself).
PERSONAL_DATA = EDIT_MEMBERS

User = AuthUser | AnonymousUser


# Within one request the user's grants are read once (a page asks for them five
# times or more: the lookup, each right it shows, the menu). Only inside
# ``grants_read_once()`` (orgs.middleware, around each request): jobs, commands
# and direct calls read them every time, and the writes that renumber the tree
# or change grants call ``forget_grants()``.
_grants_seen: ContextVar[dict[Any, list[tuple[str, int, int, int, int]]] | None] = ContextVar(
    "orgs_grants_seen", default=None
)


@contextmanager
def grants_read_once() -> Iterator[None]:
    token = _grants_seen.set({})
    try:
        yield
    finally:
        _grants_seen.reset(token)


def forget_grants() -> None:
    """Read grants afresh from now on in this request (after a tree or grant write)."""
    seen = _grants_seen.get()
    if seen is not None:
        seen.clear()


def _grants(user: User) -> list[tuple[str, int, int, int, int]]:
    """(role, tree_id, lft, rght, organization id) of each of the user's grants."""
    if user.pk is None:  # anonymous: no grants
        return []
    seen = _grants_seen.get()
    if seen is not None and user.pk in seen:
        return seen[user.pk]
    grants = list(
        RoleGrant.objects.filter(user_id=user.pk).values_list(
            "role",
            "organization__tree_id",
            "organization__lft",
            "organization__rght",
            "organization_id",
        )
    )
    if seen is not None:
        seen[user.pk] = grants
    return grants


def grant_ranges(user: User, roles: Iterable[str]) -> list[tuple[int, int, int]] | None:
    """(tree_id, lft, rght) of each granted organisation; None means everything."""
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return None
    wanted = set(roles)
    return [(tree, lft, rght) for role, tree, lft, rght, _ in _grants(user) if role in wanted]


# ---- the tree: subtrees, containment, ancestors, children -------------------
#
# A node's subtree is the rows of its tree whose ``lft`` lies in its
# ``lft``..``rght`` (django-mptt's nested set). Everything else asks these
# functions rather than spelling the range out; ``prefix`` reaches the
# organisation through a relation (``"organization__"`` from a member or plan).


def span_q(tree_id: Any, lfts: range, prefix: str = "") -> Q:
    """Rows whose organisation is in tree ``tree_id`` with ``lft`` in ``lfts``: a
    subtree, or a run of consecutive organisations of one (a summary's part)."""
    return Q(
        **{
            f"{prefix}tree_id": tree_id,
            f"{prefix}lft__gte": lfts.start,
            f"{prefix}lft__lt": lfts.stop,
        }
    )


def subtree_lfts(node: Organization, *, include_self: bool = True) -> range:
    """The ``lft`` values of the node's subtree (its descendants only, without self)."""
    return range(node.lft if include_self else node.lft + 1, node.rght)


def subtree_q(node: Organization, prefix: str = "", *, include_self: bool = True) -> Q:
    """Rows whose organisation (under ``prefix``) lies in ``node``'s subtree."""
    return span_q(node.tree_id, subtree_lfts(node, include_self=include_self), prefix)


def subtrees_q(ranges: Iterable[tuple[int, int, int]], prefix: str = "") -> Q:
    """Rows in any of several subtrees, given as (tree_id, lft, rght); none is ``pk__in=[]``."""
    q = Q(pk__in=[])
    for tree_id, lft, rght in ranges:
        q |= span_q(tree_id, range(lft, rght), prefix)
    return q


def in_subtree(
    qs: QuerySet, node: Organization, prefix: str = "", *, include_self: bool = True
) -> QuerySet:
    """``qs`` narrowed to rows whose organisation lies in ``node``'s subtree."""
    return qs.filter(subtree_q(node, prefix, include_self=include_self))


def outer_subtree_q(prefix: str = "") -> Q:
    """Rows in the subtree of the outer query's organisation (for correlated
    subqueries: one count per node in one query, whatever the number of nodes)."""
    return Q(
        **{
            f"{prefix}tree_id": OuterRef("tree_id"),
            f"{prefix}lft__gte": OuterRef("lft"),
            f"{prefix}lft__lte": OuterRef("rght"),
        }
    )


def tree_q(node: Organization, prefix: str = "") -> Q:
    """Rows in the whole tree ``node`` belongs to: what a campaign on its root covers."""
    return Q(**{f"{prefix}tree_id": node.tree_id})


def contains(ancestor: Organization, node: Organization, *, include_self: bool = True) -> bool:
    """Whether ``node`` lies in ``ancestor``'s subtree (compared in memory: both
    must have been read after the last move of either)."""
    return node.tree_id == ancestor.tree_id and node.lft in subtree_lfts(
        ancestor, include_self=include_self
    )


def ancestors(node: Organization, *, include_self: bool = False) -> QuerySet[Organization]:
    """The node's ancestors, parent first and the root last: the order a
    nomination climbs (层层推荐), each level endorsing it to the next."""
    return Organization.objects.filter(ancestors_q(node, include_self=include_self)).order_by(
        "-lft"
    )


def ancestors_q(node: Organization, prefix: str = "", *, include_self: bool = False) -> Q:
    """Rows whose organisation (under ``prefix``) is an ancestor of ``node``."""
    lookup = "e" if include_self else ""
    return Q(
        **{
            f"{prefix}tree_id": node.tree_id,
            f"{prefix}lft__lt{lookup}": node.lft,
            f"{prefix}rght__gt{lookup}": node.rght,
        }
    )


def covering_q(ranges: Iterable[tuple[int, int, int]], prefix: str = "") -> Q:
    """Rows whose organisation (under ``prefix``) is at or above one of ``ranges``
    (``grant_ranges``): the ancestors-or-self of the granted organisations, read
    from the grants' own numbering (a bulletin issued above a user's unit)."""
    q = Q(pk__in=[])
    for tree, lft, rght in ranges:
        q |= Q(**{f"{prefix}tree_id": tree, f"{prefix}lft__lte": lft, f"{prefix}rght__gte": rght})
    return q


def children(node: Organization) -> QuerySet[Organization]:
    """The node's direct children in tree order, inactive ones included (名额 are
    handed down one level at a time; callers drop inactive units if they must)."""
    return Organization.objects.filter(parent=node).order_by("lft")


# ---- a user's scope ---------------------------------------------------------


def scope_q(user: User, roles: Iterable[str] = READ, prefix: str = "") -> Q | None:
    """A Q over Organization fields (under ``prefix``) matching the user's subtrees.

    None means unrestricted; an empty match is ``Q(pk__in=[])``.
    """
    ranges = grant_ranges(user, roles)
    if ranges is None:
        return None
    return subtrees_q(ranges, prefix)


def organizations_for(user: User, roles: Iterable[str] = READ) -> QuerySet[Organization]:
    q = scope_q(user, roles)
    qs = Organization.objects.select_related("sector", "parent")
    return qs if q is None else qs.filter(q)


def members_for(user: User, roles: Iterable[str] = READ) -> QuerySet[Member]:
    """Members under the user's grants of ``roles``; a 党员's own grant reaches
    their own record only (READ_RECORDS)."""
    roles = frozenset(roles)
    q = scope_q(user, roles - {Role.MEMBER}, prefix="organization__")
    qs = Member.objects.select_related("organization", "organization__sector")
    if q is None:
        return qs
    if Role.MEMBER in roles and user.is_authenticated:
        q |= Q(user_id=user.pk)
    return qs.filter(q)


def sees_personal_data(user: User, member: Member) -> bool:
    """Mobile and birth date: for the roles that keep the roll, and the member."""
    own = member.user_id is not None and member.user_id == user.pk
    return own or can(user, PERSONAL_DATA, member.organization)


def can(user: User, roles: Iterable[str], organization: Organization) -> bool:
    """Whether one of ``roles`` reaches ``organization``."""
    ranges = grant_ranges(user, roles)
    if ranges is None:
        return True
    return any(
        t == organization.tree_id and organization.lft in range(lft, rght)
        for t, lft, rght in ranges
    )


def can_anywhere(user: User, roles: Iterable[str]) -> bool:
    """Whether the user holds any of ``roles`` on some organisation (or is admin)."""
    ranges = grant_ranges(user, roles)
    return ranges is None or bool(ranges)


def organization_get(user: User, pk: int | str, *, counted: bool = False) -> Organization:
    """The organisation if the user can see it, else 404; ``counted`` adds its
    stored member figures (``with_subtree_member_counts``) in the same query."""
    found = organizations_for(user)
    if counted:
        found = with_subtree_member_counts(found)
    try:
        return found.get(pk=pk)
    except (Organization.DoesNotExist, ValueError):
        raise Http404 from None


def member_get(user: User, pk: int | str) -> Member:
    try:
        return members_for(user).get(pk=pk)
    except (Member.DoesNotExist, ValueError):
        raise Http404 from None


def top_organizations_for(user: User, roles: Iterable[str] = READ) -> QuerySet[Organization]:
    """The highest organisations the user reaches (with one of ``roles``): the roots
    of their visible forest."""
    roles = frozenset(roles)
    if grant_ranges(user, roles) is None:
        return Organization.objects.filter(parent__isnull=True)
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    granted = {
        pk: (tree, lft, rght) for role, tree, lft, rght, pk in _grants(user) if role in roles
    }
    # A granted organisation is a top unless another grant's subtree holds it
    # (compared on the grants' ranges: nothing is read over the subtree).
    tops = [
        pk
        for pk, (tree, lft, rght) in granted.items()
        if not any(
            other != pk and t == tree and a <= lft and rght <= b and (a, b) != (lft, rght)
            for other, (t, a, b) in granted.items()
        )
    ]
    return Organization.objects.filter(pk__in=tops)


def tally(key: str, figure: str = "subtree") -> Coalesce:
    """The outer query's organisation's stored count (``orgs.tallies``):
    ``figure`` is ``"subtree"`` (itself and everything below) or ``"own"``. One
    index lookup per row, whatever the size of the subtree; a missing row is 0."""
    stored = OrganizationTally.objects.filter(organization=OuterRef("pk"), key=key).values(figure)
    return Coalesce(Subquery(stored[:1]), 0)


def own_units(user: User, roles: Iterable[str] = EDIT_MEMBERS) -> QuerySet[Organization]:
    """The active organisations the user holds one of ``roles`` on directly (the
    units they answer for: a secretary's branch, a staff member's committee), not
    the subtrees below them; nothing for the admin, who holds no grant."""
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    wanted = set(roles)
    granted = {pk for role, _tree, _lft, _rght, pk in _grants(user) if role in wanted}
    return Organization.objects.filter(pk__in=granted, is_active=True).order_by("tree_id", "lft")


def unit_holders(organization_ids: Iterable[int], roles: Iterable[str] = EDIT_MEMBERS) -> list[int]:
    """The active users holding one of ``roles`` directly on these units (a
    branch's secretary, a committee's staff): who a move on the unit's record
    concerns (``core.notify``)."""
    holders = holders_by_unit(organization_ids, roles)
    return list(dict.fromkeys(pk for users in holders.values() for pk in users))


def holders_by_unit(
    organization_ids: Iterable[int], roles: Iterable[str] = EDIT_MEMBERS
) -> dict[int, list[int]]:
    """``unit_holders`` per unit, in one query (who a unit's deadline is for,
    ``core.reminders``)."""
    found: dict[int, list[int]] = {}
    rows = (
        RoleGrant.objects.filter(
            organization_id__in=list(organization_ids), role__in=set(roles), user__is_active=True
        )
        .order_by("organization_id", "user_id")
        .values_list("organization_id", "user_id")
        .distinct()
    )
    for organization_id, user_id in rows:
        found.setdefault(organization_id, []).append(user_id)
    return found


def with_subtree_member_counts(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    """Annotate ``subtree_members`` (members anywhere in each node's subtree)
    and ``own_members`` (members of the node itself), from the stored tallies."""
    return qs.annotate(subtree_members=tally("members"), own_members=tally("members", "own"))


def organization_choices_for(user: User, roles: Iterable[str]) -> QuerySet[Organization]:
    """Organisations usable as a target (a parent, a member's new branch)."""
    return organizations_for(user, roles).filter(is_active=True).order_by("tree_id", "lft")


def visible_ancestors(user: User, organization: Organization) -> QuerySet[Organization]:
    """The organisation's ancestors the user can see, top first (its breadcrumb)."""
    return organizations_for(user).filter(ancestors_q(organization)).order_by("lft")


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


def sees_all(user: User, organization_ids: Iterable[Any] | None) -> bool:
    """Whether every one of the organisations is still in the user's scope (a
    deleted one is not). None (nothing was recorded) is False: what cannot be
    checked is not handed out."""
    if organization_ids is None:
        return False
    try:
        ids = {int(pk) for pk in organization_ids}
    except (TypeError, ValueError):
        return False
    if not ids:
        return True
    return organizations_for(user).filter(pk__in=ids).count() == len(ids)


def reach_of(user: User, organization: Any = None) -> list[int]:
    """The organisations whose subtrees hold what a file made now for the user
    can contain: the one it was asked for, else the tops of the user's scope.

    A job records this when it makes its file; the download is refused once
    the downloader no longer sees all of them (a grant moved away)."""
    if organization:
        return [int(organization)]
    return sorted(top_organizations_for(user).values_list("pk", flat=True))


def filtered_members(user: User, params: Mapping[str, Any]) -> QuerySet[Member]:
    """The member list's rows under its filters (organisation subtree, name or
    number, category, sector), shared with the export job so a download holds
    exactly what the page showed. Invalid filters or an organisation outside
    the scope give no rows."""
    members = members_for(user)
    form = MemberFilterForm(params)
    if not form.is_valid():
        return members.none()
    data = form.cleaned_data
    if data["organization"]:
        root = organizations_for(user).filter(pk=data["organization"]).first()
        if root is None:
            return members.none()
        members = in_subtree(members, root, "organization__")
    if data["name"]:
        members = members.filter(Q(name__contains=data["name"]) | Q(number=data["name"]))
    if data["category"]:
        members = members.filter(category=data["category"])
    if data["sector"]:
        members = members.filter(organization__sector=data["sector"])
    return members.order_by("organization__tree_id", "organization__lft", "number")


# ---- the member list, page by page -------------------------------------------

MEMBER_PAGE_SIZE = 50


@dataclass
class MemberPage:
    """One page of the member list: its rows and the members to page on from."""

    rows: list[Member]
    after: int | None  # the last row's id, when a next page exists
    before: int | None  # the first row's id, when a previous page exists


def _position_q(member: Member, *, later: bool) -> Q:
    """Rows after (or before) ``member`` in the list's order: the organisations
    in tree order, each one's members by number."""
    tree_id, lft, number = member.organization.tree_id, member.organization.lft, member.number
    op = "gt" if later else "lt"
    # The same bound as one row comparison, which the (tree_id, lft) index can
    # seek to: without it the database walked every organisation (and member)
    # before the cursor, so a deep page cost more than the first (integers
    # from the tree only).
    start = Func(
        F("organization__tree_id"),
        F("organization__lft"),
        template=f"(%(expressions)s) {'>=' if later else '<='} ({int(tree_id)}, {int(lft)})",
        output_field=BooleanField(),
    )
    return Q(start) & (
        Q(**{f"organization__tree_id__{op}": tree_id})
        | Q(organization__tree_id=tree_id, **{f"organization__lft__{op}": lft})
        | Q(organization__tree_id=tree_id, organization__lft=lft, **{f"number__{op}": number})
    )


def member_page(members: QuerySet[Member], *, after: Any = None, before: Any = None) -> MemberPage:
    """A page of ``filtered_members`` rows that starts after the member
    ``after`` (or ends before ``before``): keyset paging, so a page deep in the
    list costs what the first one does (an OFFSET walked and sorted every row
    before it). The organisations are walked in tree order with each one's
    members read from the (organization, number) index. A cursor that is not
    a member of the list gives the first page."""
    size = MEMBER_PAGE_SIZE
    cursor_id = before if before not in (None, "") else after
    backwards = before not in (None, "")
    cursor = None
    if cursor_id not in (None, ""):
        try:
            cursor = members.filter(pk=int(cursor_id)).first()
        except (TypeError, ValueError):
            cursor = None
    if cursor is None:
        rows = list(members[: size + 1])
        return MemberPage(rows[:size], rows[size - 1].pk if len(rows) > size else None, None)
    if backwards:
        older = members.filter(_position_q(cursor, later=False)).reverse()
        rows = list(older[: size + 1])
        more = len(rows) > size
        rows = rows[:size][::-1]
        if not rows:
            return MemberPage([], None, None)
        return MemberPage(rows, rows[-1].pk, rows[0].pk if more else None)
    rows = list(members.filter(_position_q(cursor, later=True))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not rows:
        return MemberPage([], None, None)
    return MemberPage(rows, rows[-1].pk if more else None, rows[0].pk)


def filtered_member_count(user: User, params: Mapping[str, Any]) -> int:
    """How many rows ``filtered_members`` has. Without a name, category or
    sector filter that is a subtree's (or the scope's) stored member figure,
    not a count over the member table. A 党员's grant reaches their own record,
    not the subtree's figure, so their rows are counted."""
    form = MemberFilterForm(params)
    if not form.is_valid():
        return 0
    data = form.cleaned_data
    member_grant = any(role == Role.MEMBER for role, *_ in _grants(user))
    if data["name"] or data["category"] or data["sector"] or member_grant:
        return filtered_members(user, params).count()
    if data["organization"]:
        tops = organizations_for(user).filter(pk=data["organization"])
    else:
        tops = top_organizations_for(user)
    stored = OrganizationTally.objects.filter(
        organization__in=tops.values("pk"), key="members"
    ).aggregate(n=Sum("subtree"))
    return stored["n"] or 0
