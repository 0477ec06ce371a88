"""What awards plugs into the lower apps: the home page's 待办 (a quota received
and neither handed down nor kept; places left to nominate; nominations waiting
for a level's endorsement, the office's 复审 and objections; returned ones) and
the 推荐 deadline's reminder."""

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


def _live_rounds():
    from awards.models import AwardRound

    return AwardRound.objects.filter(
        state__in=[AwardRound.State.NOMINATING, AwardRound.State.PUBLICITY]
    ).select_related("campaign__organization")


@todo.register("awards.nominate")
def nominations_to_make(user: Any) -> list[todo.Todo]:
    """A unit the user answers for holds a quota of a round open for 推荐 and
    has places left (until the nomination deadline)."""
    from awards import nominations
    from awards.models import AwardRound

    lines = []
    for round_ in _live_rounds().filter(state=AwardRound.State.NOMINATING):
        if nominations.today() > round_.nomination_deadline:
            continue
        for category in round_.categories.all():
            for unit, quota, used in nominations.nominating_units(user, category):
                if used >= quota:
                    continue
                text = _("%(unit)s：%(round)s%(category)s还可推荐 %(n)s 个") % {
                    "unit": unit.name,
                    "round": round_.name,
                    "category": category.name,
                    "n": quota - used,
                }
                url = reverse(
                    "awards:nominate", kwargs={"pk": category.pk, "organization_pk": unit.pk}
                )
                lines.append(todo.Todo(text, quota - used, url))
    return lines


@todo.register("awards.review")
def nominations_waiting(user: Any) -> list[todo.Todo]:
    """推荐对象 waiting for the user: a level they review to endorse (层层推荐),
    the office's 组织复审 and objections, a unit's returned nominations."""
    from awards import nominations
    from awards.models import Nomination, Objection
    from orgs import selectors

    lines = []
    for round_ in _live_rounds():
        mine = nominations.nominations_for(user).filter(round=round_)
        url = reverse("awards:nominations", kwargs={"pk": round_.pk})
        rows = list(mine.filter(state=Nomination.State.ENDORSING)[:500])
        levels = nominations.waiting_levels(rows)
        endorsing = [
            n
            for n in rows
            if (level := levels.get(n.pk)) is not None
            and selectors.can(user, selectors.REVIEW, level)
        ]
        if endorsing:
            text = _("%(round)s：待审核的推荐对象 %(n)s 个") % {
                "round": round_.name,
                "n": len(endorsing),
            }
            lines.append(todo.Todo(text, len(endorsing), url + "?state=endorsing"))
        if nominations.is_office(user, round_):
            waiting = mine.filter(state=Nomination.State.ENDORSED).count()
            if waiting:
                text = _("%(round)s：待组织复审 %(n)s 个") % {"round": round_.name, "n": waiting}
                lines.append(todo.Todo(text, waiting, url + "?state=endorsed"))
            objections = round_.objections.filter(state=Objection.State.OPEN).count()
            if objections:
                text = _("%(round)s：待处理的公示异议 %(n)s 条") % {
                    "round": round_.name,
                    "n": objections,
                }
                lines.append(
                    todo.Todo(
                        text, objections, reverse("awards:objections", kwargs={"pk": round_.pk})
                    )
                )
        own = selectors.own_units(user, selectors.EDIT_MEMBERS)
        returned = mine.filter(state=Nomination.State.RETURNED, unit__in=own).count()
        if returned:
            text = _("%(round)s：被退回的推荐对象 %(n)s 个") % {"round": round_.name, "n": returned}
            lines.append(todo.Todo(text, returned, url + "?state=returned"))
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
