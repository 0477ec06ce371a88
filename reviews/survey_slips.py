"""评议卡: the job that issues a batch of survey codes and renders their slips.

The codes are made, their hashes written, the A4 PDF of cut-out slips rendered
and saved, and the batch marked 已发放, all in one transaction: the plaintext
codes live only in this job's memory and in the PDF. A run cut off midway
leaves no codes (the batch stays 生成中 and the job may run again); a batch
already issued is not issued twice.

Each slip: the survey, the subject, a QR code to the answer page with the code
filled in (``/pingyi/dm/<code>/``), the code in print, one line of instructions.
"""

import base64
import io
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import documents, pdf
from core.jobs import JobError, job_save_output, register
from core.models import Job
from reviews import surveys
from reviews.models_surveys import SurveyCodeBatch

SLIPS = "survey_slips"
SLIPS_ALL = "survey_slips_all"
PART_SIZE = 1000
INSTRUCTIONS = (
    "用手机扫描二维码，或打开上面的网址输入评议码，即可匿名评议；每个评议码只能使用一次。"
)


def answer_url(code: str = "") -> str:
    if code:
        return settings.PUBLIC_BASE_URL + reverse("survey_code", args=[surveys.printed(code)])
    return settings.PUBLIC_BASE_URL + reverse("survey_answer")


def qr_png(url: str) -> str:
    """A QR code as a PNG data URI: one dark module a pixel, scaled up in print
    (``image-rendering: pixelated``). WeasyPrint lays PNGs out about twice as
    fast as SVGs; at 5,000 slips that is the difference that counts. The mask
    pattern is fixed: choosing the best of eight took 2.8 ms a code against
    0.6 ms, and any mask scans (``test_slip_qr_codes_decode``)."""
    buffer = io.BytesIO()
    segno.make(url, error="l", boost_error=False, mask=0).save(
        buffer, kind="png", scale=1, border=1
    )
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def slip_rows(codes: list[str], report: Any = None) -> list[dict[str, str]]:
    rows = []
    step = max(1, len(codes) // 20)
    for i, code in enumerate(codes):
        rows.append({"printed": surveys.printed(code), "qr": qr_png(answer_url(code))})
        if report is not None and i % step == 0:
            report(5 + 25 * i // len(codes), str(_("正在生成二维码")))
    return rows


def render_slips(batch: SurveyCodeBatch, codes: list[str], report: Any = None) -> tuple[str, bytes]:
    """The slips of a batch's codes (``codes`` in plaintext, not stored): one
    PDF, or for a batch over ``PART_SIZE`` a ZIP of PDFs of that many slips
    each (WeasyPrint slows down on one very long document)."""
    files = slip_files(batch, codes, report)
    return documents.pdf_or_zip(files, title="评议卡", code=batch.subject.file_code)


def slip_files(
    batch: SurveyCodeBatch, codes: list[str], report: Any = None
) -> list[tuple[str, bytes]]:
    """The PDFs of a batch's slips, ``PART_SIZE`` slips each, with their names."""
    subject = batch.subject
    rows = slip_rows(codes, report)
    base = {
        "survey": subject.survey,
        "subject": subject.label,
        "instructions": INSTRUCTIONS,
        "answer_url": answer_url(),
        "batch": batch,
    }
    chunks = [rows[i : i + PART_SIZE] for i in range(0, len(rows), PART_SIZE)]
    files = []
    for part, chunk in documents.parts_of(chunks):
        if report is not None:
            report(
                30 + 65 * (part.number - 1) // part.total,
                str(_("正在排版评议卡（%(n)s 张）") % {"n": len(rows)}),
            )
        data = pdf.render_pdf("pdf/survey_slips.html", {**base, "slips": chunk})
        name = documents.file_name(
            "评议卡", code=subject.file_code, suffix=part.suffix, ext="pdf", stamped=False
        )
        files.append((name, data))
    return files


def _batch(job: Job) -> SurveyCodeBatch | None:
    return (
        SurveyCodeBatch.objects.select_related(
            "subject__organization", "subject__member", "subject__survey__organization"
        )
        .filter(pk=job.params.get("batch"))
        .first()
    )


def _reach(job: Job, user: Any) -> bool:
    """The slips are for the office or committee that manages the survey."""
    batch = _batch(job)
    return batch is not None and surveys.may_manage(user, batch.subject.survey)


def _starter_may_issue(job: Job, survey: Any) -> None:
    """The job runs as its starter: refused if they may no longer issue codes
    for the survey (their grant was withdrawn since they asked)."""
    if job.created_by is not None and not surveys.may_manage(job.created_by, survey):
        raise JobError(_("您不能为这次群众评议发放评议码"))


@register(SLIPS, _("群众评议卡"), reach=_reach)
def run_slips(job: Job, report: Any) -> None:
    batch = _batch(job)
    if batch is None:
        raise JobError(_("评议码批次不存在"))
    _starter_may_issue(job, batch.subject.survey)
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
        name, data = render_slips(batch, codes, report)
        del codes
        report(96, _("正在保存"))
        job_save_output(job, name, data)
        batch.state = SurveyCodeBatch.State.ISSUED
        batch.save(update_fields=["state"])
        job.result = {"batch": batch.pk, "slips": batch.size, "bytes": len(data)}
        job.save(update_fields=["result"])
    report(100, _("评议卡已生成，请下载打印后裁开发放"))


def _bulk_survey(job: Job) -> Any:
    from reviews.models_surveys import Survey

    return Survey.objects.select_related("organization").filter(pk=job.params.get("survey")).first()


def _bulk_reach(job: Job, user: Any) -> bool:
    survey = _bulk_survey(job)
    return survey is not None and surveys.may_manage(user, survey)


@register(SLIPS_ALL, _("群众评议卡（全部评议对象）"), reach=_bulk_reach)
def run_slips_all(job: Job, report: Any) -> None:
    """The batches of ``surveys.batches_request``: every code written and every
    subject's slips rendered (a PDF each, one ZIP) in one transaction, so a run
    cut off leaves no codes and may run again; batches already issued (a rerun
    after success) are left as they are."""
    survey = _bulk_survey(job)
    if survey is None:
        raise JobError(_("群众评议不存在"))
    _starter_may_issue(job, survey)
    ids = [int(pk) for pk in job.params.get("batches", [])]
    with transaction.atomic():
        batches = list(
            SurveyCodeBatch.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, subject__survey=survey, state=SurveyCodeBatch.State.PENDING)
            .select_related("subject__organization", "subject__member", "subject__survey")
            .order_by("subject__organization__tree_id", "subject__organization__lft", "pk")
        )
        if not batches:
            report(100, _("这些评议码已经生成"))
            return
        files: list[tuple[str, bytes]] = []
        slips = 0
        total = sum(b.size for b in batches)
        for batch in batches:
            codes = surveys.issue_codes(batch)
            for name, data in slip_files(batch, codes):
                files.append((f"{len(files) + 1:04d}-{name}", data))
            del codes
            slips += batch.size
            report(
                2 + 93 * slips // total,
                str(_("正在排版评议卡：%(done)s / %(total)s 张") % {"done": slips, "total": total}),
            )
        report(96, _("正在保存"))
        job_save_output(
            job,
            documents.file_name("评议卡", code=survey.organization.code, ext="zip"),
            documents.zip_files(files),
        )
        SurveyCodeBatch.objects.filter(pk__in=[b.pk for b in batches]).update(
            state=SurveyCodeBatch.State.ISSUED
        )
        job.result = {"survey": survey.pk, "batches": len(batches), "slips": slips}
        job.save(update_fields=["result"])
    report(
        100,
        _("评议卡已生成：%(n)s 个评议对象，共 %(slips)s 张，请下载打印后裁开发放")
        % {"n": len(batches), "slips": slips},
    )
