"""Trends by quarter on the 工作进度 dashboard: what happened in each quarter of
the campaign over a subtree (plans accepted, pledges published and honoured,
rectifications opened and verified, 满意率 of the answers given).

A quarter's figure is a stored count (``orgs.tallies``) like the dashboard's
others, kept by the counter that keeps the current figure, in the same
``tallies.follow``/``adjust`` of the same write: a record that counts under
``<counter>.<campaign>.<figure>`` also counts under ``quarter_key(counter,
campaign, when, figure)``, ``<counter>.q.<campaign>.<2011q3>.<figure>``, for
the date the event happened (a plan's 备案, a pledge's 公示, …). The ``q``
keeps them out of the prefix ``<counter>.<campaign>.`` the dashboard reads its
class figures by. So the page reads a subtree's quarters in one query of the
organisation's own rows, whatever the subtree's size, and ``check_tallies``
recounts them with the rest.

Apps register the series they keep with ``register`` (the ``register_columns``
idiom); campaign registers 方案备案.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.models import Campaign
from orgs.models import Organization, OrganizationTally

INFIX = "q"


def quarter(when: dt.date | dt.datetime) -> str:
    """The quarter a date or moment falls in (a moment in local time): ``2011q3``."""
    if isinstance(when, dt.datetime):
        when = timezone.localtime(when).date() if timezone.is_aware(when) else when.date()
    return f"{when.year}q{(when.month - 1) // 3 + 1}"


def quarter_key(counter: str, campaign_id: int, when: dt.date | dt.datetime, figure: str) -> str:
    """The stored count of ``figure`` of ``counter`` in the quarter of ``when``."""
    return f"{counter}.{INFIX}.{campaign_id}.{quarter(when)}.{figure}"


def recounted(
    rows: QuerySet[Any],
    counter: str,
    when: str,
    figure: str,
    *,
    organization: str = "organization_id",
    campaign: str = "campaign_id",
) -> Iterator[tuple[int, str, int]]:
    """A counter's quarter figures recounted (``orgs.tallies.register``): ``rows``
    per organisation, campaign and quarter of the date or moment field ``when``,
    one grouped query; the quarter is the database's truncation in local time."""
    grouped = (
        rows.filter(**{f"{when}__isnull": False})
        .order_by()
        .annotate(quarter_start=TruncQuarter(when))
        .values_list(organization, campaign, "quarter_start")
        .annotate(n=Count("pk"))
    )
    for organization_id, campaign_id, start, n in grouped:
        yield organization_id, quarter_key(counter, campaign_id, start, figure), n


def quarter_label(code: str) -> str:
    year, _q, n = code.partition("q")
    return _("%(year)s年第%(n)s季度") % {"year": year, "n": n}


def quarters(campaign: Campaign, today: dt.date | None = None) -> list[str]:
    """The campaign's quarters, from its start to its end or to this quarter."""
    today = today or timezone.localdate()
    last = min(campaign.end_date, max(today, campaign.start_date))
    found = []
    year, q = campaign.start_date.year, (campaign.start_date.month - 1) // 3
    while (year, q) <= (last.year, (last.month - 1) // 3):
        found.append(f"{year}q{q + 1}")
        year, q = (year + 1, 0) if q == 3 else (year, q + 1)
    return found


@dataclass(frozen=True)
class Series:
    """A figure counted by quarter: ``counter``'s ``figure``, shown as ``label``."""

    counter: str
    figure: str
    label: Any


_series: dict[str, Series] = {}


def register(name: str, series: Series) -> None:
    """Add a series to the quarterly chart (shown in registration order);
    registering the same name again replaces it."""
    _series[name] = series


def registered() -> list[Series]:
    return list(_series.values())


def read(
    campaign: Campaign, organization: Organization, series: Sequence[Series]
) -> tuple[list[str], list[list[int]]]:
    """The quarters and each series' figure in them over the organisation's
    subtree: one query of the organisation's own stored rows."""
    codes = quarters(campaign)
    keys = {
        f"{s.counter}.{INFIX}.{campaign.pk}.{code}.{s.figure}": (i, j)
        for i, s in enumerate(series)
        for j, code in enumerate(codes)
    }
    values = [[0] * len(codes) for _s in series]
    if keys:
        for key, n in OrganizationTally.objects.filter(
            organization_id=organization.pk, key__in=list(keys)
        ).values_list("key", "subtree"):
            i, j = keys[key]
            values[i][j] = n
    return codes, values
