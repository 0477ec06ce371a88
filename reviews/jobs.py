"""Background jobs of reviews: opening a large round, and computing a round's
results (at close, and again on request; idempotent)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from core.jobs import JobError, register
from core.models import Job
from orgs import selectors
from reviews import services
from reviews.models import ReviewRound
from reviews.results import round_results


@register("review_results", _("评议结果计算"))
def run_results(job: Job, report: Any) -> None:
    """Every subject's composite, grade and ranks in the round, stored on its Review."""
    round_ = (
        ReviewRound.objects.select_related("kind__rubric", "organization")
        .filter(pk=job.params.get("round"))
        .first()
    )
    if round_ is None:
        raise JobError(_("评议轮次不存在"))
    if job.created_by is not None and not selectors.can(
        job.created_by, selectors.REVIEW, round_.organization
    ):
        raise JobError(_("您不能计算这一轮评议的结果"))
    report(5, _("正在计算评议结果"))
    subjects = round_results(round_)
    job.result = {"round": round_.pk, "subjects": subjects}
    job.save(update_fields=["result"])
    report(100, _("计算完成"))


@register(services.OPEN, _("开启评议"))
def run_open(job: Job, report: Any) -> None:
    """开启 a round of many subjects: the same workflow move as the page's, its
    reviews written in one transaction (a cut-off job leaves the round 筹备 and
    may run again). A round someone else opened meanwhile is done, not failed."""
    round_ = (
        ReviewRound.objects.select_related("kind", "campaign", "organization")
        .filter(pk=job.params.get("round"))
        .first()
    )
    if round_ is None:
        raise JobError(_("评议轮次不存在"))
    if round_.state != ReviewRound.State.DRAFT:
        job.result = {"round": round_.pk, "state": round_.state}
        job.save(update_fields=["result"])
        report(100, _("评议已开启"))
        return
    report(5, _("正在为 %(n)s 个评议对象建立评议") % {"n": job.params.get("subjects", "")})
    try:
        services.round_open(round_=round_, user=job.created_by)
    except services.ReviewError as exc:
        raise JobError(str(exc)) from None
    job.result = {"round": round_.pk, "subjects": round_.reviews.count()}
    job.save(update_fields=["result"])
    report(100, _("评议已开启"))
