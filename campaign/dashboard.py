"""Progress dashboard (first version): units, members and plans by state over a subtree.

Every count comes from nested-set ranges (a node's subtree is the rows whose
``lft`` lies within its ``lft``..``rght``), as correlated subqueries or one
grouped query each, so the number of queries is the same for a branch and a
district of 4,000 units.
"""

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaign.models import Campaign, Plan
from orgs import selectors
from orgs.models import Member, Organization
from pledges.models import Pledge

STATES: list[str] = [
    Plan.State.ACCEPTED.value,
    Plan.State.SUBMITTED.value,
    Plan.State.RETURNED.value,
    Plan.State.DRAFT.value,
]

# 公开承诺: made (any state), on the public board, and honoured at the last 评诺.
PLEDGE_COUNTS = ("pledged", "published", "honoured")


@dataclass
class Row:
    label: str
    units: int
    members: int
    plans: dict[str, int]
    organization: Organization | None = None
    bars: list[tuple[str, str, float]] = field(default_factory=list)
    pledges: dict[str, int] = field(default_factory=dict)

    @property
    def without_plan(self) -> int:
        return max(0, self.units - sum(self.plans.values()))

    @property
    def accepted_share(self) -> float:
        return self.plans.get(Plan.State.ACCEPTED, 0) / self.units if self.units else 0.0


def _in_subtree(prefix: str = "") -> dict:
    """Filter kwargs for rows under OuterRef's node (itself included)."""
    return {
        f"{prefix}tree_id": OuterRef("tree_id"),
        f"{prefix}lft__gte": OuterRef("lft"),
        f"{prefix}lft__lte": OuterRef("rght"),
    }


def _count(queryset) -> Coalesce:
    counted = (
        queryset.order_by()
        .annotate(_one=Value(1))
        .values("_one")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def annotate_progress(nodes, campaign: Campaign):
    """Each node with its subtree's member count, plan counts per state and pledge counts."""
    plans = Plan.objects.filter(campaign=campaign, **_in_subtree("organization__"))
    annotations = {"n_members": _count(Member.objects.filter(**_in_subtree("organization__")))}
    for state in STATES:
        annotations[f"n_{state}"] = _count(plans.filter(state=state))
    pledges = Pledge.objects.filter(campaign=campaign, **_in_subtree("organization__"))
    annotations["p_pledged"] = _count(pledges)
    annotations["p_published"] = _count(pledges.filter(published_revision__gt=0))
    annotations["p_honoured"] = _count(pledges.filter(outcome=Pledge.Outcome.HONOURED))
    return nodes.annotate(**annotations)


def _row(node: Organization, label: str | None = None) -> Row:
    plans = {state: getattr(node, f"n_{state}") for state in STATES}
    return Row(
        label=label or node.name,
        units=node.subtree_organization_count,
        members=node.n_members,
        plans=plans,
        organization=node,
        pledges={k: getattr(node, f"p_{k}") for k in PLEDGE_COUNTS},
    )


def by_sector(root: Organization, campaign: Campaign) -> list[Row]:
    """Units, members, plans and pledges per sector over the subtree: four grouped queries."""
    subtree = {"tree_id": root.tree_id, "lft__gte": root.lft, "lft__lte": root.rght}
    units = dict(
        Organization.objects.filter(**subtree)
        .values_list("sector__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    members = dict(
        Member.objects.filter(**{f"organization__{k}": v for k, v in subtree.items()})
        .values_list("organization__sector__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    plans: dict[str, dict[str, int]] = {}
    for sector, state, n in (
        Plan.objects.filter(
            campaign=campaign, **{f"organization__{k}": v for k, v in subtree.items()}
        )
        .values_list("organization__sector__name", "state")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        plans.setdefault(sector, {})[state] = n
    pledges: dict[str, dict[str, int]] = {
        row["organization__sector__name"]: {
            "pledged": row["pledged"],
            "published": row["published"],
            "honoured": row["honoured"],
        }
        for row in Pledge.objects.filter(
            campaign=campaign, **{f"organization__{k}": v for k, v in subtree.items()}
        )
        .values("organization__sector__name")
        .annotate(
            pledged=Count("pk"),
            published=Count("pk", filter=Q(published_revision__gt=0)),
            honoured=Count("pk", filter=Q(outcome=Pledge.Outcome.HONOURED)),
        )
        .order_by()
    }
    return [
        Row(
            label=sector,
            units=n,
            members=members.get(sector, 0),
            plans={s: plans.get(sector, {}).get(s, 0) for s in STATES},
            pledges={k: pledges.get(sector, {}).get(k, 0) for k in PLEDGE_COUNTS},
        )
        for sector, n in sorted(units.items(), key=lambda item: -item[1])
    ]


def _with_bars(rows: list[Row]) -> list[Row]:
    labels = dict(Plan.State.choices)
    for row in rows:
        if not row.units:
            continue
        parts: list[tuple[str, str, int]] = [
            (state, str(labels[state]), row.plans[state]) for state in STATES
        ]
        parts.append(("none", "未制定", row.without_plan))
        row.bars = [(css, label, 100.0 * n / row.units) for css, label, n in parts if n]
    return rows


def campaigns_for(organization: Organization):
    """Campaigns on the organisation's root (a user sees campaigns of trees they reach)."""
    return Campaign.objects.filter(organization__tree_id=organization.tree_id).order_by(
        "-start_date"
    )


@login_required
@require_GET
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress over an organisation's subtree, per direct child and per sector."""
    organization = selectors.organization_get(request.user, pk)
    campaigns = campaigns_for(organization)
    chosen = request.GET.get("campaign")
    campaign = (
        campaigns.filter(pk=chosen).first() if chosen and chosen.isdigit() else campaigns.first()
    )
    if campaign is None:
        if chosen:
            raise Http404
        return render(
            request, "campaign/dashboard.html", {"organization": organization, "campaign": None}
        )
    node = annotate_progress(Organization.objects.filter(pk=organization.pk), campaign).get()
    children = annotate_progress(
        Organization.objects.filter(parent=organization).select_related("sector").order_by("lft"),
        campaign,
    )
    context = {
        "organization": organization,
        "campaign": campaign,
        "campaigns": campaigns,
        "total": _with_bars([_row(node, "合计")])[0],
        "children": _with_bars([_row(child) for child in children]),
        "sectors": _with_bars(by_sector(organization, campaign)),
        "states": [(s, Plan.State(s).label) for s in STATES],
    }
    return render(request, "campaign/dashboard.html", context)
