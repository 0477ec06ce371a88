"""What reviews plugs into the lower apps: the data-file section of ``load_campaign``,
the results, documents and export jobs, the home page's 待办 (the grids
waiting for the user's units), and the 评议进度 links of the campaign dashboard."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.bulletins import register_source_link
from campaign.dashboard import register_links
from campaign.models import Campaign
from core import notify, reminders, todo
from orgs.models import Organization
from reviews import (  # noqa: F401 (registers the job kinds and the review_kinds section)
    documents,
    jobs,
    loading,
    rectify_documents,
    spotcheck_documents,
    survey_slips,
)
from reviews.sheets import own_grids


@register_source_link(spotcheck_documents.BULLETIN_SOURCE)
def spot_check_round_link(user: Any, pk: int) -> str:
    """A 检查通报 bulletin links back to its round, for those who see the round."""
    if spotcheck_documents.readable(user, pk) is None:
        return ""
    return reverse("reviews:spotcheck_detail", kwargs={"pk": pk})


@todo.register("reviews.grid")
def grids_waiting(user: Any) -> list[todo.Todo]:
    """Each open round's grid of a unit the user answers for, until all are submitted."""
    lines = []
    for grid in own_grids(user):
        left = grid.subjects - grid.submitted
        if left <= 0:
            continue
        text = _("%(unit)s：%(round)s待评分（已提交 %(done)s/%(total)s）") % {
            "unit": grid.unit.name,
            "round": grid.round,
            "done": grid.submitted,
            "total": grid.subjects,
        }
        url = reverse("reviews:grid", kwargs={"pk": grid.round.pk, "organization_pk": grid.unit.pk})
        lines.append(todo.Todo(text, left, url))
    return lines


@todo.register("reviews.peer")
def peers_waiting(user: Any) -> list[todo.Todo]:
    """党员互评 the member has not finished: co-members without their submitted sheet."""
    from orgs import selectors
    from reviews.models import Review, ScoreSheet
    from reviews.selectors import peer_rounds

    own = selectors.own_member(user)
    if own is None:
        return []
    lines = []
    for round_ in peer_rounds(user):
        co = Review.objects.filter(
            round=round_, organization_id=own.organization_id, member__isnull=False
        ).exclude(member=own)
        done = ScoreSheet.objects.filter(
            review__in=co,
            evaluator="peer",
            evaluator_key=f"u{user.pk}",
            state=ScoreSheet.State.SUBMITTED,
        ).count()
        left = co.count() - done
        if left > 0:
            text = _("%(round)s：党员互评还有 %(n)s 人未评") % {"round": round_, "n": left}
            lines.append(todo.Todo(text, left, reverse("reviews:peer", kwargs={"pk": round_.pk})))
    return lines


@todo.register("reviews.upward")
def upward_waiting(user: Any) -> list[todo.Todo]:
    """下级评上级 the user's unit has not submitted yet."""
    from reviews.models import Review, ScoreSheet
    from reviews.selectors import upward_rounds

    lines = []
    for round_, unit in upward_rounds(user):
        done = ScoreSheet.objects.filter(
            review__in=Review.objects.filter(
                round=round_, organization_id=unit.parent_id, member__isnull=True
            ),
            evaluator="upward",
            evaluator_key=f"o{unit.pk}",
            state=ScoreSheet.State.SUBMITTED,
        ).exists()
        if not done:
            text = _("%(round)s：%(unit)s待评议上级党组织") % {"round": round_, "unit": unit.name}
            url = reverse("reviews:upward", kwargs={"pk": round_.pk, "organization_pk": unit.pk})
            lines.append(todo.Todo(text, 1, url))
    return lines


@todo.register("reviews.comment")
def comments_waiting(user: Any) -> list[todo.Todo]:
    """领导点评 a contact-point leader has not submitted on their units yet."""
    from reviews.models import ScoreSheet
    from reviews.selectors import comment_rounds

    lines = []
    for round_, units in comment_rounds(user):
        done = ScoreSheet.objects.filter(
            review__round=round_,
            review__organization_id__in=units,
            review__member__isnull=True,
            evaluator="leader",
            evaluator_key=f"u{user.pk}",
            state=ScoreSheet.State.SUBMITTED,
        ).count()
        left = len(units) - done
        if left > 0:
            text = _("%(round)s：联系点还有 %(n)s 个单位待点评") % {"round": round_, "n": left}
            lines.append(
                todo.Todo(text, left, reverse("reviews:comment", kwargs={"pk": round_.pk}))
            )
    return lines


# The dashboard lists at most this many rounds, newest first (a district's
# page could reach every committee's rounds of the campaign).
PROGRESS_LINKS = 20


def progress_links(
    user: Any, campaign: Campaign, organization: Organization
) -> list[tuple[str, str]]:
    """评议进度 of the campaign's rounds over the organisation (a district round
    reaches a street's page) or inside it, for those who review where it leads:
    the organisation's own part of a round above it, a round inside it whole."""
    from orgs import selectors
    from reviews.selectors import rounds_for

    rounds = (
        rounds_for(user)
        .filter(campaign=campaign)
        .filter(
            selectors.ancestors_q(organization, "organization__", include_self=True)
            | selectors.subtree_q(organization, "organization__")
        )
        .order_by("-opens_on", "-pk")[:PROGRESS_LINKS]
    )
    links = []
    for round_ in rounds:
        above = selectors.contains(round_.organization, organization)
        unit = organization if above else round_.organization
        if not selectors.can(user, selectors.REVIEW, unit):
            continue
        url = reverse("reviews:progress", kwargs={"pk": round_.pk})
        label = _("%(round)s（%(state)s）") % {
            "round": round_,
            "state": round_.get_state_display(),
        }
        if above:
            url += f"?organization={organization.pk}"
        else:
            label += f" · {round_.organization.name}"
        links.append((label, url))
    return links


register_links("reviews.progress", gettext_lazy("评议进度"), progress_links)


# ------------------------------------------------------------------ 整改 (issue 11)


@todo.register("reviews.rectify_own")
def rectifications_own(user: Any) -> list[todo.Todo]:
    """Each own unit's open items (待整改, 整改中), and how many of them are overdue."""
    from orgs import selectors
    from reviews import rectify
    from reviews.models_rectify import Rectification

    units = list(selectors.own_units(user))
    if not units:
        return []
    # One grouped query whatever the number of units (the home page's cost stays flat).
    counts = {
        row["organization_id"]: row
        for row in Rectification.objects.filter(
            state__in=rectify.OPEN_STATES, organization__in=units
        )
        .values("organization_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=rectify.overdue_q()))
    }
    lines = []
    base = reverse("reviews:rectify_list")
    for unit in units:
        row = counts.get(unit.pk)
        if row is None:
            continue
        query = f"?unit={unit.pk}"
        lines.append(
            todo.Todo(
                _("%(unit)s：整改事项待落实 %(n)s 项") % {"unit": unit.name, "n": row["n"]},
                row["n"],
                base + query,
            )
        )
        if row["late"]:
            lines.append(
                todo.Todo(
                    _("%(unit)s：整改事项已逾期 %(n)s 项") % {"unit": unit.name, "n": row["late"]},
                    row["late"],
                    base + query + "&overdue=1",
                )
            )
    return lines


@todo.register("reviews.rectify_verify")
def rectifications_to_verify(user: Any) -> list[todo.Todo]:
    """Items 已完成 below the units the user reviews, waiting to be verified."""
    from reviews import rectify

    if not selectors_can_review(user):
        return []
    n, shown = todo.capped(rectify.to_verify(user))
    url = reverse("reviews:rectify_list") + "?state=done&below=1"
    return [todo.Todo(_("整改事项待核验 %(n)s 项") % {"n": shown}, n, url)] if n else []


@todo.register("reviews.rectify_overdue_below")
def rectifications_overdue_below(user: Any) -> list[todo.Todo]:
    """Overdue items of the units below those the user reviews (the parent sees them)."""
    from orgs import selectors
    from reviews import rectify
    from reviews.models_rectify import Rectification

    if not selectors_can_review(user):
        return []
    q = selectors.scope_q(user, selectors.REVIEW, prefix="organization__parent__")
    found = Rectification.objects.filter(rectify.overdue_q())
    if q is not None:
        found = found.filter(q)
    n, shown = todo.capped(found)
    url = reverse("reviews:rectify_list") + "?overdue=1&below=1"
    return [todo.Todo(_("下级整改事项逾期 %(n)s 项") % {"n": shown}, n, url)] if n else []


def selectors_can_review(user: Any) -> bool:
    from orgs import selectors

    return selectors.can_anywhere(user, selectors.REVIEW)


def rectification_links(
    user: Any, campaign: Campaign, organization: Organization
) -> list[tuple[str, str]]:
    """整改 on the dashboard: the organisation's subtree's items in the campaign,
    open and overdue, linked to the filtered list."""
    from orgs import selectors
    from reviews import rectify

    if not selectors.can(user, selectors.READ_RECORDS, organization):
        return []
    found = rectify.rectifications_for(user).filter(
        selectors.subtree_q(organization, "organization__"), campaign=campaign
    )
    base = (
        reverse("reviews:rectify_list") + f"?campaign={campaign.pk}&organization={organization.pk}"
    )
    open_n = found.filter(state__in=rectify.OPEN_STATES).count()
    late = found.filter(rectify.overdue_q()).count()
    done = found.filter(state="done").count()
    return [
        (_("未完成 %(n)s 项") % {"n": open_n}, base),
        (_("已逾期 %(n)s 项") % {"n": late}, base + "&overdue=1"),
        (_("待核验 %(n)s 项") % {"n": done}, base + "&state=done"),
    ]


register_links("reviews.rectify", gettext_lazy("整改"), rectification_links)


def _review_link(source_id: int) -> str:
    return reverse("reviews:subject", kwargs={"review_pk": source_id})


def _spot_check_link(source_id: int) -> str:
    from reviews.models_spotcheck import SpotCheck

    check = SpotCheck.objects.filter(pk=source_id).values("round_id", "organization_id").first()
    if check is None:
        return ""
    return reverse(
        "reviews:spotcheck_check",
        kwargs={"pk": check["round_id"], "organization_pk": check["organization_id"]},
    )


def _survey_opinions_link(source_id: int) -> str:
    return reverse("reviews:survey_opinions", kwargs={"subject_pk": source_id})


def _register_sources() -> None:
    from reviews.rectify import SourceKind, register_source_link

    register_source_link(SourceKind.REVIEW_OPINION)(_review_link)
    register_source_link(SourceKind.LEADER_COMMENT)(_review_link)
    register_source_link(SourceKind.SPOT_CHECK)(_spot_check_link)
    register_source_link(SourceKind.SURVEY_OPINION)(_survey_opinions_link)


_register_sources()


@todo.register("reviews.survey_tally")
def survey_tallies_waiting(user: Any) -> list[todo.Todo]:
    """群众评议 under way in which the user's own unit is a subject and its paper
    forms (纸质评议) are not entered yet; for a survey of members, one line per
    unit with the number of its members still without, to the first of them
    (the tally page lists the others)."""
    from django.db.models import Count, Min
    from django.utils import timezone

    from orgs import selectors
    from orgs.models import Organization
    from reviews.models_surveys import Survey, SurveySubject

    today = timezone.localdate()
    units = selectors.own_units(user).values("pk")
    waiting = SurveySubject.objects.filter(
        organization__in=units,
        survey__opens_on__lte=today,
        survey__closes_on__gte=today,
        tallies__isnull=True,
    )
    subjects = (
        waiting.filter(member__isnull=True)
        .select_related("survey", "organization")
        .order_by("survey__closes_on", "pk")[:20]
    )
    lines = [
        todo.Todo(
            _("%(unit)s：%(survey)s纸质评议结果待录入（%(day)s 截止）")
            % {"unit": s.organization.name, "survey": s.survey.title, "day": s.survey.closes_on},
            1,
            reverse("reviews:survey_tally", kwargs={"subject_pk": s.pk}),
        )
        for s in subjects
    ]
    groups = list(
        waiting.filter(member__isnull=False)
        .values("survey_id", "organization_id")
        .annotate(n=Count("pk"), first=Min("pk"))
        .order_by("survey_id", "organization_id")[:20]
    )
    surveys = Survey.objects.in_bulk({g["survey_id"] for g in groups})
    names = dict(
        Organization.objects.filter(pk__in={g["organization_id"] for g in groups}).values_list(
            "pk", "name"
        )
    )
    for g in groups:
        survey = surveys[g["survey_id"]]
        lines.append(
            todo.Todo(
                _("%(unit)s：%(survey)s %(n)s 名党员的纸质评议结果待录入（%(day)s 截止）")
                % {
                    "unit": names[g["organization_id"]],
                    "survey": survey.title,
                    "n": g["n"],
                    "day": survey.closes_on,
                },
                g["n"],
                reverse("reviews:survey_tally", kwargs={"subject_pk": g["first"]}),
            )
        )
    return lines


# ------------------------------------------------------------------ notices and reminders (issue 13)


def _rectify_notice(item: Any, text: str) -> notify.Notice:
    from orgs.selectors import unit_holders

    url = reverse("reviews:rectify_detail", kwargs={"pk": item.pk})
    return notify.Notice(unit_holders([item.organization_id]), text, url)


@notify.register("reviews.rectification", "verify")
def rectification_verified(item: Any, actor: Any, reason: str) -> notify.Notice:
    """The unit's editors hear that the level above verified their item (核验)."""
    text = _("%(unit)s的整改事项已核验：%(item)s") % {
        "unit": item.organization.name,
        "item": item.description[:60],
    }
    return _rectify_notice(item, text)


@notify.register("reviews.rectification", "redo")
def rectification_redo(item: Any, actor: Any, reason: str) -> notify.Notice:
    """The unit's editors hear that their item was sent back (重新整改), and why."""
    text = _("%(unit)s的整改事项需重新整改：%(reason)s") % {
        "unit": item.organization.name,
        "reason": reason,
    }
    return _rectify_notice(item, text)


@reminders.register("reviews.round_closing")
def rounds_closing(today: dt.date) -> Iterator[reminders.Due]:
    """Open rounds closing within the lead days: each unit's editors whose grid
    still has subjects without a submitted sheet (the 待办's ``grids_waiting``)."""
    from django.contrib.auth import get_user_model

    from orgs import selectors
    from orgs.models import RoleGrant
    from reviews.models import ReviewRound

    start, end = reminders.lead_window(today)
    rounds = list(
        ReviewRound.objects.filter(state=ReviewRound.State.OPEN, closes_on__range=(start, end))
    )
    if not rounds:
        return
    inside = Q()
    for round_ in rounds:
        inside |= selectors.subtree_q(round_.organization, "organization__")
    holders = RoleGrant.objects.filter(
        inside, role__in=selectors.EDIT_MEMBERS, user__is_active=True
    )
    wanted = {round_.pk for round_ in rounds}
    for user in get_user_model().objects.filter(pk__in=holders.values("user_id")).order_by("pk"):
        with selectors.grants_read_once():
            grids = own_grids(user)
        for grid in grids:
            if grid.round.pk not in wanted or grid.subjects <= grid.submitted:
                continue
            text = _("%(unit)s：%(round)s将于 %(day)s 截止，还有 %(n)s 个对象待评分") % {
                "unit": grid.unit.name,
                "round": grid.round,
                "day": grid.round.closes_on.isoformat(),
                "n": grid.subjects - grid.submitted,
            }
            url = reverse(
                "reviews:grid", kwargs={"pk": grid.round.pk, "organization_pk": grid.unit.pk}
            )
            yield reminders.Due([user.pk], grid.round, grid.round.closes_on, text, url)


def _open_items(**filters: Any) -> Iterator[tuple[Any, list[int]]]:
    from orgs.selectors import holders_by_unit
    from reviews import rectify
    from reviews.models_rectify import Rectification

    items = list(
        Rectification.objects.filter(state__in=rectify.OPEN_STATES, **filters)
        .select_related("organization")
        .order_by("due_on", "pk")
    )
    holders = holders_by_unit({item.organization_id for item in items})
    for item in items:
        if item.organization_id in holders:
            yield item, holders[item.organization_id]


@reminders.register("reviews.rectify_due")
def rectifications_due(today: dt.date) -> Iterator[reminders.Due]:
    """Open 整改 items due within the lead days, to the unit's editors."""
    for item, users in _open_items(due_on__range=reminders.lead_window(today)):
        text = _("%(unit)s的整改事项将于 %(day)s 到期：%(item)s") % {
            "unit": item.organization.name,
            "day": item.due_on.isoformat(),
            "item": item.description[:60],
        }
        url = reverse("reviews:rectify_detail", kwargs={"pk": item.pk})
        yield reminders.Due(users, item, item.due_on, text, url)


@reminders.register("reviews.rectify_overdue")
def rectifications_overdue(today: dt.date) -> Iterator[reminders.Due]:
    """Open 整改 items past their due date, once per item and due date."""
    for item, users in _open_items(due_on__lt=today):
        text = _("%(unit)s的整改事项已逾期（期限 %(day)s）：%(item)s") % {
            "unit": item.organization.name,
            "day": item.due_on.isoformat(),
            "item": item.description[:60],
        }
        url = reverse("reviews:rectify_detail", kwargs={"pk": item.pk})
        yield reminders.Due(users, item, item.due_on, text, url)


# ------------------------------------------------------------------ 工作进度 (issue 13)
# Columns and charts over the stored counts of reviews.tallying (the counters
# register on import).
from reviews import dashboard_hooks  # noqa: E402, F401
