"""Background work for pledges: the spreadsheet import and the PDF documents.

Every handler re-applies the scoping rule with the user who started the job,
so a job never reaches further than its starter could in a request. Documents
are issued by the organisation they are about (its 发文机关; the root's is its
organisation department) with a 文号 taken in the same transaction that saves
the file (core.documents.issuing), and written over the job's previous file,
so a job delivered twice leaves one file with one number.
"""

from typing import Any

import segno
from django.conf import settings
from django.db.models import Count, F
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign
from campaign.selectors import campaigns_over
from core import audit, documents, pdf
from core.jobs import JobError, job_input_table, job_save_output, previews_only, register
from core.models import Job
from core.tabular import write_table
from orgs import selectors as org_selectors
from orgs.models import Organization
from pledges import selectors
from pledges.models import Pledge, PledgeItem

DOCUMENTS = {"poster": "pledge_poster", "summary": "pledge_summary"}


def _scoped(job: Job, roles=org_selectors.READ) -> tuple[Organization, Campaign]:
    """The job's organisation and campaign, re-checked with the starter as it runs."""
    organization = documents.recheck(
        job,
        lambda user: (
            org_selectors.organizations_for(user, roles)
            .filter(pk=job.params["organization"])
            .first()
        ),
        missing=str(_("党组织不存在或不在您的管辖范围内")),
    )
    campaign = campaigns_over(organization).filter(pk=job.params["campaign"]).first()
    if campaign is None:
        raise JobError(_("活动不存在或不包含该党组织"))
    return organization, campaign


def _organization_reach(job: Job, user: Any) -> bool:
    """A document about one organisation: the downloader must still see it."""
    return org_selectors.sees_all(user, [job.params.get("organization")])


def _recorded_reach(job: Job, user: Any) -> bool:
    """An export: the downloader must still see every organisation whose subtree
    the file was made from (recorded by the handler)."""
    result = job.result if isinstance(job.result, dict) else {}
    return org_selectors.sees_all(user, result.get("reach"))


@register(
    "pledge_import",
    _("承诺导入"),
    allowed=lambda user: org_selectors.can_anywhere(user, org_selectors.EDIT_MEMBERS),
    source=audit.Source.IMPORT,
    rerun=previews_only,
)
def run_import(job: Job, report) -> None:
    """Dry-run or commit a branch's file of members' pledges."""
    from pledges.importer import import_pledges

    organization, campaign = _scoped(job, org_selectors.EDIT_MEMBERS)
    report(2, _("正在读取文件"))
    table = job_input_table(job, "pledges")
    result = import_pledges(
        table,
        user=job.created_by,
        campaign=campaign,
        organization=organization,
        dry_run=job.params["dry_run"],
        progress=report,
    )
    job.result = result.as_dict()
    job.save(update_fields=["result"])
    if not result.ok:
        raise JobError(_("文件中有 %(n)s 处错误，未写入任何数据") % {"n": len(result.errors)})


def board_url(organization: Organization) -> str:
    return settings.PUBLIC_BASE_URL + reverse("board", args=[organization.code])


def poster_context(organization: Organization, campaign: Campaign) -> dict[str, Any]:
    """What a 公示栏 poster shows: the board's published pledges, the unit's and
    its members' apart, and a QR code to the board."""
    url = board_url(organization)
    pledges = selectors.board(organization, campaign)
    return {
        "organization": organization,
        "campaign": campaign,
        "unit_pledges": [p for p in pledges if not p.is_member],
        "member_pledges": [p for p in pledges if p.is_member],
        "board_url": url,
        "qr": segno.make(url, error="m").svg_data_uri(scale=4, border=2),
    }


def _record(job: Job, organization: Organization, head: dict[str, Any], **result: Any) -> None:
    """The job's result, saved in the document's transaction: what it is about and its 文号."""
    job.result = {
        "organization": organization.name,
        "document_number": head["doc_number"],
        **result,
    }
    job.save(update_fields=["result"])


@register("pledge_poster", _("公示栏海报"), reach=_organization_reach)
def run_poster(job: Job, report) -> None:
    """One A4 公示栏 poster for an organisation, with a QR code to its board,
    issued (文号, signature) by the organisation itself."""
    organization, campaign = _scoped(job)
    report(10, "正在生成海报")
    context = poster_context(organization, campaign)
    title = f"{organization.name}公开承诺公示栏"
    with documents.issuing(job, organization.as_organ(), title=title) as head:
        data = pdf.render_pdf("pdf/pledge_poster.html", {**context, **head})
        job_save_output(job, documents.file_name("公示栏", code=organization.code, ext="pdf"), data)
        _record(job, organization, head, bytes=len(data))


def summary_parts(organization: Organization, campaign: Campaign, limit: int) -> list[range]:
    """Cut the subtree into runs of organisations (in tree order) of at most ``limit``
    published pledges each, as ``lft`` ranges; one organisation is never split.

    The table is grouped by organisation in tree order, so consecutive runs put
    together again are the whole table.
    """
    counts = (
        Pledge.objects.filter(
            org_selectors.subtree_q(organization, "organization__"),
            campaign=campaign,
            published_revision__gt=0,
        )
        .values_list("organization__lft")
        .annotate(n=Count("pk"))
        .order_by("organization__lft")
    )
    parts: list[range] = []
    start, size = organization.lft, 0
    for lft, n in counts:
        if size and size + n > limit:
            parts.append(range(start, lft))
            start, size = lft, 0
        size += n
    parts.append(range(start, organization.rght + 1))
    return parts


def summary_rows(
    organization: Organization, campaign: Campaign, lfts: range | None = None
) -> list[dict[str, Any]]:
    """Every published pledge in the subtree (or the part ``lfts`` of it), grouped by
    organisation in tree order.

    One query for the published items with their pledges; the grouping is done
    in Python.
    """
    lfts = lfts or org_selectors.subtree_lfts(organization)
    items = PledgeItem.objects.filter(
        org_selectors.span_q(organization.tree_id, lfts, "revision__pledge__organization__"),
        revision__pledge__campaign=campaign,
        revision__pledge__published_revision__gt=0,
        revision__number=F("revision__pledge__published_revision"),
    ).order_by(
        "revision__pledge__organization__lft",
        "revision__pledge__member__number",
        "revision__pledge__audience",
        "revision__pledge_id",
        "position",
    )
    # Plain values, not model instances: select_related would build an
    # organisation, pledge and member object per item (tens of MB for a
    # district), all alive while WeasyPrint lays the table out.
    rows = items.values_list(
        "revision__pledge__organization_id",
        "revision__pledge__organization__name",
        "revision__pledge_id",
        "revision__pledge__member__name",
        "revision__pledge__audience",
        "revision__pledge__outcome",
        "content",
        "due_date",
        "verification",
    )
    audiences = dict(Pledge.Audience.choices)
    outcomes = dict(Pledge.Outcome.choices)
    groups: list[dict[str, Any]] = []
    pledge_rows: dict[int, dict[str, Any]] = {}
    for (
        org_id,
        org_name,
        pledge_id,
        member,
        audience,
        outcome,
        content,
        due,
        check,
    ) in rows.iterator(chunk_size=2000):
        if not groups or groups[-1]["organization"]["pk"] != org_id:
            groups.append({"organization": {"pk": org_id, "name": org_name}, "pledges": []})
        row = pledge_rows.get(pledge_id)
        if row is None:
            row = {
                "pledger": member or org_name,
                "is_member": member is not None,
                "audience": str(audiences[audience]),
                "outcome": str(outcomes[outcome]) if outcome else "",
                "items": [],
            }
            pledge_rows[pledge_id] = row
            groups[-1]["pledges"].append(row)
        row["items"].append({"content": content, "due_date": due, "verification": check})
    return groups


@register("pledge_summary", _("承诺汇总表"), reach=_organization_reach)
def run_summary(job: Job, report) -> None:
    """承诺汇总表: every published pledge in a subtree, grouped by organisation.

    A subtree with more than PDF_SUMMARY_MAX_PLEDGES published pledges is cut
    into parts (by runs of organisations), each its own PDF, delivered as one
    ZIP: a part's time and memory stay those of one bounded document.
    """
    organization, campaign = _scoped(job)
    report(5, "正在统计承诺")
    parts = summary_parts(organization, campaign, settings.PDF_SUMMARY_MAX_PLEDGES)
    files: list[tuple[str, bytes]] = []
    total = 0
    title = f"{organization.name}公开承诺汇总表"
    # One 文号 for the whole table: its parts are one document cut for size.
    with documents.issuing(job, organization.as_organ(), title=title) as head:
        for part, lfts in documents.parts_of(parts):
            report(5 + 90 * (part.number - 1) // part.total, f"正在排版{part.label or '汇总表'}")
            groups = summary_rows(organization, campaign, lfts)
            count = sum(len(g["pledges"]) for g in groups)
            total += count
            context = {
                "organization": organization,
                "campaign": campaign,
                **head,
                "groups": groups,
                "pledge_count": count,
                "part": part.label,
            }
            data = pdf.render_pdf("pdf/pledge_summary.html", context)
            name = documents.file_name(
                "承诺汇总表", code=organization.code, suffix=part.suffix, ext="pdf", stamped=False
            )
            files.append((name, data))
        report(96, "正在保存")
        name, content = documents.pdf_or_zip(files, title="承诺汇总表", code=organization.code)
        job_save_output(job, name, content)
        _record(job, organization, head, pledges=total, parts=len(files), bytes=len(content))


EXPORT_HEADERS = [
    "党组织",
    "组织代码",
    "党员编号",
    "姓名",
    "承诺对象",
    "承诺事项",
    "完成时限",
    "检验方式",
    "对应标准",
    "状态",
    "公示版本",
    "评诺结果",
    "评诺意见",
]


@register(
    "pledge_export",
    _("承诺导出"),
    allowed=lambda user: org_selectors.can_anywhere(user, org_selectors.EXPORT),
    reach=_recorded_reach,
)
def run_export(job: Job, report) -> None:
    """The pledge list as filtered, one row per item of the current text.

    The first columns are the import's, so a branch can export, correct and
    re-import its members' pledges.
    """
    user = job.created_by
    assert user is not None  # job_run checked the starter's export right
    from django.http import Http404

    filters = job.params.get("filters", {})
    try:
        _campaign, _root, pledges = selectors.filtered_pledges(user, filters)
    except Http404:
        raise JobError(_("活动或党组织不在您的管辖范围内")) from None
    reach = org_selectors.reach_of(user, filters.get("organization"))
    report(10, "正在读取承诺")
    items = (
        PledgeItem.objects.filter(
            revision__pledge__in=pledges.values("pk"),
            revision__number=F("revision__pledge__revision"),
        )
        .select_related("criterion", "revision__pledge__organization", "revision__pledge__member")
        .order_by(
            "revision__pledge__organization__tree_id",
            "revision__pledge__organization__lft",
            "revision__pledge__member__number",
            "revision__pledge_id",
            "position",
        )
    )
    rows = []
    for item in items.iterator(chunk_size=2000):
        pledge = item.revision.pledge
        rows.append(
            [
                pledge.organization.name,
                pledge.organization.code,
                pledge.member.number if pledge.member else "",
                pledge.member.name if pledge.member else "",
                pledge.get_audience_display(),
                item.content,
                item.due_date.isoformat(),
                item.verification,
                item.criterion.code if item.criterion else "",
                pledge.get_state_display(),
                pledge.published_revision or "",
                pledge.get_outcome_display() if pledge.outcome else "",
                pledge.outcome_comment,
            ]
        )
    report(70, "正在生成文件")
    fmt = job.params["format"]
    content, _count = write_table(fmt, EXPORT_HEADERS, rows, title="公开承诺")
    job_save_output(job, documents.file_name("公开承诺", ext=fmt), content)
    job.result = {"rows": len(rows), "reach": reach}
    job.save(update_fields=["result"])
