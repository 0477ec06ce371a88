"""讲评会 records and 自评陈述: the branch's meeting for a round, and each
subject's own account beside their published pledges and 践诺 for the period."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import audit
from orgs import selectors
from orgs.models import Organization
from pledges.models import Pledge, PledgeUpdate
from pledges.selectors import revision_items
from reviews.choices import EvaluatorKind
from reviews.models import Meeting, Review, ReviewRound, Statement
from reviews.services import ReviewError, locked_open

STATEMENT_MAX = 3000


# A record written outside a 进行中 round (locked_open's refusal).
NOT_OPEN = gettext_lazy("评议“%(round)s”当前为“%(state)s”，不能录入")


def meeting_save(
    *, round_: ReviewRound, unit: Organization, user: Any, values: dict[str, Any]
) -> Meeting:
    """The unit's 讲评会 for the round, by its secretary (or staff above); held
    on a day of the round and not in the future; attendees within the roll."""
    if not selectors.can(user, selectors.EDIT_MEMBERS, unit):
        raise ReviewError(_("只有“%(unit)s”或其上级可以录入讲评会") % {"unit": unit.name})
    with transaction.atomic():
        round_ = locked_open(round_.pk, NOT_OPEN)
        held_on: dt.date = values["held_on"]
        if held_on > timezone.localdate():
            raise ReviewError(_("召开日期不能晚于今天"))
        if not round_.opens_on <= held_on <= round_.closes_on:
            raise ReviewError(
                _("召开日期须在本轮评议的起止日期（%(opens)s至%(closes)s）之内")
                % {"opens": round_.opens_on.isoformat(), "closes": round_.closes_on.isoformat()}
            )
        roll = unit.members.count()
        if values["attendees"] > roll:
            raise ReviewError(
                _("参会党员 %(n)s 人，超过本支部党员人数 %(roll)s 人")
                % {"n": values["attendees"], "roll": roll}
            )
        meeting = (
            Meeting.objects.select_for_update().filter(round=round_, organization=unit).first()
        )
        before = audit.snapshot(meeting) if meeting else None
        meeting = meeting or Meeting(round=round_, organization=unit)
        for name in ("held_on", "place", "attendees", "public_attendees", "minutes"):
            setattr(meeting, name, values[name])
        meeting.entered_by = user if getattr(user, "is_authenticated", False) else None
        try:
            meeting.full_clean()
        except ValidationError as exc:
            raise ReviewError("；".join(exc.messages)) from None
        meeting.save()
        audit.record(
            meeting,
            audit.Action.CREATE if before is None else audit.Action.UPDATE,
            before,
            organization_id=unit.pk,
        )
    return meeting


def may_state(user: Any, review: Review) -> bool:
    """The member themself, or the unit's editors (for a member without a login,
    or a unit's own statement)."""
    own = selectors.own_member(user)
    if review.member_id is not None and own is not None and own.pk == review.member_id:
        return True
    return selectors.can(user, selectors.EDIT_MEMBERS, review.organization)


def statement_save(*, review: Review, user: Any, text: str) -> Statement:
    text = (text or "").strip()
    if not text:
        raise ReviewError(_("请填写陈述内容"))
    if len(text) > STATEMENT_MAX:
        raise ReviewError(
            _("陈述内容 %(n)s 字，超过 %(max)s 字") % {"n": len(text), "max": STATEMENT_MAX}
        )
    if not may_state(user, review):
        raise ReviewError(_("只有本人或本支部可以填写自评陈述"))
    with transaction.atomic():
        round_ = locked_open(review.round_id, NOT_OPEN)
        if not round_.kind.evaluators.filter(evaluator=EvaluatorKind.SELF).exists():
            raise ReviewError(_("“%(kind)s”不含自评陈述") % {"kind": round_.kind.name})
        statement = Statement.objects.select_for_update().filter(review=review).first()
        before = audit.snapshot(statement) if statement else None
        statement = statement or Statement(review=review)
        own = selectors.own_member(user)
        statement.text = text
        statement.on_behalf = not (
            review.member_id and own is not None and own.pk == review.member_id
        )
        statement.entered_by = user if getattr(user, "is_authenticated", False) else None
        statement.save()
        audit.record(
            statement,
            audit.Action.CREATE if before is None else audit.Action.UPDATE,
            before,
            organization_id=review.organization_id,
        )
    return statement


def pledges_for_period(review: Review) -> list[tuple[Pledge, list[Any], list[PledgeUpdate]]]:
    """The subject's published pledges in the round's campaign, each with its 践诺
    entries dated within the round: what the statement stands beside."""
    round_ = review.round
    pledges = Pledge.objects.filter(
        campaign_id=round_.campaign_id,
        organization_id=review.organization_id,
        state=Pledge.State.PUBLISHED,
    ).order_by("pk")
    if review.member_id is None:
        pledges = pledges.filter(member__isnull=True)
    else:
        pledges = pledges.filter(member_id=review.member_id)
    found = []
    for pledge in pledges:
        updates = list(
            pledge.updates.filter(
                happened_on__gte=round_.opens_on, happened_on__lte=round_.closes_on
            ).order_by("happened_on", "pk")
        )
        found.append((pledge, revision_items(pledge, pledge.published_revision), updates))
    return found
