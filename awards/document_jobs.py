"""The award documents as jobs: 表彰决定, 公示 notice, 荣誉证书 (one PDF, or a ZIP
of one each), the award list (XLSX/CSV) and the file recommending the list
upward (上报: the list and each nominee's 事迹材料 and photos in one ZIP).

Each job reads the round again through the starter's scope when it runs
(``core.documents.recheck`` over ``awards.selectors.rounds_for``) and again at
download (``reach``), hands ``awards.documents`` plain rows, and replaces its
file when run twice. The 表彰决定 carries the 文号 and 成文日期 the round was
given when it was finalised (``awards.publicity``); the 公示 notice has none.
"""

import io
import tempfile
import zipfile
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from awards import documents, nominations, publicity
from awards.models import AwardRound, Nomination
from awards.selectors import rounds_for
from core import documents as core_documents
from core import tabular
from core.jobs import JobError, job_save_output, register
from core.models import Job
from orgs import selectors

DECISION = "award_decision"
NOTICE = "award_notice"
CERTIFICATES = "award_certificates"
LIST = "award_list"
UPWARD = "award_upward"

State = AwardRound.State
# Which documents a round in each state can have.
READY = {
    DECISION: (State.FINISHED,),
    NOTICE: (State.PUBLICITY, State.FINISHED),
    CERTIFICATES: (State.FINISHED,),
    LIST: (State.PUBLICITY, State.FINISHED),
    UPWARD: (State.PUBLICITY, State.FINISHED),
}


def readable(user: Any, pk: Any) -> AwardRound | None:
    """The round, for its campaign office only: the documents list every
    nominee of the district and the 上报 file their 事迹材料."""
    if not str(pk).isdigit():
        return None
    round_ = rounds_for(user).select_related("campaign__organization").filter(pk=pk).first()
    return round_ if round_ is not None and nominations.is_office(user, round_) else None


def _reach(job: Job, user: Any) -> bool:
    return readable(user, job.params.get("round")) is not None


def _round(job: Job, kind: str) -> AwardRound:
    round_ = core_documents.recheck(
        job,
        lambda user: readable(user, job.params.get("round")),
        missing=str(_("评选表彰不存在，或不在您可查看的范围内")),
    )
    if round_.state not in READY[kind]:
        raise JobError(
            _("“%(round)s”现为%(state)s，还不能生成这份文件")
            % {"round": round_.name, "state": round_.get_state_display()}
        )
    return round_


def nominees(round_: AwardRound, *, awarded_only: bool) -> Any:
    """The round's listed nominations (复审通过 and 已表彰; only 已表彰 for the
    decision and the certificates), with what the rows print."""
    found = publicity.listed(round_).select_related(
        "member__organization", "organization__parent", "category"
    )
    if awarded_only:
        found = found.filter(state=Nomination.State.AWARDED)
    return found


def awardee_rows(found: Iterable[Nomination]) -> list[documents.AwardeeRow]:
    """Plain rows for the documents: a member listed under their unit, an
    organisation under its parent, each in tree order."""
    rows = []
    for n in found:
        own: tuple[int, ...]
        if n.member is not None:
            listed_under = n.member.organization
            own = (n.pk,)
            gender = n.member.get_gender_display()
        elif n.organization is not None:
            listed_under = n.organization.parent or n.organization
            own = (n.organization.lft,)
            gender = ""
        else:
            continue
        rows.append(
            documents.AwardeeRow(
                category=n.category.name,
                category_position=n.category.position,
                subject=n.category.subject,
                name=n.subject_name,
                organization=listed_under.name,
                order=(listed_under.tree_id, listed_under.lft),
                own_order=own,
                deeds=n.summary,
                key=str(n.pk),
                gender=gender,
            )
        )
    return rows


def decision_title(round_: AwardRound, rows: list[documents.AwardeeRow] | None = None) -> str:
    """关于表彰…先进基层党组织、优秀共产党员和优秀党务工作者的决定: the categories
    with awardees (``rows``), else all the round's."""
    names = [g["name"] for g in documents.grouped(rows or [])] or list(
        round_.categories.order_by("position", "pk").values_list("name", flat=True)
    )
    joined = "、".join(names[:-1]) + "和" + names[-1] if len(names) > 1 else "".join(names)
    return _("关于表彰%(round)s%(names)s的决定") % {
        "round": round_.name.removesuffix("表彰"),
        "names": joined,
    }


def _counts_sentence(rows: list[documents.AwardeeRow]) -> str:
    parts = []
    for group in documents.grouped(rows):
        parts.append(
            _("%(count)s%(measure)s“%(name)s”")
            % {"count": group["count"], "measure": group["measure"], "name": group["name"]}
        )
    return "、".join(parts)


def decision_info(round_: AwardRound, rows: list[documents.AwardeeRow]) -> documents.DecisionInfo:
    organ = round_.campaign.organization
    return documents.DecisionInfo(
        title=decision_title(round_, rows),
        issuer=organ.name,
        doc_number=round_.decision_number,
        issued_on=round_.decision_date or timezone.localdate(),
        addressee=_("各基层党组织"),
        paragraphs=(
            _(
                "在%(campaign)s中，全区各级党组织和广大党员认真落实活动要求，涌现出一批先进基层党组织和优秀共产党员。"
                "按照择优推荐、层层推荐、组织复审和公示的程序，经研究，决定对%(counts)s予以表彰。"
            )
            % {"campaign": round_.campaign.name, "counts": _counts_sentence(rows)},
            _(
                "希望受表彰的先进集体和个人珍惜荣誉、再接再厉，发挥示范带动作用。"
                "各级党组织和广大党员要以先进典型为榜样，深入开展创先争优活动，争创新的业绩。"
            ),
        ),
    )


def notice_info(round_: AwardRound) -> documents.DecisionInfo:
    organ = round_.campaign.organization
    return documents.DecisionInfo(
        title=_("关于%(round)s拟表彰对象的公示") % {"round": round_.name},
        issuer=organ.name,
        doc_number="",
        issued_on=timezone.localdate(round_.publicity_starts_at)
        if round_.publicity_starts_at
        else timezone.localdate(),
        paragraphs=(
            _(
                "经基层党组织择优推荐、上级党组织层层推荐和组织复审，现将%(round)s拟表彰对象予以公示。"
                "如有异议，请在公示期内通过下列方式反映，也可在网上公示页提出。"
            )
            % {"round": round_.name},
        ),
    )


def _office_only(user: Any) -> bool:
    return selectors.can_anywhere(user, selectors.REVIEW)


@register(DECISION, gettext_lazy("表彰决定"), allowed=_office_only, reach=_reach)
def run_decision(job: Job, report: Any) -> None:
    round_ = _round(job, DECISION)
    report(10, _("正在生成表彰决定"))
    rows = awardee_rows(nominees(round_, awarded_only=True))
    data = documents.decision_pdf(decision_info(round_, rows), rows)
    code = round_.campaign.organization.code
    job_save_output(job, core_documents.file_name("表彰决定", code=code, ext="pdf"), data)
    job.result = {
        "round": round_.pk,
        "document_number": round_.decision_number,
        "awardees": len(rows),
    }
    job.save(update_fields=["result"])
    report(100, _("表彰决定已生成"))


@register(NOTICE, gettext_lazy("公示通知"), allowed=_office_only, reach=_reach)
def run_notice(job: Job, report: Any) -> None:
    round_ = _round(job, NOTICE)
    report(10, _("正在生成公示通知"))
    rows = awardee_rows(nominees(round_, awarded_only=False))
    organ = round_.campaign.organization
    info = notice_info(round_)
    contact = documents.Contact(
        office=_("%(organ)s创先争优活动领导小组办公室") % {"organ": organ.name},
        url=job.params.get("url", ""),
    )
    data = documents.publicity_notice_pdf(info, rows, publicity.last_day(round_), contact)
    job_save_output(job, core_documents.file_name("公示通知", code=organ.code, ext="pdf"), data)
    job.result = {"round": round_.pk, "nominees": len(rows)}
    job.save(update_fields=["result"])
    report(100, _("公示通知已生成"))


@register(CERTIFICATES, gettext_lazy("荣誉证书"), allowed=_office_only, reach=_reach)
def run_certificates(job: Job, report: Any) -> None:
    """One PDF with a page per awardee, or (``zip``) a ZIP of one PDF each."""
    round_ = _round(job, CERTIFICATES)
    rows = awardee_rows(nominees(round_, awarded_only=True))
    organ = round_.campaign.organization
    on = round_.decision_date or timezone.localdate()
    occasion = round_.campaign.name
    report(5, _("正在生成荣誉证书（%(n)s 份）") % {"n": len(rows)})
    if job.params.get("zip"):
        # A district's ZIP is 180 MB: spooled to a temporary file and copied to
        # storage from there, not held in memory (twice, with getvalue()).
        with tempfile.TemporaryFile() as spool:
            documents.write_certificates_zip(
                spool,
                rows,
                organ.name,
                on,
                occasion=occasion,
                progress=lambda done, total: report(
                    5 + 90 * done // max(1, total),
                    _("正在生成荣誉证书：%(done)s / %(total)s") % {"done": done, "total": total},
                ),
            )
            spool.seek(0)
            name = core_documents.file_name("荣誉证书", code=organ.code, ext="zip")
            job_save_output(job, name, spool)
    else:
        data = documents.certificates_pdf(rows, organ.name, on, occasion=occasion)
        job_save_output(job, core_documents.file_name("荣誉证书", code=organ.code, ext="pdf"), data)
    job.result = {"round": round_.pk, "certificates": len(rows)}
    job.save(update_fields=["result"])
    report(100, _("荣誉证书已生成"))


def _list_file(round_: AwardRound, rows: list[documents.AwardeeRow], fmt: str) -> bytes:
    data, _type = tabular.write_table(
        fmt, documents.LIST_HEADERS, documents.award_list_rows(rows), title=round_.name
    )
    return data


@register(LIST, gettext_lazy("表彰名单"), allowed=_office_only, reach=_reach)
def run_list(job: Job, report: Any) -> None:
    round_ = _round(job, LIST)
    fmt = "csv" if job.params.get("format") == "csv" else "xlsx"
    rows = awardee_rows(nominees(round_, awarded_only=round_.state == State.FINISHED))
    code = round_.campaign.organization.code
    job_save_output(
        job,
        core_documents.file_name("表彰名单", code=code, ext=fmt),
        _list_file(round_, rows, fmt),
    )
    job.result = {"round": round_.pk, "rows": len(rows)}
    job.save(update_fields=["result"])
    report(100, _("表彰名单已生成"))


@register(UPWARD, gettext_lazy("上报材料"), allowed=_office_only, reach=_reach)
def run_upward(job: Job, report: Any) -> None:
    """推荐上报 to the higher level: one ZIP with the list (XLSX) and, per
    nominee, the 事迹材料 as text and the photos."""
    round_ = _round(job, UPWARD)
    found = list(
        nominees(round_, awarded_only=round_.state == State.FINISHED).prefetch_related("photos")
    )
    rows = awardee_rows(found)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_("表彰名单") + ".xlsx", _list_file(round_, rows, "xlsx"))
        for i, n in enumerate(found, start=1):
            folder = f"{i:03d}-{documents.safe_name(n.category.name)}-{documents.safe_name(n.subject_name)}"
            text = "\n\n".join(
                [
                    f"{n.category.name}：{n.subject_name}（{rows[i - 1].organization}）",
                    _("推荐单位：%(unit)s") % {"unit": n.unit.name},
                    _("简要事迹：%(summary)s") % {"summary": n.summary},
                    _("事迹材料："),
                    n.deeds,
                ]
            )
            archive.writestr(f"{folder}/{_('事迹材料')}.txt", text.encode("utf-8"))
            for j, photo in enumerate(n.photos.all(), start=1):
                with photo.image.open("rb") as image:
                    archive.writestr(f"{folder}/{_('照片')}{j}.jpg", image.read())
            if i % 20 == 0:
                report(
                    5 + 90 * i // len(found),
                    _("正在打包：%(i)s / %(n)s") % {"i": i, "n": len(found)},
                )
    code = round_.campaign.organization.code
    job_save_output(
        job, core_documents.file_name("上报材料", code=code, ext="zip"), buffer.getvalue()
    )
    job.result = {"round": round_.pk, "nominees": len(found)}
    job.save(update_fields=["result"])
    report(100, _("上报材料已生成"))
