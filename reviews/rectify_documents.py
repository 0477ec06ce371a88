"""整改 documents, made by jobs:

- ``rectification_export``: the list's items (same filters, same order) as XLSX
  or CSV, with their state, whether overdue, source and dates.
- ``rectification_ledger``: the 整改台账 PDF of one unit (its subtree's items,
  by unit, GB/T 9704 layout), issued by that unit (its 发文机关 and 文号).

Both read through ``reviews.rectify.rectifications_for`` with the job's starter
when the job runs, and record the organisations they were made from as their
reach, so a file is 404 to a downloader who no longer reads them.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from core import documents, pdf
from core.jobs import JobError, job_save_output, register
from core.models import Job
from core.tabular import write_table
from orgs import selectors
from orgs.models import Organization
from reviews import rectify
from reviews.models_rectify import Rectification

EXPORT = "rectification_export"
LEDGER = "rectification_ledger"
FORMATS = ("xlsx", "csv")
# A ledger stays a document one reads; a larger subtree is asked for child by child.
LEDGER_MAX_ITEMS = 2000


def _reach(job: Job, user: Any) -> bool:
    reach = (job.result or {}).get("reach") or []
    readable = selectors.organizations_for(user, selectors.READ_RECORDS).filter(pk__in=reach)
    return bool(reach) and readable.count() == len(set(reach))


def _ledger_reach(job: Job, user: Any) -> bool:
    unit = job.params.get("organization")
    return (
        str(unit).isdigit()
        and selectors.organizations_for(user, selectors.READ_RECORDS).filter(pk=unit).exists()
    )


def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


HEADERS = [
    "整改单位",
    "组织代码",
    "领域",
    "来源",
    "发现的问题",
    "整改事项",
    "整改期限",
    "状态",
    "是否逾期",
    "整改情况",
    "重新整改次数",
    "交办时间",
    "完成时间",
    "核验时间",
]


def export_rows(items: list[Rectification]) -> list[list[Any]]:
    on = rectify.today()
    return [
        [
            item.organization.name,
            item.organization.code,
            item.organization.sector.name,
            item.get_source_kind_display(),
            item.source_text,
            item.description,
            _date(item.due_on),
            item.get_state_display(),
            "是" if rectify.is_overdue(item, on) else "否",
            item.evidence,
            item.redo_count,
            _date(item.created_at and item.created_at.date()),
            _date(item.completed_at and item.completed_at.date()),
            _date(item.verified_at and item.verified_at.date()),
        ]
        for item in items
    ]


@register(
    EXPORT,
    _("整改台账导出"),
    allowed=lambda user: selectors.can_anywhere(user, selectors.EXPORT),
    reach=_reach,
)
def run_export(job: Job, report: Any) -> None:
    """The list's items as the page shows them (its filters, its order)."""
    user = job.created_by
    if user is None:
        raise JobError("发起人已不存在")
    report(10, "正在读取整改事项")
    found = rectify.rectifications_filtered(
        rectify.rectifications_for(user), job.params.get("filters", {}), user
    ).order_by("due_on", "pk")
    items = list(found)
    fmt = job.params["format"]
    report(60, "正在生成文件")
    content, _type = write_table(fmt, HEADERS, export_rows(items), title="整改台账")
    job_save_output(job, documents.file_name("整改台账", ext=fmt), content)
    reach = sorted({item.organization_id for item in items}) or selectors.reach_of(user)
    job.result = {"rows": len(items), "reach": reach}
    job.save(update_fields=["result"])


def ledger_context(unit: Organization, items: list[Rectification]) -> dict[str, Any]:
    on = rectify.today()
    for item in items:
        item.late = rectify.is_overdue(item, on)  # type: ignore[attr-defined]
    counts = {state.value: 0 for state in Rectification.State}
    for item in items:
        counts[item.state] += 1
    return {
        "unit": unit,
        "items": items,
        "on": on,
        "summary": {
            "total": len(items),
            "late": sum(1 for item in items if getattr(item, "late", False)),
            **counts,
        },
    }


@register(LEDGER, _("整改台账"), reach=_ledger_reach)
def run_ledger(job: Job, report: Any) -> None:
    """The 整改台账 of a unit: every item of its subtree, by unit in tree order."""
    unit = documents.recheck(
        job,
        lambda user: (
            selectors.organizations_for(user, selectors.READ_RECORDS)
            .filter(pk=job.params.get("organization"))
            .first()
        ),
        missing=str(_("党组织不存在，或不在您可查看的范围内")),
    )
    assert job.created_by is not None
    report(10, "正在读取整改事项")
    found = (
        rectify.rectifications_for(job.created_by)
        .filter(selectors.subtree_q(unit, "organization__"))
        .order_by("organization__tree_id", "organization__lft", "due_on", "pk")
    )
    n = found.count()
    if n > LEDGER_MAX_ITEMS:
        raise JobError(
            _("“%(unit)s”之下有 %(n)s 项整改，超过一份台账最多 %(max)s 项：请按下级党组织分别生成")
            % {"unit": unit.name, "n": n, "max": LEDGER_MAX_ITEMS}
        )
    items = list(found)
    title = f"{unit.name}整改台账"
    report(40, "正在生成整改台账")
    with documents.issuing(job, unit.as_organ(), title=title) as head:
        data = pdf.render_pdf(
            "pdf/rectification_ledger.html", {**ledger_context(unit, items), **head}
        )
        job_save_output(job, documents.file_name("整改台账", code=unit.code, ext="pdf"), data)
        job.result = {"organization": unit.pk, "items": n, "document_number": head["doc_number"]}
        job.save(update_fields=["result"])
    report(100, "整改台账已生成")
