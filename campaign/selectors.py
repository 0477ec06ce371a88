"""Reads for campaigns, plans and contact points that apply the scoping rule."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from campaign.models import Campaign, ContactPoint, Plan, PlanAttachment
from orgs import selectors
from orgs.models import Organization


def campaigns_for(user: Any, roles: Iterable[str] = selectors.READ) -> QuerySet[Campaign]:
    """Campaigns whose root tree holds something in the user's scope (with one of
    ``roles``).

    A campaign sits on a root, so "its root contains something I can see" is
    "I can see an organisation of the same tree".
    """
    trees = selectors.organizations_for(user, roles).values("tree_id")
    return Campaign.objects.filter(organization__tree_id__in=trees).select_related("organization")


def campaign_get(user: Any, pk: int | str, roles: Iterable[str] = selectors.READ) -> Campaign:
    try:
        return campaigns_for(user, roles).get(pk=pk)
    except (Campaign.DoesNotExist, ValueError):
        raise Http404 from None


def campaigns_over(organization: Organization) -> QuerySet[Campaign]:
    """Campaigns on the organisation's root: a campaign sits on a root, so its
    tree is everything it covers."""
    return Campaign.objects.filter(selectors.tree_q(organization, prefix="organization__"))


def running_campaign(organization: Organization) -> Campaign | None:
    """The campaign running on the organisation's root today, else the root's
    latest one that is not 筹备 (a board between campaigns shows the last)."""
    campaigns = (
        campaigns_over(organization)
        .filter(organization__parent__isnull=True)
        .exclude(status=Campaign.Status.DRAFT)
    )
    today = timezone.localdate()
    running = campaigns.filter(start_date__lte=today, end_date__gte=today).order_by("-start_date")
    return running.first() or campaigns.order_by("-start_date").first()


# ---- plans (实施方案) ----------------------------------------------------------


def plans_for(user: Any) -> QuerySet[Plan]:
    """Plans of the organisations in the user's scope (not a 党员's: READ_RECORDS)."""
    q = selectors.scope_q(user, selectors.READ_RECORDS, prefix="organization__")
    qs = Plan.objects.select_related("campaign", "organization", "organization__sector")
    return qs if q is None else qs.filter(q)


def plan_for_unit(user: Any, campaign_pk: Any, organization_pk: Any) -> tuple[Plan, bool]:
    """The unit's plan for the campaign, or an unsaved empty draft (a GET writes
    nothing); the flag says whether it exists.

    Both the campaign and the organisation go through the scope; a unit of
    another tree than the campaign's is as missing as one outside the scope.
    """
    campaign = campaign_get(user, campaign_pk)
    organization = selectors.organization_get(user, organization_pk)
    if not selectors.contains(campaign.organization, organization):
        raise Http404
    if not selectors.can(user, selectors.READ_RECORDS, organization):
        raise Http404
    plan = Plan.objects.filter(campaign=campaign, organization=organization).first()
    if plan is None:
        return Plan(campaign=campaign, organization=organization), False
    # Reuse the scoped objects (the organisation carries its parent for can_review).
    plan.campaign, plan.organization = campaign, organization
    return plan, True


@dataclass(frozen=True)
class Participation:
    """参加范围 as ids: the sectors and organisation kinds that take part
    (an empty set: all of them)."""

    sector_ids: frozenset[int]
    kinds: frozenset[str]

    def admits(self, organization: Organization) -> bool:
        return (not self.sector_ids or organization.sector_id in self.sector_ids) and (
            not self.kinds or organization.kind in self.kinds
        )


def participation(campaign: Campaign) -> Participation:
    """The campaign's participation scope, read once per campaign object."""
    cached = getattr(campaign, "_participation", None)
    if cached is None:
        sector_ids = (
            frozenset(campaign.participating_sectors.values_list("pk", flat=True))
            if campaign.pk
            else frozenset()
        )
        cached = Participation(sector_ids, frozenset(campaign.participating_kinds or ()))
        campaign._participation = cached  # type: ignore[attr-defined]
    return cached


def plan_units_q(campaign: Campaign, prefix: str = "") -> Q:
    """The units that take part in the campaign and so file a plan (under
    ``prefix``, as ``"organization__"`` from a plan): the active units under its
    root within its participation scope (sectors, kinds); the root files none
    (nobody above accepts it).

    The one definition behind both "尚未报送" figures: the list of units with
    no plan filed (``units_without_plan``) and the dashboard's counts per
    subtree and sector (``campaign.dashboard``), and behind ``takes_part``.
    """
    q = selectors.subtree_q(campaign.organization, prefix, include_self=False) & Q(
        **{f"{prefix}is_active": True}
    )
    scope = participation(campaign)
    if scope.sector_ids:
        q &= Q(**{f"{prefix}sector_id__in": sorted(scope.sector_ids)})
    if scope.kinds:
        q &= Q(**{f"{prefix}kind__in": sorted(scope.kinds)})
    return q


def takes_part(campaign: Campaign, organization: Organization) -> bool:
    """Whether the unit files a plan for the campaign (``plan_units_q``, in Python).
    A campaign sits on a root, so its tree is its subtree: comparing tree ids
    needs no fresh nested-set numbers."""
    return (
        organization.is_active
        and organization.parent_id is not None
        and organization.tree_id == campaign.organization.tree_id
        and participation(campaign).admits(organization)
    )


def filed_plans(campaign: Campaign) -> QuerySet[Plan]:
    """The campaign's plans that count as filed: every state but 草稿."""
    return Plan.objects.filter(campaign=campaign).exclude(state=Plan.State.DRAFT)


def plans_to_review(user: Any) -> QuerySet[Plan]:
    """Submitted plans waiting for this user's 备案 (the same rule as
    ``plans.can_review``, as one query): plans of units whose parent the user
    reviews; for the admin, every submitted plan."""
    submitted = Plan.objects.filter(state=Plan.State.SUBMITTED).select_related(
        "campaign", "organization", "organization__sector"
    )
    q = selectors.scope_q(user, selectors.REVIEW, prefix="organization__parent__")
    return submitted if q is None else submitted.filter(q)


@dataclass(frozen=True)
class OwnPlan:
    """A unit the user answers for, in a campaign under way, and its plan (None if unwritten)."""

    campaign: Campaign
    organization: Organization
    plan: Plan | None

    @property
    def filed(self) -> bool:
        """Submitted or further: a draft is not filed."""
        return self.plan is not None and self.plan.state != Plan.State.DRAFT


def own_plans(user: Any) -> list[OwnPlan]:
    """The plans of the units the user answers for (``selectors.own_units``: a
    secretary's branch, a staff member's committee) in every campaign under way
    (进行中) on their trees. A root files no plan (nobody above accepts one).
    Three queries whatever the number of units."""
    units = [unit for unit in selectors.own_units(user) if unit.parent_id is not None]
    if not units:
        return []
    campaigns = list(
        Campaign.objects.filter(
            organization__tree_id__in={unit.tree_id for unit in units},
            organization__parent__isnull=True,
            status=Campaign.Status.ACTIVE,
        )
        .select_related("organization")
        .order_by("-start_date", "pk")
    )
    found = {
        (plan.campaign_id, plan.organization_id): plan
        for plan in Plan.objects.filter(
            campaign__in=campaigns, organization__in=units
        ).select_related("reviewed_by")
    }
    return [
        OwnPlan(campaign, unit, found.get((campaign.pk, unit.pk)))
        for unit in units
        for campaign in campaigns
        if campaign.organization.tree_id == unit.tree_id and takes_part(campaign, unit)
    ]


def units_without_plan(
    user: Any, campaign: Campaign | None, scope_root: Organization | None, sector: Any
) -> QuerySet[Organization]:
    """The units that should file a plan (``plan_units_q``) in the user's scope
    with none filed (a draft is not filed); each carries ``draft_plan``, its
    draft's id if it has one."""
    if campaign is None:
        return Organization.objects.none()
    units = selectors.organizations_for(user).filter(plan_units_q(campaign))
    if scope_root is not None:
        units = selectors.in_subtree(units, scope_root)
    if sector:
        units = units.filter(sector=sector)
    filed = filed_plans(campaign)
    draft = Plan.objects.filter(
        campaign=campaign, organization=OuterRef("pk"), state=Plan.State.DRAFT
    ).values("pk")
    return (
        units.exclude(pk__in=filed.values("organization_id"))
        .annotate(draft_plan=Subquery(draft[:1]))
        .order_by("lft")
    )


def attachment_get(user: Any, pk: Any) -> PlanAttachment:
    """A plan's attachment, for whoever can see the plan's organisation, else 404."""
    q = selectors.scope_q(user, selectors.READ_RECORDS, prefix="plan__organization__")
    attachments = PlanAttachment.objects.all() if q is None else PlanAttachment.objects.filter(q)
    try:
        return attachments.get(pk=pk)
    except (PlanAttachment.DoesNotExist, ValueError):
        raise Http404 from None


# ---- contact points (联系点) ---------------------------------------------------


def contact_points_for(user: Any, campaign: Campaign | None = None) -> QuerySet[ContactPoint]:
    """The contact points the user is the leader of (in one campaign, if given).

    The contact point itself is the assignment; the ``contact_leader`` role
    grant only lets the leader read the subtree around it.
    """
    if not user.is_authenticated or not user.is_active:
        return ContactPoint.objects.none()
    points = ContactPoint.objects.filter(leader_id=user.pk).select_related("organization")
    return points if campaign is None else points.filter(campaign=campaign)


def contact_reach(user: Any, campaign: Campaign | None = None) -> QuerySet[Organization]:
    """The organisations a contact-point leader may comment on (领导点评): the
    units of their contact points, not those units' subtrees (a leader follows
    the units assigned, DESIGN.md). The admin may comment anywhere.

    In campaign.selectors, not orgs.selectors: ContactPoint is a campaign
    record, and orgs sits below campaign."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return Organization.objects.all()
    points = contact_points_for(user, campaign)
    return Organization.objects.filter(pk__in=points.values("organization_id"))
