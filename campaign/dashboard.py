"""Progress dashboard: units, members and plans by state over a subtree.

Every figure is a stored count (``orgs.tallies``), read for the organisation and
its direct children in one query, whatever the subtree's size: units, members,
plans per campaign and state (``plans.<campaign>.<state>``, kept by
``campaign.plans``) and each registered column group's figures. The units that
should file a plan (``campaign.selectors.plan_units_q``: active, under the
campaign's root, within its participation scope) are summed from the class
figures (``<key>@<sector>.<kind>``) of the classes that take part, less the
campaign root's own, so 尚未报送 here is the length of the 尚未报送的单位 list; the
per-sector rows are the class figures of the organisation itself.

Apps above ``campaign`` (pledges; reviews and awards next) add their own count
columns with ``register_columns`` from their ``AppConfig.ready`` (the
``core.jobs.register`` idiom): a group's figures are the stored counts
``<name>.<campaign>.<column>`` of the tally counter they register under the
same name (``orgs.tallies.register``) and keep with ``tallies.adjust``. They
add lists of links to their own pages (reviews: 评议进度 of the campaign's
rounds) with ``register_links``.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from campaign import trends
from campaign.models import Campaign, Plan
from campaign.plans import TALLY as PLANS
from campaign.plans import tally_key
from campaign.selectors import campaigns_over, participation
from core import tabular
from orgs import selectors, tallies
from orgs.models import Organization, OrganizationTally, Sector

STATES: list[str] = [
    Plan.State.ACCEPTED.value,
    Plan.State.SUBMITTED.value,
    Plan.State.RETURNED.value,
    Plan.State.DRAFT.value,
]
FILED = [s for s in STATES if s != Plan.State.DRAFT]  # as campaign.selectors.filed_plans


@dataclass(frozen=True)
class Column:
    """One count a higher app adds to the dashboard: the stored figure
    ``<group>.<campaign>.<key>`` of each subtree and sector."""

    key: str
    label: Any  # the table header
    total_label: Any  # the caption under the figure in 合计
    wide_only: bool = False  # hidden on narrow screens
    link: Callable[[Campaign, Organization], str] | None = None  # where a child's figure leads


@dataclass(frozen=True)
class ColumnGroup:
    columns: tuple[Column, ...]


_groups: dict[str, ColumnGroup] = {}


def register_columns(name: str, *, columns: Sequence[Column]) -> None:
    """Register a group of count columns over the stored counts of the tally
    counter ``name`` (``orgs.tallies.register(name)``): column ``key``'s figure
    is ``<name>.<campaign pk>.<key>``. Registering the same name again replaces it.
    """
    if not name.isidentifier():
        raise ValueError(f"column group name must be an identifier: {name!r}")
    _groups[name] = ColumnGroup(tuple(columns))


def registered() -> dict[str, ColumnGroup]:
    """The column groups by name, in registration order (the order they are shown)."""
    return dict(_groups)


# A list of links a higher app shows on the dashboard: fn(user, campaign,
# organization) → [(label, url)], read for the organisation the page is about.
LinkSource = Callable[[Any, Campaign, Organization], list[tuple[str, str]]]


@dataclass(frozen=True)
class LinkList:
    title: Any  # the list's heading
    links: LinkSource


_link_lists: dict[str, LinkList] = {}


def register_links(name: str, title: Any, links: LinkSource) -> None:
    """Register a list of links shown under ``title`` (reviews: 评议进度);
    registering the same name again replaces it."""
    _link_lists[name] = LinkList(title, links)


def link_lists(user: Any, campaign: Campaign, organization: Organization) -> list[tuple[Any, list]]:
    """(title, links) of each registered list that has links for this page."""
    found = [
        (entry.title, entry.links(user, campaign, organization)) for entry in _link_lists.values()
    ]
    return [(title, links) for title, links in found if links]


# ---- charts -------------------------------------------------------------------


@dataclass
class Chart:
    """One chart of the page, drawn by static/js/dashboard-charts.js (ECharts)
    from the page's JSON block and shown as a table beside it: a bar per
    category (a child, a grade) and series, percentages against ``target``."""

    key: str
    title: str
    categories: list[str]
    series: list[tuple[str, Sequence[float | int | None]]]  # (name, one value per category)
    percent: bool = False
    target: float | None = None  # a line across (满意率's 90 %)
    note: str = ""
    line: bool = False  # lines, not bars (trends by quarter)
    stacked: bool = False  # the series' bars stacked (grades per child)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "categories": self.categories,
            "series": [{"name": name, "data": data} for name, data in self.series],
            "percent": self.percent,
            "target": self.target,
            "line": self.line,
            "stacked": self.stacked,
        }

    @property
    def rows(self) -> list[tuple[str, list[Any]]]:
        """The chart as table rows: a category and its value in each series."""
        return [
            (category, [data[i] for _, data in self.series])
            for i, category in enumerate(self.categories)
        ]

    def table(self) -> str:
        """The chart's figures as an HTML table (built here, as the bars are: a
        template loop over a hundred children per chart cost more than the page's
        counting)."""
        unit = "%" if self.percent else ""
        head = format_html_join("", '<th class="num">{}</th>', ((name,) for name, _ in self.series))
        body = format_html_join(
            "",
            "<tr><td>{}</td>{}</tr>",
            (
                (
                    category,
                    format_html_join(
                        "",
                        '<td class="num">{}</td>',
                        (("—" if v is None else f"{v}{unit}",) for v in values),
                    ),
                )
                for category, values in self.rows
            ),
        )
        return format_html(
            '<table class="table"><thead><tr><th></th>{}</tr></thead><tbody>{}</tbody></table>',
            head,
            body,
        )


# fn(progress, campaign, organization) → charts; a constant number of queries
# whatever the subtree's size (read the stored counts, as ``progress`` does).
ChartSource = Callable[["Progress", Campaign, Organization], list[Chart]]
_charts: dict[str, ChartSource] = {}


def register_charts(name: str, source: ChartSource) -> None:
    """Register charts a higher app adds (reviews: 整改, 等次, 满意率); registering
    the same name again replaces it."""
    _charts[name] = source


def charts(found: "Progress", campaign: Campaign, organization: Organization) -> list[Chart]:
    """The page's charts: plans by child, then every registered source's."""
    drawn = []
    if found.children:
        labels = [row.label for row in found.children]
        drawn.append(
            Chart(
                "plans",
                _("方案报送（按下级组织）"),
                labels,
                [
                    (str(_("应报送")), [row.expected for row in found.children]),
                    (str(_("已报送")), [row.expected - row.without_plan for row in found.children]),
                    (str(_("已备案")), [row.plans[Plan.State.ACCEPTED] for row in found.children]),
                ],
            )
        )
    for source in _charts.values():
        drawn.extend(source(found, campaign, organization))
    drawn.extend(trend_charts(campaign, organization))
    # A chart of nothing but zeros says nothing (its figures stay in the tables).
    return [c for c in drawn if any(v for _name, data in c.series for v in data)]


def trend_charts(campaign: Campaign, organization: Organization) -> list[Chart]:
    """The registered series by quarter of the campaign (``campaign.trends``):
    one query, the organisation's own stored rows."""
    series = trends.registered()
    if not series:
        return []
    codes, values = trends.read(campaign, organization, series)
    return [
        Chart(
            "trend",
            _("各季度进展（当季新增）"),
            [trends.quarter_label(code) for code in codes],
            [(str(s.label), v) for s, v in zip(series, values, strict=True)],
            line=True,
        )
    ]


@dataclass(frozen=True)
class Cell:
    """A registered column's figure in one row, with its link (children only)."""

    column: Column
    value: int
    url: str = ""


@dataclass
class Row:
    label: str
    units: int  # active organisations in the subtree (or sector)
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
    def cells_html(self) -> str:
        """The registered columns' cells (built here, as the bars are)."""
        return format_html_join(
            "",
            '<td class="num{}" data-label="{}">{}</td>',
            (
                (
                    " hide-sm" if cell.column.wide_only else "",
                    cell.column.label,
                    format_html('<a href="{}">{}</a>', cell.url, cell.value)
                    if cell.url
                    else cell.value,
                )
                for cell in self.cells
            ),
        )

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
    """What one row of the dashboard adds up from the stored figures."""

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


def takes_part(campaign: Campaign) -> Callable[[tallies.Class], bool]:
    """Whether units of a class file a plan for the campaign: active, and within
    its participation scope (``campaign.selectors.participation``: sectors,
    kinds; empty means all), as ``plan_units_q`` has it."""
    scope = participation(campaign)
    return lambda cls: (
        cls.active
        and (not scope.sector_ids or cls.sector_id in scope.sector_ids)
        and (not scope.kinds or cls.kind in scope.kinds)
    )


Figures = dict[str, tuple[int, int]]  # one organisation's stored figures: key → (own, subtree)


class _Reader:
    """Adds one organisation's stored figures (``key → (own, subtree)``) into rows."""

    def __init__(self, campaign: Campaign) -> None:
        self.admits = takes_part(campaign)
        self.plans = {tally_key(campaign.pk, state): state for state in STATES}
        self.groups = {
            f"{name}.{campaign.pk}.{column.key}": (name, column.key)
            for name, group in _groups.items()
            for column in group.columns
        }
        self.root_id = campaign.organization_id

    def keys_q(self, campaign: Campaign, *, by_sector: bool) -> Q:
        """The figures a row needs: whole figures, and the class figures of units
        and plans (the plan units); ``by_sector``: every class figure."""
        whole = [tallies.UNITS, tallies.MEMBERS, *self.plans, *self.groups]
        q = Q(key__in=whole) | Q(key__startswith=f"{tallies.UNITS}@")
        q |= Q(key__startswith=f"{PLANS}.{campaign.pk}.", key__contains="@")
        if by_sector:
            q |= Q(key__startswith=f"{tallies.MEMBERS}@")
            for name in _groups:
                q |= Q(key__startswith=f"{name}.{campaign.pk}.", key__contains="@")
        return q

    def whole(self, organization_id: int, figures: Figures, into: _Sum) -> None:
        """A subtree's row: its whole figures, and its plan units and plans from
        the class figures of the classes that take part."""
        files_none = organization_id == self.root_id
        for key, (own, subtree) in figures.items():
            base, cls = tallies.parse(key)
            if cls is not None:
                self._plan_units(into, base, cls, subtree - own if files_none else subtree)
            elif base == tallies.UNITS:
                into.units += subtree
            elif base == tallies.MEMBERS:
                into.members += subtree
            elif base in self.groups:
                name, column = self.groups[base]
                into.counts[name][column] += subtree

    def by_sector(
        self, organization_id: int, figures: Figures, into: Callable[[int], _Sum]
    ) -> None:
        """The sectors' rows over a subtree: its class figures, by the class's sector."""
        files_none = organization_id == self.root_id
        for key, (own, subtree) in figures.items():
            base, cls = tallies.parse(key)
            if cls is None:
                continue
            row = into(cls.sector_id)
            if base == tallies.UNITS:
                row.units += subtree
            elif base == tallies.MEMBERS:
                row.members += subtree
            elif base in self.groups:
                name, column = self.groups[base]
                row.counts[name][column] += subtree
            self._plan_units(row, base, cls, subtree - own if files_none else subtree)

    def _plan_units(self, into: _Sum, base: str, cls: tallies.Class, n: int) -> None:
        """The campaign's root files no plan: its own figures are left out (``n``)."""
        if not self.admits(cls):
            return
        if base == tallies.UNITS:
            into.expected += n
        elif base in self.plans:
            into.plans[self.plans[base]] += n


def progress(root: Organization, campaign: Campaign) -> Progress:
    """Units, members, plans by state and every registered group's counts over
    ``root``'s subtree: in total, per direct child and per sector.

    Two queries for the figures (the children, then the stored counts of the
    organisation and its children) and one for the sectors' names, whatever the
    subtree's size: each child's row is its subtree figures, the total the
    organisation's, each sector's the organisation's class figures of that sector.
    """
    children = list(selectors.children(root))
    reader = _Reader(campaign)
    stored: dict[int, Figures] = {root.pk: {}} | {c.pk: {} for c in children}
    rows = OrganizationTally.objects.filter(
        (Q(organization_id=root.pk) & reader.keys_q(campaign, by_sector=True))
        | (
            Q(organization_id__in=[c.pk for c in children])
            & reader.keys_q(campaign, by_sector=False)
        )
    ).values_list("organization_id", "key", "own", "subtree")
    for organization_id, key, own, subtree in rows:
        stored[organization_id][key] = (own, subtree)

    total = _Sum()
    reader.whole(root.pk, stored[root.pk], total)
    sectors: dict[int, _Sum] = {}
    reader.by_sector(root.pk, stored[root.pk], lambda pk: sectors.setdefault(pk, _Sum()))
    names = dict(Sector.objects.filter(pk__in=list(sectors)).values_list("pk", "name"))
    rows_by_child = []
    for child in children:
        sums = _Sum()
        reader.whole(child.pk, stored[child.pk], sums)
        rows_by_child.append(sums.row(child.name, campaign, child))
    shown = sorted(sectors.items(), key=lambda item: (-item[1].units, names.get(item[0], "")))
    return Progress(
        total=total.row("合计", campaign, root),
        children=rows_by_child,
        sectors=[sums.row(names.get(pk, "?"), campaign, None) for pk, sums in shown],
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


def _chosen(request: HttpRequest, organization: Organization) -> tuple[Any, Campaign | None]:
    """The campaigns on the organisation's tree and the one asked for (the newest by default)."""
    campaigns = campaigns_on_tree(organization)
    chosen = request.GET.get("campaign")
    campaign = (
        campaigns.filter(pk=chosen).first() if chosen and chosen.isdigit() else campaigns.first()
    )
    if chosen and campaign is None:
        raise Http404
    return campaigns, campaign


def export_rows(
    found: Progress, drawn: list[Chart], organization: Organization
) -> tuple[list[str], list[list[Any]]]:
    """The page's figures as one table: 合计, each child, each sector, with the
    registered columns and the series of the charts drawn by child; then each
    other chart (by grade, by quarter) as a small table of its own."""
    columns = [column for group in _groups.values() for column in group.columns]
    labels = [row.label for row in found.children]
    by_child = [c for c in drawn if c.categories == labels and c.key != "plans"]
    headers = [
        str(_("范围")),
        str(_("党组织")),
        str(_("组织数")),
        str(_("党员数")),
        str(_("应报送")),
        *[str(_("方案")) + str(Plan.State(s).label) for s in STATES],
        str(_("尚未报送")),
        *[str(column.label) for column in columns],
        *[f"{c.title}·{name}" for c in by_child for name, _data in c.series],
    ]

    def line(scope: str, row: Row, index: int | None, label: str = "") -> list[Any]:
        extra = [
            data[index] if index is not None else "" for c in by_child for _name, data in c.series
        ]
        return [
            scope,
            label or row.label,
            row.units,
            row.members,
            row.expected,
            *[row.plans[s] for s in STATES],
            row.without_plan,
            *[cell.value for cell in row.cells],
            *extra,
        ]

    rows = [line(str(_("合计")), found.total, None, organization.name)]
    rows += [line(str(_("下级组织")), row, i) for i, row in enumerate(found.children)]
    rows += [line(str(_("领域")), row, None) for row in found.sectors]
    # The other charts (等次 over the subtree, the quarters) below, each its own
    # small table: a blank line, its title and series, a line per category.
    for chart in drawn:
        if chart in by_child or chart.key == "plans":
            continue
        rows.append([])
        rows.append([chart.title, *[str(name) for name, _data in chart.series]])
        rows += [
            [category, *["" if v is None else v for v in values]] for category, values in chart.rows
        ]
    return headers, rows


FORMATS = ("xlsx", "csv")


@login_required
@require_GET
def dashboard_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The page's figures (the same stored counts, the same scope) as XLSX or CSV."""
    if fmt not in FORMATS:
        raise Http404
    organization = selectors.organization_get(request.user, pk)
    _campaigns, campaign = _chosen(request, organization)
    if campaign is None:
        raise Http404
    found = progress(organization, campaign)
    headers, rows = export_rows(found, charts(found, campaign, organization), organization)
    data, content_type = tabular.write_table(fmt, headers, rows, title=str(_("工作进度")))
    response = HttpResponse(data, content_type=content_type)
    name = f"dashboard-{organization.pk}-{campaign.pk}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress over an organisation's subtree, per direct child and per sector."""
    organization = selectors.organization_get(request.user, pk)
    campaigns, campaign = _chosen(request, organization)
    if campaign is None:
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
        "link_lists": link_lists(request.user, campaign, organization),
    }
    drawn = charts(found, campaign, organization)
    context["charts"] = drawn
    context["chart_data"] = [chart.as_json() for chart in drawn]
    return render(request, "campaign/dashboard.html", context)
