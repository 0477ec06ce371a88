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
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from campaign.models import Campaign, Plan
from campaign.selectors import campaigns_over, plan_units_q
from orgs import selectors, tallies
from orgs.models import Organization

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
    bar: str = ""  # the bars as HTML (``_with_bars``)
    url: str = ""  # this row's own dashboard (children)
    missing_url: str = ""  # the 尚未报送的单位 list over this row's subtree
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


def _annotation(group: str, column: Column) -> str:
    return f"x_{group}_{column.key}"


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


@dataclass
class _Sum:
    """What one row of the dashboard adds up while the subtree is walked."""

    units: int = 0
    members: int = 0
    expected: int = 0
    plans: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            name: {c.key: 0 for c in group.columns} for name, group in _groups.items()
        }
    )

    def row(self, label: str, campaign: Campaign, organization: Organization | None) -> Row:
        return Row(
            label=label,
            units=self.units,
            members=self.members,
            plans=self.plans,
            expected=self.expected,
            organization=organization,
            counts=self.counts,
            cells=_cells(self.counts, campaign, organization),
        )


@dataclass
class Progress:
    total: Row
    children: list[Row]
    sectors: list[Row]


def _child_of(children: list[Organization], prefix: str = "") -> Func:
    """Which direct child's subtree a row lies in (its index; -1 for the node
    itself). The children's subtrees are consecutive ``lft`` ranges, so the
    index is the number of children starting at or before the row's ``lft``,
    less one: found by nested comparisons, a binary search (a few comparisons
    a row, where one WHEN per child cost a hundred on a district's root).
    Written as one SQL template (integers from the tree only): built from
    ``Case``/``When`` objects, compiling it cost more than running it."""
    starts = [int(c.lft) for c in children]

    def search(low: int, high: int) -> str:  # the answer is in low..high
        if low == high:
            return str(low)
        middle = (low + high + 1) // 2
        return (
            f"CASE WHEN %(expressions)s < {starts[middle]} "
            f"THEN {search(low, middle - 1)} ELSE {search(middle, high)} END"
        )

    return Func(
        F(f"{prefix}lft"), template=search(-1, len(starts) - 1), output_field=IntegerField()
    )


def progress(root: Organization, campaign: Campaign) -> Progress:
    """Units, members, plans by state and every registered group's counts over
    ``root``'s subtree: in total, per direct child and per sector.

    Each table is read once, grouped in the database by (direct child, sector):
    the subtree's organisations (with their stored member figures, summed), its
    plans by state, each registered group's rows. So the query count is fixed
    (four plus one per registered group) and what comes back is a few rows per
    child and sector, whatever the subtree's size; the database still reads
    the subtree's plans and registered rows once per view.
    """
    below = selectors.subtree_q(root, "organization__")
    children = list(
        selectors.children(root)
        .select_related("sector")
        .annotate(n_members=selectors.tally(tallies.MEMBERS))
    )
    total, per_child = _Sum(), [_Sum() for _ in children]
    sectors: dict[str, _Sum] = {}

    def places(child: int, sector: str) -> tuple[_Sum, ...]:
        in_sector = sectors.get(sector)
        if in_sector is None:
            in_sector = sectors[sector] = _Sum()
        return (total, in_sector) if child < 0 else (total, in_sector, per_child[child])

    nodes = (
        Organization.objects.filter(selectors.subtree_q(root))
        .annotate(
            child=_child_of(children),
            should=ExpressionWrapper(plan_units_q(campaign), output_field=BooleanField()),
            stored=FilteredRelation("tallies", condition=Q(tallies__key=tallies.MEMBERS)),
        )
        .values_list("child", "sector__name", "should")
        .annotate(n=Count("pk"), members=Sum("stored__own"))
        .order_by()
    )
    for child, sector, should, n, members in nodes:
        for sums in places(child, sector):
            sums.units += n
            sums.members += members or 0
            if should:
                sums.expected += n
    plans = (
        Plan.objects.filter(below, plan_units_q(campaign, "organization__"), campaign=campaign)
        .annotate(child=_child_of(children, "organization__"))
        .values_list("child", "organization__sector__name", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for child, sector, state, n in plans:
        for sums in places(child, sector):
            sums.plans[state] += n
    for name, group in _groups.items():
        keys = [c.key for c in group.columns]
        found = (
            group.rows(campaign)
            .filter(below)
            .annotate(child=_child_of(children, "organization__"))
            .values_list("child", "organization__sector__name")
            .annotate(
                **{_annotation(name, c): Count("pk", filter=c.where or None) for c in group.columns}
            )
            .order_by()
        )
        for child, sector, *figures in found:
            for sums in places(child, sector):
                counts = sums.counts[name]
                for key, n in zip(keys, figures, strict=True):
                    counts[key] += n
    rows_by_child = []
    for child, sums in zip(children, per_child, strict=True):
        # The stored subtree figure, as the tree page shows it (the sum is the same).
        sums.members = child.n_members
        rows_by_child.append(sums.row(child.name, campaign, child))
    return Progress(
        total=total.row("合计", campaign, root),
        children=rows_by_child,
        sectors=[
            sums.row(sector, campaign, None)
            for sector, sums in sorted(sectors.items(), key=lambda item: -item[1].units)
        ],
    )


def _with_bars(rows: list[Row], campaign: Campaign) -> list[Row]:
    """Each row's stacked bar (built here: a template include per row cost more
    than the counting on a district's hundred children) and its links."""
    labels = {state: str(label) for state, label in Plan.State.choices}
    labels["none"] = str(_("未制定"))
    missing = reverse("campaign:plan_list") + f"?missing=1&campaign={campaign.pk}&organization="
    for row in rows:
        if row.organization is not None:
            row.url = (
                reverse("campaign:dashboard", kwargs={"pk": row.organization.pk})
                + f"?campaign={campaign.pk}"
            )
            row.missing_url = f"{missing}{row.organization.pk}"
        if not row.expected:
            row.bar = mark_safe('<div class="bar"></div>')  # nothing filed yet, or no unit
            continue
        parts = [(state, row.plans[state]) for state in STATES] + [("none", row.not_started)]
        row.bars = [(css, labels[css], 100.0 * n / row.expected) for css, n in parts if n]
        row.bar = format_html(
            '<div class="bar" role="img" aria-label="{}">{}</div>',
            " ".join(f"{label} {share:.0f}%" for _, label, share in row.bars),
            format_html_join(
                "",
                '<span class="bar-{}" style="width: {}%" title="{} {}%"></span>',
                ((css, f"{share:.2f}", label, f"{share:.0f}") for css, label, share in row.bars),
            ),
        )
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
    found = progress(organization, campaign)
    context = {
        "organization": organization,
        "campaign": campaign,
        "campaigns": campaigns,
        "total": _with_bars([found.total], campaign)[0],
        "children": _with_bars(found.children, campaign),
        "sectors": _with_bars(found.sectors, campaign),
        "states": [(s, Plan.State(s).label) for s in STATES],
        "columns": [column for group in _groups.values() for column in group.columns],
    }
    return render(request, "campaign/dashboard.html", context)
