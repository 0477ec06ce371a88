"""The ranking job of 组织复审: the nominees of a category (待组织复审 and
复审通过) ranked by the facts its rules read, evaluated again now in bulk
(``awards.eligibility``): first those still meeting every rule, then by each
rule's figure in the category's order (评议得分, 满意率, 兑现率 …), higher first,
a missing figure last. Idempotent: a re-run replaces its result."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from awards import eligibility, nominations
from awards.models import AwardCategory, Nomination
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
