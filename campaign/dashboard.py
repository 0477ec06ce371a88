"""Progress dashboard (first version): units, members and plans by state over a subtree.

Members come from the stored per-organisation tallies (``orgs.tallies``: one
index lookup per row, whatever the subtree's size). Plans are counted over the
units that should file one (``campaign.selectors.plan_units_q``, the same
definition as the 尚未报送的单位 list), from nested-set ranges (a node's
subtree is the rows whose ``lft`` lies within its ``lft``..``rght``), as
correlated subqueries or one grouped query each, so the number of queries is
the same for a branch and a city of 16,800 units.

Apps above ``campaign`` (pledges; reviews and awards next) add their own count
columns with ``register_columns`` from their ``AppConfig.ready`` (the
``core.jobs.register`` idiom), so the dashboard counts their rows without
importing them.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaign.models import Campaign, Plan
from campaign.selectors import campaigns_over, plan_units_q
from orgs import selectors, tallies
from orgs.models import Organization, OrganizationTally

STATES: list[str] = [
    Plan.State.ACCEPTED.value,
    Plan.State.SUBMITTED.value,
    Plan.State.RETURNED.value,
    Plan.State.DRAFT.value,
]
FILED = [s for s in STATES if s != Plan.State.DRAFT]  # as campaign.selectors.filed_plans


@dataclass(frozen=True)
class Column:
    """One count a higher app adds to the dashboard, over the rows its group counts."""

    key: str
    label: Any  # the table header
    total_label: Any  # the caption under the figure in 合计
    where: Q = field(default_factory=Q)  # which of the group's rows it counts (all by default)
    wide_only: bool = False  # hidden on narrow screens
    link: Callable[[Campaign, Organization], str] | None = None  # where a child's figure leads


Rows = Callable[[Campaign], QuerySet]


@dataclass(frozen=True)
class ColumnGroup:
    rows: Rows  # the campaign's rows, each with an ``organization``
    columns: tuple[Column, ...]


_groups: dict[str, ColumnGroup] = {}


def register_columns(name: str, *, columns: Sequence[Column]) -> Callable[[Rows], Rows]:
    """Register a group of count columns over the rows ``rows(campaign)`` returns.

    Each row must have an ``organization``; the dashboard counts, per column,
    the rows matching ``column.where`` in each subtree and each sector (one
    correlated subquery per column and node set, one grouped query per group).
    Keyed by name (an identifier: it names the counts' SQL aliases), so
    registering the same group again replaces it.
    """
    if not name.isidentifier():
        raise ValueError(f"column group name must be an identifier: {name!r}")

    def decorator(rows: Rows) -> Rows:
        _groups[name] = ColumnGroup(rows, tuple(columns))
        return rows

    return decorator


def registered() -> dict[str, ColumnGroup]:
    """The column groups by name, in registration order (the order they are shown)."""
    return dict(_groups)


@dataclass(frozen=True)
class Cell:
    """A registered column's figure in one row, with its link (children only)."""

    column: Column
    value: int
    url: str = ""


@dataclass
class Row:
    label: str
    units: int  # organisations in the subtree (or sector)
    members: int
    plans: dict[str, int]  # plans per state, of the units that should file one
    expected: int = 0  # units that should file a plan (plan_units_q)
    organization: Organization | None = None
    bars: list[tuple[str, str, float]] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # group → column key → n
    cells: list[Cell] = field(default_factory=list)  # the registered columns, in order

    @property
    def without_plan(self) -> int:
        """Units that should file a plan and have filed none (a draft is not
        filed): what the 尚未报送的单位 list counts over the same subtree."""
        return max(0, self.expected - sum(self.plans.get(s, 0) for s in FILED))

    @property
    def not_started(self) -> int:
        """Units that should file a plan and have not even a draft."""
        return max(0, self.expected - sum(self.plans.values()))

    @property
    def accepted_share(self) -> float:
        accepted = self.plans.get(Plan.State.ACCEPTED, 0)
        return accepted / self.expected if self.expected else 0.0


def _count(queryset) -> Coalesce:
    counted = (
        queryset.order_by()
        .annotate(_one=Value(1))
        .values("_one")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _annotation(group: str, column: Column) -> str:
    return f"x_{group}_{column.key}"


def annotate_progress(nodes, campaign: Campaign):
    """Each node with its subtree's member count (stored), the units that
    should file a plan, their plans per state, and the registered counts."""
    within = selectors.outer_subtree_q("organization__")
    plans = Plan.objects.filter(within, plan_units_q(campaign, "organization__"), campaign=campaign)
    annotations = {
        "n_members": selectors.tally(tallies.MEMBERS),
        "n_expected": _count(
            Organization.objects.filter(selectors.outer_subtree_q(), plan_units_q(campaign))
        ),
    }
    for state in STATES:
        annotations[f"n_{state}"] = _count(plans.filter(state=state))
    for name, group in _groups.items():
        rows = group.rows(campaign).filter(within)
        for column in group.columns:
            annotations[_annotation(name, column)] = _count(rows.filter(column.where))
    return nodes.annotate(**annotations)


def _cells(
    counts: dict[str, dict[str, int]], campaign: Campaign, organization: Organization | None
) -> list[Cell]:
    """The registered columns' figures in order, each linked where its column says."""
    return [
        Cell(
            column,
            counts.get(name, {}).get(column.key, 0),
            column.link(campaign, organization) if column.link and organization else "",
        )
        for name, group in _groups.items()
        for column in group.columns
    ]


def _row(node: Organization, campaign: Campaign, label: str | None = None) -> Row:
    plans = {state: getattr(node, f"n_{state}") for state in STATES}
    counts = {
        name: {c.key: getattr(node, _annotation(name, c)) for c in group.columns}
        for name, group in _groups.items()
    }
    return Row(
        label=label or node.name,
        units=node.subtree_organization_count,
        members=node.n_members,
        plans=plans,
        expected=node.n_expected,
        organization=node,
        counts=counts,
        cells=_cells(counts, campaign, node),
    )


def by_sector(root: Organization, campaign: Campaign) -> list[Row]:
    """Units, members, plans and each registered group per sector over the subtree: one
    grouped query each."""
    below = selectors.subtree_q(root, "organization__")
    units: dict[str, int] = {}
    expected: dict[str, int] = {}
    for sector, should, n in (
        Organization.objects.filter(selectors.subtree_q(root))
        .annotate(should=ExpressionWrapper(plan_units_q(campaign), output_field=BooleanField()))
        .values_list("sector__name", "should")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        units[sector] = units.get(sector, 0) + n
        if should:
            expected[sector] = n
    members = dict(
        OrganizationTally.objects.filter(below, key=tallies.MEMBERS)
        .values_list("organization__sector__name")
        .annotate(n=Sum("own"))
        .order_by()
    )
    plans: dict[str, dict[str, int]] = {}
    for sector, state, n in (
        Plan.objects.filter(below, plan_units_q(campaign, "organization__"), campaign=campaign)
        .values_list("organization__sector__name", "state")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        plans.setdefault(sector, {})[state] = n
    counts: dict[str, dict[str, dict[str, int]]] = {}  # sector → group → column key → n
    for name, group in _groups.items():
        for row in (
            group.rows(campaign)
            .filter(below)
            .values("organization__sector__name")
            .annotate(
                **{_annotation(name, c): Count("pk", filter=c.where or None) for c in group.columns}
            )
            .order_by()
        ):
            counts.setdefault(row["organization__sector__name"], {})[name] = {
                c.key: row[_annotation(name, c)] for c in group.columns
            }
    rows = []
    for sector, n in sorted(units.items(), key=lambda item: -item[1]):
        found = counts.get(sector, {})
        sector_counts = {
            name: {c.key: found.get(name, {}).get(c.key, 0) for c in group.columns}
            for name, group in _groups.items()
        }
        rows.append(
            Row(
                label=sector,
                units=n,
                members=members.get(sector, 0),
                plans={s: plans.get(sector, {}).get(s, 0) for s in STATES},
                expected=expected.get(sector, 0),
                counts=sector_counts,
                cells=_cells(sector_counts, campaign, None),
            )
        )
    return rows


def _with_bars(rows: list[Row]) -> list[Row]:
    labels = dict(Plan.State.choices)
    for row in rows:
        if not row.expected:
            continue
        parts: list[tuple[str, str, int]] = [
            (state, str(labels[state]), row.plans[state]) for state in STATES
        ]
        parts.append(("none", "未制定", row.not_started))
        row.bars = [(css, label, 100.0 * n / row.expected) for css, label, n in parts if n]
    return rows


def campaigns_on_tree(organization: Organization) -> QuerySet[Campaign]:
    """Campaigns on the organisation's root, newest first: the campaigns its dashboard can show.

    Not ``campaign.selectors.campaigns_for(user)``, the campaigns a user reaches:
    here the organisation has already been scoped.
    """
    return campaigns_over(organization).order_by("-start_date")


@login_required
@require_GET
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress over an organisation's subtree, per direct child and per sector."""
    organization = selectors.organization_get(request.user, pk)
    campaigns = campaigns_on_tree(organization)
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
        "total": _with_bars([_row(node, campaign, "合计")])[0],
        "children": _with_bars([_row(child, campaign) for child in children]),
        "sectors": _with_bars(by_sector(organization, campaign)),
        "states": [(s, Plan.State(s).label) for s in STATES],
        "columns": [column for group in _groups.values() for column in group.columns],
    }
    return render(request, "campaign/dashboard.html", context)
