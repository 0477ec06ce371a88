"""The round's own moves (开始推荐 → 公示 → 表彰) and the objections of 公示.

- ``open`` (筹备 → 推荐评审): the office starts nominations.
- ``publish`` (推荐评审 → 公示中): the office publishes the 复审通过 list for
  the round's ``publicity_days``; refused while nothing is vetted or a
  nomination still waits for 组织复审 (the office decides it first).
- ``finalise`` (公示中 → 已表彰): after 公示 has ended, with no objection open;
  the decision gets its 文号 from the campaign root's ``DocumentSequence``
  (``core.documents``: numbered under the counter's lock, rolled back with the
  rest) and its 成文日期; every vetted nomination is awarded (its own
  ``award`` move, which makes the ``Award`` row later rounds read). A
  district's hundreds of awards take seconds, so the round page asks for it
  through ``finalise_start``: the ``award_finalise`` job (``awards.jobs``),
  one per round.

Objections (``objection_add``): anyone, no login, about one nominee on the
public list, while 公示 runs; text capped, contact optional, rate-limited per
address through ``core.public`` (the limit holds for posts racing each other).
Each one lodged is told (站内通知) to the office and to the levels that endorsed
the nominee, without what it says or who sent it. The office resolves each:
属实 (``uphold``: the nomination is withdrawn) or 不属实 (``dismiss``, with a
reason).
"""

import datetime as dt
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from awards import nominations
from awards.models import AwardRound, Endorsement, Nomination, Objection
from core import audit, jobs, notify, public, workflow
from core.documents import format_number
from core.models import DocumentNumber, DocumentSequence, Job
from orgs import selectors

RoundState = AwardRound.State
TEXT_MAX = 1000
CONTACT_MAX = 64


class RoundError(workflow.DomainError):
    """A round move or an objection the rules refuse; the message is for the user."""


def now() -> dt.datetime:
    return timezone.now()


def publicity_open(round_: AwardRound) -> bool:
    return (
        round_.state == RoundState.PUBLICITY
        and round_.publicity_ends_at is not None
        and now() < round_.publicity_ends_at
    )


def last_day(round_: AwardRound) -> dt.date:
    """The last day of the round's 公示 (local). 公示 ends at ``publicity_ends_at``;
    one ending at midnight has the day before as its last."""
    if round_.publicity_ends_at is None:
        return timezone.localdate()
    end = timezone.localtime(round_.publicity_ends_at)
    return (end - dt.timedelta(seconds=1)).date()


def listed(round_: AwardRound):
    """The nominations on the public list: 复审通过 (公示) or 已表彰."""
    return (
        round_.nominations.filter(state__in=[Nomination.State.VETTED, Nomination.State.AWARDED])
        .select_related("category", "unit", "organization", "member")
        .order_by("category__position", "category_id", "unit__lft", "pk")
    )


# ------------------------------------------------------------------ round moves


def _office(user: Any, round_: AwardRound) -> bool:
    return nominations.is_office(user, round_)


def _publish_check(round_: AwardRound, user: Any) -> None:
    states = set(round_.nominations.values_list("state", flat=True))
    if Nomination.State.ENDORSED in states:
        raise RoundError(_("还有待组织复审的推荐对象，请先复审"))
    if Nomination.State.VETTED not in states:
        raise RoundError(_("没有复审通过的推荐对象，不能公示"))


def _finalise_check(round_: AwardRound, user: Any) -> None:
    if round_.publicity_ends_at is None or now() < round_.publicity_ends_at:
        raise RoundError(
            _("公示期至 %(end)s 结束，结束后才能表彰")
            % {
                "end": formats.date_format(
                    timezone.localtime(round_.publicity_ends_at), "SHORT_DATETIME_FORMAT"
                )
                if round_.publicity_ends_at
                else "—"
            }
        )
    open_count = round_.objections.filter(state=Objection.State.OPEN).count()
    if open_count:
        raise RoundError(_("还有 %(n)s 条异议未处理，处理完毕后才能表彰") % {"n": open_count})
    if not round_.nominations.filter(state=Nomination.State.VETTED).exists():
        raise RoundError(_("没有可表彰的对象"))


def _decision_number(round_: AwardRound) -> str:
    """The decision's 文号: the campaign root's next number of the year, the
    counter row locked until the finalising transaction ends."""
    if round_.decision_number:
        return round_.decision_number
    organ = round_.campaign.organization.as_organ()
    year = (round_.decision_date or timezone.localdate()).year
    DocumentSequence.objects.bulk_create(
        [DocumentSequence(organ=organ.key, year=year)], ignore_conflicts=True
    )
    sequence = DocumentSequence.objects.select_for_update().get(organ=organ.key, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    text = format_number(organ.number_pattern, year=year, number=sequence.last)
    DocumentNumber.objects.create(
        organ=organ.key,
        organ_name=organ.name[:128],
        year=year,
        serial=sequence.last,
        text=text,
        title=(_("关于表彰%(round)s先进典型的决定") % {"round": round_.name})[:200],
        issued_on=round_.decision_date or timezone.localdate(),
    )
    return text


# Who hears how far finalising has got (done, total): the finalise job's
# progress, set by ``round_move`` for the move it makes.
_progress: ContextVar[Callable[[int, int], None] | None] = ContextVar(
    "award_finalise_progress", default=None
)


def _award_all(round_: AwardRound, user: Any) -> None:
    vetted = list(round_.nominations.filter(state=Nomination.State.VETTED).order_by("pk"))
    tell = _progress.get()
    for done, nomination in enumerate(vetted, start=1):
        workflow.apply(nominations.WORKFLOW, "award", obj=nomination, user=user)
        if tell is not None and (done % 20 == 0 or done == len(vetted)):
            tell(done, len(vetted))


def _locked(pk: Any) -> AwardRound:
    return (
        AwardRound.objects.select_for_update(of=("self",))
        .select_related("campaign__organization")
        .get(pk=pk)
    )


_OFFICE_ONLY = gettext_lazy("只有活动办公室可以办理")

ROUND_WORKFLOW = workflow.declare(
    model=AwardRound,
    noun=pgettext_lazy("workflow noun", "评选表彰"),
    error=RoundError,
    locked=_locked,
    organization_id=lambda r: r.campaign.organization_id,
    moves=[
        workflow.Move(
            verb="open",
            label=pgettext_lazy("workflow move", "开始推荐"),
            sources=(RoundState.DRAFT,),
            target=RoundState.NOMINATING,
            allowed=lambda user, r: _office(user, r),
            refusal=_OFFICE_ONLY,
            stamps={"moved_by": workflow.ACTOR},
        ),
        workflow.Move(
            verb="publish",
            label=pgettext_lazy("workflow move", "公示"),
            sources=(RoundState.NOMINATING,),
            target=RoundState.PUBLICITY,
            allowed=lambda user, r: _office(user, r),
            refusal=_OFFICE_ONLY,
            check=_publish_check,
            stamps={
                "publicity_starts_at": workflow.NOW,
                "publicity_ends_at": lambda r: (
                    r.publicity_starts_at + dt.timedelta(days=r.publicity_days)
                ),
                "moved_by": workflow.ACTOR,
            },
        ),
        workflow.Move(
            verb="finalise",
            label=pgettext_lazy("workflow move", "表彰"),
            sources=(RoundState.PUBLICITY,),
            target=RoundState.FINISHED,
            allowed=lambda user, r: _office(user, r),
            refusal=_OFFICE_ONLY,
            check=_finalise_check,
            stamps={
                "decision_date": lambda r: r.decision_date or timezone.localdate(),
                "decision_number": _decision_number,
                "finalised_at": workflow.NOW,
                "moved_by": workflow.ACTOR,
            },
            then=_award_all,
        ),
    ],
)


def round_move(
    *,
    round_: AwardRound,
    verb: str,
    user: Any,
    decision_date: Any = None,
    progress: Callable[[int, int], None] | None = None,
):
    """One of the round's moves, in one transaction. ``finalise`` is made by the
    ``award_finalise`` job (``finalise_start``), which passes ``progress``
    (called with the nominations awarded so far and their total)."""
    if verb not in ROUND_WORKFLOW.moves:
        raise RoundError(_("未知的操作"))
    token = _progress.set(progress)
    try:
        if verb == "finalise" and decision_date:
            # the 成文日期 is set before the number is drawn (its year counts)
            with transaction.atomic():
                fresh = _locked(round_.pk)
                if fresh.state == RoundState.PUBLICITY and not fresh.decision_number:
                    AwardRound.objects.filter(pk=fresh.pk).update(decision_date=decision_date)
                return workflow.apply(ROUND_WORKFLOW, verb, obj=fresh, user=user)
        return workflow.apply(ROUND_WORKFLOW, verb, obj=round_, user=user)
    finally:
        _progress.reset(token)


# ------------------------------------------------------------------ 表彰 as a job

FINALISE = "award_finalise"  # the job kind (``awards.jobs.run_finalise``)


def finalising_job(round_: AwardRound) -> Job | None:
    """The job finalising the round, while it waits or runs (a lost one is not)."""
    return jobs.pending_jobs(FINALISE).filter(params__round=round_.pk).first()


def finalise_job_last(round_: AwardRound) -> Job | None:
    """The round's latest finalise job, whoever started it (the round page shows it)."""
    return Job.objects.filter(kind=FINALISE, params__round=round_.pk).order_by("-pk").first()


def finalise_start(
    *, round_: AwardRound, user: Any, decision_date: dt.date | None = None
) -> tuple[Job, bool]:
    """表彰 as the round page asks for it: a refusal (state, right, 公示 not over,
    objections open, nothing to award) is raised at once, before any work; else
    the ``award_finalise`` job, one per round. The round row is locked while the
    waiting job is looked for and the new one recorded, so two clicks (two
    requests racing) start one job: the second gets the first's. Returns the
    job and whether this call started it."""
    with transaction.atomic():
        fresh = _locked(round_.pk)
        why = workflow.refusal(ROUND_WORKFLOW, "finalise", obj=fresh, user=user)
        if why:
            raise RoundError(why)
        running = finalising_job(fresh)
        if running is not None:
            return running, False
        _finalise_check(fresh, user)
        params = {
            "round": fresh.pk,
            "decision_date": decision_date.isoformat() if decision_date else "",
        }
        return jobs.job_start(kind=FINALISE, user=user, params=params), True


# ------------------------------------------------------------------ objections


def objection_add(
    *, round_: AwardRound, nomination_pk: Any, text: str, contact: str, address: str
) -> Objection:
    """A visitor's objection to a nominee on the public list (see the module)."""
    text = public.visitor_text(text)
    contact = public.visitor_text(contact, multiline=False)
    if not publicity_open(round_):
        raise RoundError(_("公示期已结束，不再受理异议"))
    nomination = (
        listed(round_).filter(state=Nomination.State.VETTED).filter(pk=nomination_pk).first()
    )
    if nomination is None:
        raise RoundError(_("异议对象：请从公示名单中选择"))
    if not text:
        raise RoundError(_("异议内容：请填写"))
    if public.too_long(text, TEXT_MAX):
        raise RoundError(
            _("异议内容不能超过 %(max)s 字（现有 %(n)s 字）") % {"max": TEXT_MAX, "n": len(text)}
        )
    if public.too_long(contact, CONTACT_MAX):
        raise RoundError(_("联系方式不能超过 %(max)s 字") % {"max": CONTACT_MAX})
    digest = public.address_hash(address)
    since = public.window_start(settings.AWARD_OBJECTION_WINDOW_SECONDS)
    with transaction.atomic():
        recent = Objection.objects.filter(address_hash=digest, created_at__gte=since)
        if not public.rate_allows(
            scope="award_objection", key=digest, recent=recent, limit=settings.AWARD_OBJECTION_LIMIT
        ):
            minutes = max(1, settings.AWARD_OBJECTION_WINDOW_SECONDS // 60)
            raise RoundError(_("提交过于频繁，请 %(n)s 分钟后再试") % {"n": minutes})
        objection = Objection.objects.create(
            round=round_, nomination=nomination, text=text, contact=contact, address_hash=digest
        )
        # Filed under no organisation: the unit's 变更记录 does not show who objected.
        audit.record(objection, audit.Action.CREATE, organization_id=None, verb=_("提出异议"))
        _objection_notify(objection)
    return objection


def _objection_notify(objection: Objection) -> None:
    """站内通知 of a new objection, in its transaction: the round's office (the
    direct holders of ``REVIEW`` on the campaign root, to the objections page)
    and the staff of each level below the root that endorsed the nominee in its
    current cycle (to the nomination's page). The objector is anonymous public:
    the notice carries neither the objection's text nor its contact, and does
    not name the nominee (the staff page shows them to those who may see them)."""
    round_ = objection.round
    nomination = objection.nomination
    root_id = round_.campaign.organization_id
    with translation.override(settings.LANGUAGE_CODE):
        text = _("%(round)s：某候选人收到异议") % {"round": round_.name}
    office = selectors.unit_holders([root_id], selectors.REVIEW)
    notify.notify(
        user_ids=office,
        verb="objection",
        text=text,
        url=reverse("awards:objections", kwargs={"pk": round_.pk}),
        about=objection,
    )
    levels = (
        Endorsement.objects.filter(
            nomination=nomination,
            cycle=nomination.cycle,
            decision=Endorsement.Decision.ENDORSED,
        )
        .exclude(organization_id=root_id)
        .values_list("organization_id", flat=True)
    )
    committees = set(selectors.unit_holders(list(levels), selectors.REVIEW)) - set(office)
    notify.notify(
        user_ids=sorted(committees),
        verb="objection",
        text=text,
        url=reverse("awards:nomination", kwargs={"pk": nomination.pk}),
        about=objection,
    )


def _objection_locked(pk: Any) -> Objection:
    return (
        Objection.objects.select_for_update(of=("self",))
        .select_related("round__campaign__organization", "nomination")
        .get(pk=pk)
    )


def _resolve_check(objection: Objection, user: Any) -> None:
    if objection.round.state != RoundState.PUBLICITY:
        raise RoundError(_("评选表彰不在公示阶段，不能处理异议"))


def _withdraw_nominee(objection: Objection, user: Any) -> None:
    nomination = Nomination.objects.get(pk=objection.nomination_id)
    if nomination.state in nominations.WORKFLOW.moves["withdraw"].sources:
        workflow.apply(
            nominations.WORKFLOW,
            "withdraw",
            obj=nomination,
            user=user,
            reason=_("公示期间异议经核实属实：%(why)s") % {"why": objection.resolution},
        )


OBJECTION_WORKFLOW = workflow.declare(
    model=Objection,
    noun=pgettext_lazy("workflow noun", "异议"),
    error=RoundError,
    locked=_objection_locked,
    organization_id=lambda o: None,
    moves=[
        workflow.Move(
            verb="uphold",
            label=pgettext_lazy("workflow move", "异议属实"),
            sources=(Objection.State.OPEN,),
            target=Objection.State.UPHELD,
            allowed=lambda user, o: _office(user, o.round),
            refusal=_OFFICE_ONLY,
            needs_reason=True,
            check=_resolve_check,
            stamps={
                "resolution": workflow.REASON,
                "resolved_by": workflow.ACTOR,
                "resolved_at": workflow.NOW,
            },
            then=_withdraw_nominee,
        ),
        workflow.Move(
            verb="dismiss",
            label=pgettext_lazy("workflow move", "异议不属实"),
            sources=(Objection.State.OPEN,),
            target=Objection.State.DISMISSED,
            allowed=lambda user, o: _office(user, o.round),
            refusal=_OFFICE_ONLY,
            needs_reason=True,
            check=_resolve_check,
            stamps={
                "resolution": workflow.REASON,
                "resolved_by": workflow.ACTOR,
                "resolved_at": workflow.NOW,
            },
        ),
    ],
)


def objection_resolve(*, objection: Objection, user: Any, upheld: bool, reason: str) -> Objection:
    return workflow.apply(
        OBJECTION_WORKFLOW,
        "uphold" if upheld else "dismiss",
        obj=objection,
        user=user,
        reason=reason,
    )


def objections_open(round_: AwardRound) -> int:
    return round_.objections.filter(state=Objection.State.OPEN).count()
