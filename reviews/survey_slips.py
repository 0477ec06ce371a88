"""评议卡: the job that issues a batch of survey codes and renders their slips.

The codes are made, their hashes written, the A4 PDF of cut-out slips rendered
and saved, and the batch marked 已发放, all in one transaction: the plaintext
codes live only in this job's memory and in the PDF. A run cut off midway
leaves no codes (the batch stays 生成中 and the job may run again); a batch
already issued is not issued twice.

Each slip: the survey, the subject, a QR code to the answer page with the code
filled in (``/pingyi/dm/<code>/``), the code in print, one line of instructions.
"""

from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import documents, pdf
from core.jobs import JobError, job_save_output, register
from core.models import Job
from orgs import selectors
from reviews import surveys
from reviews.models_surveys import SurveyCodeBatch

SLIPS = "survey_slips"
INSTRUCTIONS = (
    "用手机扫描二维码，或打开上面的网址输入评议码，即可匿名评议；每个评议码只能使用一次。"
)


def answer_url(code: str = "") -> str:
    if code:
        return settings.PUBLIC_BASE_URL + reverse("survey_code", args=[surveys.printed(code)])
    return settings.PUBLIC_BASE_URL + reverse("survey_answer")


def slip_rows(codes: list[str], report: Any = None) -> list[dict[str, str]]:
    rows = []
    step = max(1, len(codes) // 20)
    for i, code in enumerate(codes):
        url = answer_url(code)
        rows.append(
            {
                "printed": surveys.printed(code),
                "qr": segno.make(url, error="l").svg_data_uri(scale=2, border=1),
            }
        )
        if report is not None and i % step == 0:
            report(10 + 30 * i // len(codes), str(_("正在生成二维码")))
    return rows


def render_slips(batch: SurveyCodeBatch, codes: list[str], report: Any = None) -> bytes:
    """The slips PDF of a batch's codes (``codes`` in plaintext, not stored)."""
    subject = batch.subject
    context = {
        "survey": subject.survey,
        "subject": subject.organization.name,
        "slips": slip_rows(codes, report),
        "instructions": INSTRUCTIONS,
        "answer_url": answer_url(),
        "batch": batch,
    }
    if report is not None:
        report(45, str(_("正在排版评议卡（%(n)s 张）") % {"n": len(codes)}))
    return pdf.render_pdf("pdf/survey_slips.html", context)


def _batch(job: Job) -> SurveyCodeBatch | None:
    return (
        SurveyCodeBatch.objects.select_related(
            "subject__organization", "subject__survey__organization"
        )
        .filter(pk=job.params.get("batch"))
        .first()
    )


def _reach(job: Job, user: Any) -> bool:
    """The slips are for the office or committee that manages the survey."""
    batch = _batch(job)
    return batch is not None and surveys.may_manage(user, batch.subject.survey)


@register(SLIPS, _("群众评议卡"), reach=_reach)
def run_slips(job: Job, report: Any) -> None:
    batch = _batch(job)
    if batch is None:
        raise JobError(_("评议码批次不存在"))
    survey = batch.subject.survey
    if job.created_by is not None and not selectors.can(
        job.created_by, selectors.REVIEW, survey.organization
    ):
        raise JobError(_("您不能为这次群众评议发放评议码"))
    if batch.state != SurveyCodeBatch.State.PENDING:
        job.result = {"batch": batch.pk, "state": batch.state, "slips": batch.size}
        job.save(update_fields=["result"])
        report(100, _("这批评议码已经生成"))
        return
    report(5, _("正在生成评议码"))
    with transaction.atomic():
        batch = SurveyCodeBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state != SurveyCodeBatch.State.PENDING:
            return
        codes = surveys.issue_codes(batch)
        data = render_slips(batch, codes, report)
        del codes
        report(95, _("正在保存"))
        name = documents.file_name(
            "评议卡",
            code=batch.subject.organization.code,
            suffix=f"第{batch.pk}批",
            ext="pdf",
            stamped=False,
        )
        job_save_output(job, name, data)
        batch.state = SurveyCodeBatch.State.ISSUED
        batch.save(update_fields=["state"])
        job.result = {"batch": batch.pk, "slips": batch.size, "bytes": len(data)}
        job.save(update_fields=["result"])
    report(100, _("评议卡已生成，请下载打印后裁开发放"))
