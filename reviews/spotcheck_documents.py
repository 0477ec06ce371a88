"""检查通报: the PDF of a round of spot checks, made by a job.

It prints the round (campaign, subtree, when and by whom drawn), how the
sample was drawn (size or percentage, strata, kinds, the population's size
and the seed, with the sentence that the record re-draws to the same
sample), the summary of the checklist over the sample, and per unit the
checklist and the findings. Issued by the organisation drawn from (its
发文机关 and 文号). Who may have it: those who review that organisation
(``reviews.spotcheck.rounds_for``), checked when the job runs and again at
download.
"""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign import bulletins
from campaign.models_bulletins import Bulletin
from core import documents, pdf
from core.jobs import job_save_output, register
from core.models import Job
from orgs import selectors
from orgs.models import Organization
from reviews.models_spotcheck import SpotCheck, SpotCheckRound
from reviews.spotcheck import named_strata, redraw, rounds_for, sample_rows

REPORT = "spot_check_report"
BULLETIN_SOURCE = "spot_check_round"  # a round's 检查通报 as a bulletin (campaign.bulletins)


def readable(user: Any, pk: Any) -> SpotCheckRound | None:
    return rounds_for(user).filter(pk=pk).first() if str(pk).isdigit() else None


def _reach(job: Job, user: Any) -> bool:
    return readable(user, job.params.get("round")) is not None


def report_title(round_: SpotCheckRound) -> str:
    return f"关于{round_.title}情况的通报"


def method_text(round_: SpotCheckRound) -> str:
    """抽取方式 in words: k units or p %, stratified or not, of which kinds."""
    if round_.size is not None:
        size = f"抽取 {round_.size} 个单位"
    else:
        size = f"按 {round_.percent}% 的比例抽取"
    parts = [size, "按领域分层、按比例分配（每个领域至少 1 个）" if round_.stratify else "不分层"]
    if round_.kinds:
        labels = "、".join(str(Organization.Kind(k).label) for k in round_.kinds)
        parts.append(f"只抽{labels}")
    return "，".join(parts)


def report_context(round_: SpotCheckRound) -> dict[str, Any]:
    """What the 检查通报 shows (and the detail page, which shares the summary)."""
    found = redraw(round_)
    rows = sample_rows(round_)
    n = len(rows)
    return {
        "round": round_,
        "campaign": round_.campaign,
        "root": round_.organization,
        "method": method_text(round_),
        "population_size": len(round_.population),
        "strata": named_strata(found),
        "asked": found.asked,
        "grown": found.grown,
        "reproduced": found.sample == sorted(round_.sample),
        "rows": rows,
        "summary": {
            "units": n,
            "checked": sum(1 for c in rows if c.state == SpotCheck.State.CHECKED),
            "plan_filed": sum(1 for c in rows if c.plan_filed),
            "pledges_public": sum(1 for c in rows if c.pledges_public),
            "meeting_held": sum(1 for c in rows if c.meeting_held),
            "rated": sum(1 for c in rows if c.satisfaction is not None),
        },
    }


def summary_text(context: dict[str, Any]) -> str:
    """The 检查通报's text as a bulletin's body: how the sample was drawn, the
    checklist over it, and each unit's findings, a paragraph each."""
    round_, summary = context["round"], context["summary"]
    day = timezone.localtime(round_.drawn_at)
    lines = [
        f"{day.year}年{day.month}月{day.day}日，{context['root'].name}开展{round_.title}，"
        f"从{context['population_size']}个单位中{context['method']}，"
        f"共抽取{summary['units']}个单位，已检查{summary['checked']}个。",
        f"抽中单位中，实施方案已报送{summary['plan_filed']}个，"
        f"承诺已公示{summary['pledges_public']}个，已召开讲评会{summary['meeting_held']}个，"
        f"有群众满意率数据的{summary['rated']}个。",
    ]
    found = [c for c in context["rows"] if c.findings.strip()]
    if found:
        lines.append("检查发现的问题：")
        lines += [f"{c.organization.name}：{' '.join(c.findings.split())}" for c in found]
    else:
        lines.append("本次检查未发现需要通报的问题。")
    lines.append("请各单位对照检查，举一反三，抓好整改落实。")
    return "\n\n".join(lines)


@register(
    REPORT,
    _("检查通报"),
    allowed=lambda user: selectors.can_anywhere(user, selectors.REVIEW),
    reach=_reach,
)
def run_report(job: Job, report: Any) -> None:
    """The round's 检查通报, issued by the organisation the sample was drawn from."""
    round_ = documents.recheck(
        job,
        lambda user: readable(user, job.params.get("round")),
        missing=str(_("随机抽查不存在，或不在您可查看的范围内")),
    )
    report(10, "正在生成检查通报")
    with documents.issuing(job, round_.organization.as_organ(), title=report_title(round_)) as head:
        context = report_context(round_)
        data = pdf.render_pdf("pdf/spot_check_report.html", {**context, **head})
        name = documents.file_name("检查通报", code=round_.organization.code, ext="pdf")
        job_save_output(job, name, data)
        # The 检查通报 lands among the bulletins as a draft (once per round; while
        # a draft, it follows the latest report), in this transaction.
        bulletin = bulletins.draft_from_source(
            user=job.created_by,
            source=BULLETIN_SOURCE,
            source_id=round_.pk,
            campaign=round_.campaign,
            organization=round_.organization,
            kind=Bulletin.Kind.SPOT_CHECK,
            title=report_title(round_),
            body=summary_text(context),
            file_name=name,
            file_data=data,
        )
        job.result = {
            "round": round_.pk,
            "document_number": head["doc_number"],
            "units": len(round_.sample),
            "bulletin": bulletin.pk if bulletin else None,
        }
        job.save(update_fields=["result"])
    report(100, "检查通报已生成")
