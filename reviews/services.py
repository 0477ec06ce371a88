"""Review rounds: every write goes through these services.

A round is created 筹备 on a subtree by the office or a committee (``REVIEW`` on
its root) and opened (进行中): opening creates one ``Review`` per subject of the
subtree that takes part in the campaign (members of participating units, or the
participating units themselves). Closing (已结束) locks the scores; publishing
(已公布) shows the results within the kind's scope. Reopening a closed round is
the system administrator's, with a reason. Every move is a ``core.workflow``
move and so audited with its verb.
"""

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from campaign.models import Campaign, Milestone
from campaign.selectors import plan_units_q
from core import audit, bulk, jobs, workflow
from core.models import Job
from orgs import selectors
from orgs.models import Member, Organization
from reviews.models import Review, ReviewKind, ReviewRound

BATCH = 2000


class ReviewError(workflow.DomainError):
    """A move or input the review rules refuse; the message is for the user."""


def may_run(user: Any, round_: ReviewRound) -> bool:
    """The office or a committee whose grant reaches the round's subtree root."""
    return selectors.can(user, selectors.REVIEW, round_.organization)


def _admin(user: Any, round_: ReviewRound) -> bool:
    return bool(getattr(user, "is_superuser", False))


def subject_units(round_: ReviewRound):
    """The units of the round's subtree (its root included) that take part in the
    campaign (``campaign.selectors.plan_units_q``: participation scope, active,
    not the campaign's root)."""
    return Organization.objects.filter(
        selectors.subtree_q(round_.organization), plan_units_q(round_.campaign)
    )


def _create_reviews(round_: ReviewRound, user: Any) -> None:
    """One Review per subject, in batches (a district's 75,000 members)."""
    units = subject_units(round_)
    if round_.kind.subject == ReviewKind.Subject.MEMBER:
        rows = (
            Review(round=round_, organization_id=org_id, member_id=member_id)
            for member_id, org_id in Member.objects.filter(organization__in=units)
            .order_by("organization__lft", "number")
            .values_list("pk", "organization_id")
            .iterator(chunk_size=BATCH)
        )
    else:
        rows = (
            Review(round=round_, organization_id=org_id)
            for org_id in units.order_by("lft").values_list("pk", flat=True)
        )
    batch: list[Review] = []
    written = 0
    for review in rows:
        batch.append(review)
        if len(batch) == BATCH:
            Review.objects.bulk_create(batch, ignore_conflicts=True)
            written += len(batch)
            batch = []
    if batch:
        Review.objects.bulk_create(batch, ignore_conflicts=True)
        written += len(batch)
    bulk.statistics_refresh(Review, rows=written)


def _locked(pk: int) -> ReviewRound:
    return (
        ReviewRound.objects.select_for_update(of=("self",))
        .select_related("campaign__organization", "kind", "organization")
        .get(pk=pk)
    )


def _after(round_: ReviewRound, move: workflow.Move) -> None:
    """Once a close is committed, compute the round's results in the background."""
    if move.verb == "close":
        results_start(round_=round_, user=None)


def results_start(*, round_: ReviewRound, user: Any) -> Any:
    """Compute (again) the round's results: a job, idempotent, one at a time."""
    return jobs.job_start(
        kind="review_results", user=user, params={"round": round_.pk}, dedupe=True
    )


WORKFLOW = workflow.declare(
    model=ReviewRound,
    noun=pgettext_lazy("workflow noun", "评议轮次"),
    error=ReviewError,
    locked=_locked,
    organization_id=lambda round_: round_.organization_id,
    on_commit=_after,
    moves=[
        workflow.Move(
            verb="open",
            label=pgettext_lazy("workflow move", "开启"),
            sources=(ReviewRound.State.DRAFT,),
            target=ReviewRound.State.OPEN,
            allowed=may_run,
            refusal=gettext_lazy("只有活动办公室或上级党组织可以开启评议"),
            stamps={"opened_at": workflow.NOW},
            then=_create_reviews,
        ),
        workflow.Move(
            verb="close",
            label=pgettext_lazy("workflow move", "结束"),
            sources=(ReviewRound.State.OPEN,),
            target=ReviewRound.State.CLOSED,
            allowed=may_run,
            refusal=gettext_lazy("只有活动办公室或上级党组织可以结束评议"),
            stamps={"closed_at": workflow.NOW},
        ),
        workflow.Move(
            verb="publish",
            label=pgettext_lazy("workflow move", "公布"),
            sources=(ReviewRound.State.CLOSED,),
            target=ReviewRound.State.PUBLISHED,
            allowed=may_run,
            refusal=gettext_lazy("只有活动办公室或上级党组织可以公布评议结果"),
            stamps={"published_at": workflow.NOW},
        ),
        workflow.Move(
            verb="reopen",
            label=pgettext_lazy("workflow move", "重新开启"),
            sources=(ReviewRound.State.CLOSED,),
            target=ReviewRound.State.OPEN,
            allowed=_admin,
            refusal=gettext_lazy("只有系统管理员可以重新开启已结束的评议"),
            needs_reason=True,
            stamps={"reopen_reason": workflow.REASON, "closed_at": None},
        ),
    ],
)


def locked_open(pk: int, refusal: Any) -> ReviewRound:
    """The round re-read under a lock (its row only, with its kind and rubric),
    refused with ``refusal`` (a text with %(round)s and %(state)s) unless it is
    进行中: what every write of a sheet, tally, meeting or statement starts with."""
    round_ = (
        ReviewRound.objects.select_for_update(of=("self",))
        .select_related("kind__rubric")
        .get(pk=pk)
    )
    if round_.state != ReviewRound.State.OPEN:
        raise ReviewError(refusal % {"round": round_, "state": round_.get_state_display()})
    return round_


def round_create(
    *,
    user: Any,
    campaign: Campaign,
    kind: ReviewKind,
    organization: Organization,
    period: str,
    opens_on: dt.date,
    closes_on: dt.date,
    milestone: Milestone | None = None,
) -> ReviewRound:
    """A round in 筹备 on the user's subtree; ``round_open`` starts it."""
    if not selectors.can(user, selectors.REVIEW, organization):
        raise ReviewError(
            _("只有活动办公室或上级党组织可以在“%(unit)s”开展评议") % {"unit": organization.name}
        )
    with transaction.atomic():
        round_ = ReviewRound(
            campaign=campaign,
            kind=kind,
            organization=organization,
            period=period.strip(),
            opens_on=opens_on,
            closes_on=closes_on,
            milestone=milestone,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        if ReviewRound.objects.filter(
            kind=kind, organization=organization, period=round_.period
        ).exists():
            raise ReviewError(
                _("“%(unit)s”已有%(period)s的“%(kind)s”")
                % {"unit": organization.name, "period": round_.period, "kind": kind.name}
            )
        try:
            round_.full_clean()
        except ValidationError as exc:
            raise ReviewError("；".join(exc.messages)) from None
        round_.save()
        audit.record(round_, audit.Action.CREATE, organization_id=organization.pk)
    return round_


def round_open(*, round_: ReviewRound, user: Any) -> ReviewRound:
    """开启: 进行中, with a Review for every subject of the subtree."""
    return workflow.apply(WORKFLOW, "open", obj=round_, user=user)


OPEN = "review_open"  # the job kind that opens a large round (reviews.jobs)


def subject_count(round_: ReviewRound) -> int:
    """How many subjects opening the round creates work for (one count query)."""
    units = subject_units(round_)
    if round_.kind.subject == ReviewKind.Subject.MEMBER:
        return Member.objects.filter(organization__in=units).count()
    return units.count()


def opening_job(round_: ReviewRound) -> Job | None:
    """The job opening the round in the background, while it waits or runs."""
    candidates = jobs.pending_jobs(OPEN)[:50]
    return next((job for job in candidates if job.params.get("round") == round_.pk), None)


def round_open_start(*, round_: ReviewRound, user: Any) -> Job | None:
    """开启 as the page asks for it: at once for a subtree of up to
    ``REVIEW_OPEN_INLINE_MAX`` subjects (None), else by a job (returned), which
    makes the same move, so the round stays 筹备 until every subject's review is
    written. A refusal (state, right, a job already opening it) is raised here,
    before any work."""
    round_ = ReviewRound.objects.select_related("campaign", "kind", "organization").get(
        pk=round_.pk
    )
    why = workflow.refusal(WORKFLOW, "open", obj=round_, user=user)
    if why:
        raise ReviewError(why)
    if opening_job(round_) is not None:
        raise ReviewError(_("评议“%(round)s”正在后台开启，请稍候") % {"round": round_})
    subjects = subject_count(round_)
    if subjects <= settings.REVIEW_OPEN_INLINE_MAX:
        round_open(round_=round_, user=user)
        return None
    return jobs.job_start(
        kind=OPEN, user=user, params={"round": round_.pk, "subjects": subjects}, dedupe=True
    )


def round_close(*, round_: ReviewRound, user: Any) -> ReviewRound:
    """结束: the scores are locked."""
    return workflow.apply(WORKFLOW, "close", obj=round_, user=user)


def round_publish(*, round_: ReviewRound, user: Any) -> ReviewRound:
    """公布: the results are shown within the kind's publication scope."""
    return workflow.apply(WORKFLOW, "publish", obj=round_, user=user)


def round_reopen(*, round_: ReviewRound, user: Any, reason: str) -> ReviewRound:
    """重新开启 a closed round: the system administrator's, with a reason."""
    return workflow.apply(WORKFLOW, "reopen", obj=round_, user=user, reason=reason)


PERIOD = re.compile(r"^(?:19|20)\d\d年(?:第[一二三四]季度|[上下]半年|度|底)?")


def period_of(milestone: Milestone) -> str:
    """A milestone's period as a round names it: 2010年第三季度 from
    "2010年第三季度党（工）委集中点评"; the whole name when it gives none."""
    found = PERIOD.match(milestone.name)
    return found.group(0) if found else milestone.name


def rounds_from_milestone(*, user: Any, milestone: Milestone) -> list[ReviewRound]:
    """Open, on the campaign's root, a round of every kind held at this review
    milestone (the campaign's cadence), in one action for the whole district.
    A kind that already has its round for the milestone is skipped. A round of
    many subjects is opened by a job (``round_open_start``): it is returned 筹备
    and turns 进行中 when its job is done."""
    campaign = milestone.campaign
    root = campaign.organization
    made = []
    with transaction.atomic():
        for kind in milestone.review_kinds.filter(campaign=campaign).order_by("position", "pk"):
            if ReviewRound.objects.filter(
                kind=kind, organization=root, period=milestone.name
            ).exists():
                continue
            opens = max(campaign.start_date, milestone.date - dt.timedelta(days=kind.round_days))
            round_ = round_create(
                user=user,
                campaign=campaign,
                kind=kind,
                organization=root,
                period=period_of(milestone),
                opens_on=opens,
                closes_on=milestone.date,
                milestone=milestone,
            )
            round_open_start(round_=round_, user=user)
            made.append(ReviewRound.objects.select_related("kind").get(pk=round_.pk))
    return made
