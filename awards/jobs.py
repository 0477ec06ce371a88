"""The award jobs that are no documents.

``award_ranking`` (组织复审): the nominees of a category (待组织复审 and
复审通过) ranked by the facts its rules read, evaluated again now in bulk
(``awards.eligibility``): first those still meeting every rule, then by each
rule's figure in the category's order (评议得分, 满意率, 兑现率 …), higher first,
a missing figure last. Idempotent: a re-run replaces its result.

``award_finalise`` (表彰): the round's ``finalise`` move (``awards.publicity``:
the 文号, every vetted nomination's ``award`` and its ``Award`` row) in one
transaction, so a failure midway leaves no award and no number drawn; the round
read again through the starter's scope when it runs. Safe to run twice: a round
already 已表彰 by this job is its result, any other state fails it."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from awards import eligibility, nominations, publicity
from awards.document_jobs import readable
from awards.models import AwardCategory, AwardRound, Nomination
from core import documents as core_documents
from core import workflow
from core.jobs import JobError, register
from core.models import Job
from orgs import selectors

RANKED_STATES = (Nomination.State.ENDORSED, Nomination.State.VETTED)


def rank(category: AwardCategory) -> list[dict[str, Any]]:
    rows = list(
        category.nominations.filter(state__in=RANKED_STATES).select_related(
            "unit", "member__organization", "organization"
        )
    )
    member = eligibility.is_member_category(category)
    subjects: list[Any] = [r.member if member else r.organization for r in rows]
    results = eligibility.evaluate(category, subjects)
    scored = []
    for row, subject in zip(rows, subjects, strict=True):
        result = results[subject.pk]
        numbers = [f.number for f in result.facts]
        key = (not result.eligible, *[(n is None, -(n or 0)) for n in numbers], row.pk)
        scored.append((key, row, result))
    scored.sort(key=lambda item: item[0])
    return [
        {
            "rank": i,
            "nomination": row.pk,
            "name": row.subject_name,
            "unit": row.unit.name,
            "state": row.get_state_display(),
            "eligible": result.eligible,
            "facts": [
                {"label": f.label, "value": f.value, "passed": f.passed} for f in result.facts
            ],
        }
        for i, (_key, row, result) in enumerate(scored, start=1)
    ]


@register(
    "award_ranking",
    _("评选排序"),
    allowed=lambda user: selectors.can_anywhere(user, selectors.REVIEW),
)
def run_ranking(job: Job, report: Any) -> None:
    category = (
        AwardCategory.objects.select_related("round__campaign__organization")
        .filter(pk=job.params.get("category"))
        .first()
    )
    if category is None:
        raise JobError(_("表彰项目不存在"))
    if job.created_by is not None and not nominations.is_office(job.created_by, category.round):
        raise JobError(_("只有活动办公室可以组织复审排序"))
    report(5, _("正在核对评选条件"))
    job.result = {"category": category.pk, "rows": rank(category)}
    job.save(update_fields=["result"])
    report(100, _("排序完成"))


def _decision_date(job: Job) -> dt.date | None:
    raw = job.params.get("decision_date") or ""
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        raise JobError(
            gettext("成文日期“%(value)s”不是有效日期") % {"value": str(raw)[:20]}
        ) from None


@register(
    publicity.FINALISE,
    _("表彰"),
    allowed=lambda user: selectors.can_anywhere(user, selectors.REVIEW),
)
def run_finalise(job: Job, report: Any) -> None:
    """表彰 of the job's round as its starter (see the module)."""
    round_ = core_documents.recheck(
        job,
        lambda user: readable(user, job.params.get("round")),
        missing=gettext("评选表彰不存在，或不在您可查看的范围内"),
    )
    if round_.state == AwardRound.State.FINISHED and job.result.get("round") == round_.pk:
        report(100, gettext("表彰已完成"))  # a run cut off after its commit
        return
    if round_.state != AwardRound.State.PUBLICITY:
        raise JobError(
            gettext("“%(round)s”现为%(state)s，不能表彰")
            % {"round": round_.name, "state": round_.get_state_display()}
        )
    decided = _decision_date(job)
    total = round_.nominations.filter(state=Nomination.State.VETTED).count()
    report(2, gettext("正在表彰：0 / %(n)s") % {"n": total})

    def progress(done: int, of: int) -> None:
        report(
            2 + 96 * done // max(1, of),
            gettext("正在表彰：%(done)s / %(n)s") % {"done": done, "n": of},
        )

    try:
        with transaction.atomic():
            done = publicity.round_move(
                round_=round_,
                verb="finalise",
                user=job.created_by,
                decision_date=decided,
                progress=progress,
            )
            job.result = {
                "round": done.pk,
                "awards": done.awards.count(),
                "document_number": done.decision_number,
                "decision_date": done.decision_date.isoformat() if done.decision_date else "",
            }
            job.save(update_fields=["result"])
    except workflow.DomainError as exc:
        raise JobError(str(exc)) from None
    report(100, gettext("表彰已完成"))
