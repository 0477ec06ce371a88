"""What awards plugs into the lower apps: the home page's 待办 (a quota received
and neither handed down nor kept) and the 推荐 deadline's reminder."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from core import reminders, todo


@todo.register("awards.quota")
def quotas_waiting(user: Any) -> list[todo.Todo]:
    """One line per quota a unit the user answers for received and has not yet
    allocated to its children or confirmed keeping."""
    from awards.quotas import waiting_quotas

    lines = []
    for quota in waiting_quotas(user):
        text = _("%(unit)s：%(round)s%(category)s名额 %(n)s 个待分配或确认") % {
            "unit": quota.organization.name,
            "round": quota.category.round.name,
            "category": quota.category.name,
            "n": quota.amount,
        }
        url = reverse(
            "awards:quota",
            kwargs={"pk": quota.category_id, "organization_pk": quota.organization_id},
        )
        lines.append(todo.Todo(text, 1, url))
    return lines


@reminders.register("awards.nomination_deadline")
def nominations_due(today: dt.date) -> Iterator[reminders.Due]:
    """Award rounds whose 推荐 deadline is within the lead days: the editors of
    each unit holding a quota in them."""
    from awards.models import Quota
    from orgs.selectors import holders_by_unit

    quotas = list(
        Quota.objects.filter(
            amount__gt=0,
            category__round__nomination_deadline__range=reminders.lead_window(today),
        )
        .select_related("category__round", "organization")
        .order_by("category__round_id", "organization_id", "category_id")
    )
    holders = holders_by_unit({quota.organization_id for quota in quotas})
    seen: set[tuple[int, int]] = set()
    for quota in quotas:
        round_ = quota.category.round
        key = (round_.pk, quota.organization_id)
        if key in seen or quota.organization_id not in holders:
            continue
        seen.add(key)
        text = _("%(unit)s：%(round)s推荐将于 %(day)s 截止") % {
            "unit": quota.organization.name,
            "round": round_.name,
            "day": round_.nomination_deadline.isoformat(),
        }
        url = reverse(
            "awards:quota",
            kwargs={"pk": quota.category_id, "organization_pk": quota.organization_id},
        )
        yield reminders.Due(
            holders[quota.organization_id], round_, round_.nomination_deadline, text, url
        )
