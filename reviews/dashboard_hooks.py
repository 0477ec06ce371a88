"""What reviews adds to the 工作进度 dashboard: the columns over its stored counts
(``reviews.tallying``: 整改, 满意率) and the charts of 整改 by child, 等次
distribution of the latest closed round of each review kind, and 满意率 by
child against the target. Imported from ``reviews.hooks``.

Each chart source makes a constant number of queries whatever the subtree's
size: it reads the rows ``campaign.dashboard.progress`` already summed, or the
stored counts of the organisation itself.
"""

from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign import trends
from campaign.dashboard import Chart, Column, Progress, register_charts, register_columns
from campaign.models import Campaign
from orgs import selectors
from orgs.models import Organization, OrganizationTally
from reviews.tallying import (
    OPEN,
    OPENED,
    OVERDUE,
    RECTIFY,
    SATISFACTION,
    SATISFIED,
    VALID,
    VERIFIED,
    grade_key,
)

# The 满意率 line when the campaign's surveys name none (seed 003: 90 %).
DEFAULT_TARGET = Decimal(90)


def _rectify_list(extra: str) -> Any:
    def link(campaign: Campaign, organization: Organization) -> str:
        return (
            f"{reverse('reviews:rectify_list')}?campaign={campaign.pk}"
            f"&organization={organization.pk}{extra}"
        )

    return link


register_columns(
    RECTIFY,
    columns=(
        Column(
            OPEN,
            gettext_lazy("整改未核验"),
            gettext_lazy("整改未核验"),
            link=_rectify_list("&state=unverified"),
        ),
        Column(
            OVERDUE,
            gettext_lazy("整改逾期"),
            gettext_lazy("整改已逾期"),
            link=_rectify_list("&overdue=1"),
        ),
        Column(
            VERIFIED,
            gettext_lazy("整改已核验"),
            gettext_lazy("整改已核验"),
            wide_only=True,
            link=_rectify_list("&state=verified"),
        ),
    ),
)
register_columns(
    SATISFACTION,
    columns=(
        Column(VALID, gettext_lazy("有效评价"), gettext_lazy("群众评议有效评价"), wide_only=True),
        Column(
            SATISFIED, gettext_lazy("满意评价"), gettext_lazy("群众评议满意评价"), wide_only=True
        ),
    ),
)


def rate(counts: dict[str, dict[str, int]]) -> float | None:
    """满意率 (%) of a row: satisfied over valid answers of the subtree."""
    figures = counts.get(SATISFACTION, {})
    valid = figures.get(VALID, 0)
    if not valid:
        return None
    return round(100.0 * figures.get(SATISFIED, 0) / valid, 2)


def target(campaign: Campaign) -> Decimal:
    from reviews.models_surveys import Survey

    found = Survey.objects.filter(campaign=campaign).aggregate(t=Max("target"))["t"]
    return Decimal(found) if found else DEFAULT_TARGET


def rectify_charts(found: Progress, campaign: Campaign, organization: Organization) -> list[Chart]:
    if not found.children:
        return []
    rows = found.children
    return [
        Chart(
            "rectify",
            _("整改（按下级组织）"),
            [row.label for row in rows],
            [
                (_("未核验"), [row.counts.get(RECTIFY, {}).get(OPEN, 0) for row in rows]),
                (_("已逾期"), [row.counts.get(RECTIFY, {}).get(OVERDUE, 0) for row in rows]),
            ],
        )
    ]


def satisfaction_charts(
    found: Progress, campaign: Campaign, organization: Organization
) -> list[Chart]:
    """满意率 by child and by quarter against the target; none when nothing was
    answered. Two queries: the target, the organisation's quarter figures."""
    if not found.total.counts.get(SATISFACTION, {}).get(VALID, 0):
        return []
    line = float(target(campaign))
    drawn = []
    if found.children:
        drawn.append(
            Chart(
                "satisfaction",
                _("群众满意率（按下级组织，目标 %(t)s%%）") % {"t": f"{line:g}"},
                [row.label for row in found.children],
                [(_("满意率"), [rate(row.counts) for row in found.children])],
                percent=True,
                target=line,
            )
        )
    # the answers given in each quarter of the campaign over the subtree
    codes, (satisfied, valid) = trends.read(
        campaign,
        organization,
        [trends.Series(SATISFACTION, SATISFIED, ""), trends.Series(SATISFACTION, VALID, "")],
    )
    drawn.append(
        Chart(
            "satisfaction-trend",
            _("群众满意率（按季度，目标 %(t)s%%）") % {"t": f"{line:g}"},
            [trends.quarter_label(code) for code in codes],
            [
                (
                    _("满意率"),
                    [
                        round(100.0 * s / v, 2) if v else None
                        for s, v in zip(satisfied, valid, strict=True)
                    ],
                )
            ],
            percent=True,
            target=line,
            line=True,
        )
    )
    return drawn


def latest_rounds(campaign: Campaign, organization: Organization) -> list[list[Any]]:
    """The rounds whose grades the page shows: per review kind, those of its
    latest closed (已结束/已公布) period over the organisation (a round over it or
    inside it: the streets' rounds of one period add up)."""
    from reviews.models import ReviewRound

    rounds = (
        ReviewRound.objects.filter(
            campaign=campaign,
            state__in=(ReviewRound.State.CLOSED, ReviewRound.State.PUBLISHED),
        )
        .filter(
            selectors.ancestors_q(organization, "organization__", include_self=True)
            | selectors.subtree_q(organization, "organization__")
        )
        .select_related("kind")
        .order_by("kind_id", "-closes_on", "-pk")
    )
    latest: dict[int, list[Any]] = {}
    for round_ in rounds:
        kept = latest.setdefault(round_.kind_id, [])
        if not kept or kept[0].period == round_.period:
            kept.append(round_)
    return list(latest.values())


def grade_charts(found: Progress, campaign: Campaign, organization: Organization) -> list[Chart]:
    """等次 distribution of each kind's latest closed round, over the subtree and
    stacked per child: three queries (rounds, grade bands, the stored counts of
    the organisation and its children)."""
    from reviews.models import GradeBand

    groups = latest_rounds(campaign, organization)
    if not groups:
        return []
    kinds = [group[0].kind_id for group in groups]
    bands: dict[int, list[tuple[int, str]]] = {}
    for pk, kind_id, label in (
        GradeBand.objects.filter(kind_id__in=kinds)
        .order_by("kind_id", "position", "pk")
        .values_list("pk", "kind_id", "label")
    ):
        bands.setdefault(kind_id, []).append((pk, label))
    keys = {
        grade_key(campaign.pk, round_.pk, band): (round_.kind_id, band)
        for group in groups
        for round_ in group
        for band, _label in bands.get(round_.kind_id, [])
    }
    children = [row.organization.pk for row in found.children if row.organization is not None]
    # (organisation, kind, band) → graded subjects in the organisation's subtree
    counts: dict[tuple[int, int, int], int] = {}
    for organization_id, key, n in OrganizationTally.objects.filter(
        organization_id__in=[organization.pk, *children], key__in=list(keys)
    ).values_list("organization_id", "key", "subtree"):
        at = (organization_id, *keys[key])
        counts[at] = counts.get(at, 0) + n
    drawn = []
    for group in groups:
        kind = group[0].kind
        labels = bands.get(kind.pk, [])
        values = [counts.get((organization.pk, kind.pk, band), 0) for band, _label in labels]
        if not any(values):
            continue
        names = {"period": group[0].period, "kind": kind.name}
        drawn.append(
            Chart(
                f"grades-{kind.pk}",
                _("%(period)s%(kind)s等次分布") % names,
                [label for _band, label in labels],
                [(_("评议对象数"), values)],
            )
        )
        if children:
            drawn.append(
                Chart(
                    f"grades-{kind.pk}-children",
                    _("%(period)s%(kind)s等次（按下级组织）") % names,
                    [row.label for row in found.children],
                    [
                        (label, [counts.get((pk, kind.pk, band), 0) for pk in children])
                        for band, label in labels
                    ],
                    stacked=True,
                )
            )
    return drawn


register_charts("reviews.rectify", rectify_charts)
register_charts("reviews.grades", grade_charts)
register_charts("reviews.satisfaction", satisfaction_charts)
trends.register("rectify.opened", trends.Series(RECTIFY, OPENED, gettext_lazy("整改交办")))
trends.register("rectify.verified", trends.Series(RECTIFY, VERIFIED, gettext_lazy("整改核验")))
# Awards (nominations, awards) add their columns and charts the same way, from
# awards' own hooks: register_columns("awards", …) over a tally counter kept in
# awards' services, and register_charts("awards", …).
