"""What awards plugs into the lower apps: the home page's 待办 (a quota received
and neither handed down nor kept; places left to nominate; nominations waiting
for a level's endorsement, the office's 复审 and objections; returned ones), the
站内通知 of the moves that concern a nominating unit (同意推荐 by a level, 复审通过,
退回) and of an objection lodged (``objection_notice``, called by
``publicity.objection_add``), and the reminders of the 推荐 deadline and of 公示
ending."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from core import notify, reminders, todo


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
    """Rounds open for 推荐 whose deadline is within the lead days: the editors
    of each unit holding a quota in them, once per user and deadline (a user
    answering for several such units hears of them in one reminder)."""
    from awards.models import AwardRound, Quota
    from orgs.selectors import holders_by_unit

    quotas = list(
        Quota.objects.filter(
            amount__gt=0,
            category__round__state=AwardRound.State.NOMINATING,
            category__round__nomination_deadline__range=reminders.lead_window(today),
        )
        .select_related("category__round", "organization")
        .order_by("category__round_id", "organization__tree_id", "organization__lft", "category_id")
    )
    holders = holders_by_unit({quota.organization_id for quota in quotas})
    # per round, per user: the units they answer for, in tree order, each once
    found: dict[Any, dict[int, dict[int, Any]]] = {}
    for quota in quotas:
        per_user = found.setdefault(quota.category.round, {})
        for user_id in holders.get(quota.organization_id, []):
            per_user.setdefault(user_id, {}).setdefault(quota.organization_id, quota)
    for round_, per_user in found.items():
        for user_id, units in per_user.items():
            first = next(iter(units.values()))
            text = _("%(unit)s：%(round)s推荐将于 %(day)s 截止") % {
                "unit": "、".join(quota.organization.name for quota in units.values()),
                "round": round_.name,
                "day": round_.nomination_deadline.isoformat(),
            }
            url = reverse(
                "awards:quota",
                kwargs={"pk": first.category_id, "organization_pk": first.organization_id},
            )
            yield reminders.Due([user_id], round_, round_.nomination_deadline, text, url)


def _publicity_rounds() -> list[Any]:
    from awards.models import AwardRound

    return list(
        AwardRound.objects.filter(
            state=AwardRound.State.PUBLICITY, publicity_ends_at__isnull=False
        ).select_related("campaign__organization")
    )


def _office_of(rounds: list[Any]) -> dict[int, list[int]]:
    """The office of each round's campaign root: its direct ``REVIEW`` holders."""
    from orgs import selectors

    return selectors.holders_by_unit(
        {round_.campaign.organization_id for round_ in rounds}, selectors.REVIEW
    )


def _open_objections(rounds: list[Any]) -> dict[int, int]:
    from django.db.models import Count

    from awards.models import Objection

    return dict(
        Objection.objects.filter(round__in=rounds, state=Objection.State.OPEN)
        .order_by()
        .values("round_id")
        .annotate(n=Count("pk"))
        .values_list("round_id", "n")
    )


@reminders.register("awards.publicity_ending")
def publicity_ending(today: dt.date) -> Iterator[reminders.Due]:
    """A round in 公示 whose last day is ``AWARD_PUBLICITY_REMINDER_DAYS`` days
    away or nearer (from that day until the day before the last): its office,
    once per user and last day (the objections still open are counted in)."""
    from django.conf import settings

    from awards import publicity

    days = settings.AWARD_PUBLICITY_REMINDER_DAYS
    rounds = []
    for round_ in _publicity_rounds():
        last = publicity.last_day(round_)
        # N days before the last day, up to the day before it (0: on the day)
        until = last - dt.timedelta(days=1) if days else last
        if last - dt.timedelta(days=days) <= today <= until:
            rounds.append(round_)
    office = _office_of(rounds)
    waiting = _open_objections(rounds)
    for round_ in rounds:
        users = office.get(round_.campaign.organization_id)
        if not users:
            continue
        last = publicity.last_day(round_)
        text = _("%(round)s公示将于 %(day)s 结束") % {"round": round_.name, "day": last.isoformat()}
        if waiting.get(round_.pk):
            text += _("，还有 %(n)s 条异议待处理") % {"n": waiting[round_.pk]}
        url = reverse("awards:round_detail", kwargs={"pk": round_.pk})
        yield reminders.Due(users, round_, last, text, url)


@reminders.register("awards.publicity_objections")
def publicity_objections_open(today: dt.date) -> Iterator[reminders.Due]:
    """On the last day of a round's 公示 (or later, while the round waits in 公示),
    objections still open: its office, once per user and last day, to the
    objections page (表彰 waits until each is resolved)."""
    from awards import publicity

    rounds = [round_ for round_ in _publicity_rounds() if publicity.last_day(round_) <= today]
    waiting = _open_objections(rounds)
    rounds = [round_ for round_ in rounds if waiting.get(round_.pk)]
    office = _office_of(rounds)
    for round_ in rounds:
        users = office.get(round_.campaign.organization_id)
        if not users:
            continue
        last = publicity.last_day(round_)
        text = _("%(round)s公示期至 %(day)s 结束，还有 %(n)s 条异议未处理，处理完毕后才能表彰") % {
            "round": round_.name,
            "day": last.isoformat(),
            "n": waiting[round_.pk],
        }
        url = reverse("awards:objections", kwargs={"pk": round_.pk})
        yield reminders.Due(users, round_, last, text, url)


# ------------------------------------------------------------------ 站内通知


def _nomination_url(nomination: Any) -> str:
    return reverse("awards:nomination", kwargs={"pk": nomination.pk})


def _unit_notice(nomination: Any, text: str) -> notify.Notice:
    """The nominating unit's own staff (its direct holders), nobody above or beside it."""
    from orgs.selectors import unit_holders

    return notify.Notice(unit_holders([nomination.unit_id]), text, _nomination_url(nomination))


def _named(nomination: Any) -> dict[str, str]:
    return {
        "unit": nomination.unit.name,
        "name": nomination.subject_name,
        "category": nomination.category.name,
    }


@notify.register("awards.nomination", "endorse")
def nomination_endorsed(nomination: Any, actor: Any, reason: str) -> notify.Notice:
    """The unit hears which level agreed to recommend its nominee (层层推荐)."""
    from awards.models import Endorsement

    level = (
        Endorsement.objects.filter(
            nomination=nomination,
            cycle=nomination.cycle,
            decision=Endorsement.Decision.ENDORSED,
        )
        .select_related("organization")
        .order_by("-pk")
        .first()
    )
    text = _("%(unit)s推荐的%(name)s（%(category)s）已由%(level)s同意推荐") % {
        **_named(nomination),
        "level": level.organization.name if level is not None else "—",
    }
    return _unit_notice(nomination, text)


@notify.register("awards.nomination", "vet")
def nomination_vetted(nomination: Any, actor: Any, reason: str) -> notify.Notice:
    """The unit hears that the office passed its nominee at 组织复审."""
    text = _("%(unit)s推荐的%(name)s（%(category)s）已通过组织复审") % _named(nomination)
    return _unit_notice(nomination, text)


@notify.register("awards.nomination", "return")
def nomination_returned(nomination: Any, actor: Any, reason: str) -> notify.Notice:
    """The unit hears that the office returned its nominee, and why."""
    text = _("%(unit)s推荐的%(name)s（%(category)s）被退回：%(reason)s") % {
        **_named(nomination),
        "reason": reason,
    }
    return _unit_notice(nomination, text)
