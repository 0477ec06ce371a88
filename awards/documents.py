"""The award documents over plain data: 表彰决定, 公示 notice, 荣誉证书 and the award list.

The flow (nominations, the 公示, the ``Award`` records) hands these functions
rows it has read within the starter's scope, so the layout can be tested and
timed without the models; a job wraps each as the reviews' documents do
(``core.documents.recheck``, ``issuing`` for the 文号, ``job_save_output``).

- ``decision_pdf``: the 表彰决定 in the GB/T 9704 layout, its 名单 as the
  附件, awardees grouped by category (in the round's order), then by
  organisation (tree order), each once.
- ``publicity_notice_pdf``: the 公示 notice for the notice board: who, which
  category, which unit, the 公示 period and how to object.
- ``certificates_pdf``: one 荣誉证书 per awardee, landscape, all pages in one
  WeasyPrint document (one layout, one font subset).
- ``write_certificates_zip`` / ``certificates_zip``: one PDF per awardee in a
  ZIP: certificates laid out together and the PDF cut into its pages with
  pypdf (several times faster than a layout or a ``write_pdf`` per awardee;
  see ``benchmarks/awards_documents.py``).
- ``award_list_rows``: the rows of the XLSX/CSV export (``core.tabular``
  neutralises formulas).
"""

import datetime as dt
import gc
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from weasyprint import HTML

from awards.models import AwardCategory
from core import pdf

Subject = AwardCategory.Subject

NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class AwardeeRow:
    """One awardee as the documents print it.

    ``organization`` is where the awardee is listed under: a member's (or
    党务工作者's) unit, an organisation's parent. ``order`` is that
    organisation's place in the tree (e.g. ``(tree_id, lft)``), ``own_order``
    the awardee's own place among its group (an organisation's ``lft``; for a
    member, any stable order the caller likes). ``key`` identifies the
    awardee (e.g. the Award's id) so a row handed over twice prints once.
    """

    category: str  # 优秀共产党员
    category_position: int  # the category's order in the round
    subject: str  # Subject.ORGANIZATION / MEMBER / PARTY_WORKER
    name: str
    organization: str
    order: tuple[int, ...] = ()
    own_order: tuple[int, ...] = ()
    deeds: str = ""  # a short summary of the 事迹, for the export and the showcase
    key: str = ""
    gender: str = ""  # for the export only (男/女), optional

    @property
    def is_organization(self) -> bool:
        return self.subject == Subject.ORGANIZATION


@dataclass(frozen=True)
class DecisionInfo:
    """What a 表彰决定 or 公示 notice prints besides its list (the letterhead
    comes from ``core.documents.letterhead``: issuer, doc_number, issued_on)."""

    title: str  # 关于表彰2011年度先进基层党组织、优秀共产党员和优秀党务工作者的决定
    issuer: str  # 发文机关, in the 版头 and as the signature
    doc_number: str  # 文号; empty for a notice without one
    issued_on: dt.date  # 成文日期
    paragraphs: tuple[str, ...] = ()
    addressee: str = ""  # 主送机关, e.g. 各直属党组织
    list_title: str = ""  # the 附件's title; by default made from the categories


@dataclass(frozen=True)
class Contact:
    """Where an objection to a 公示 goes."""

    office: str  # 区委创先争优活动领导小组办公室
    phone: str = ""
    address: str = ""
    email: str = ""
    url: str = ""


# ------------------------------------------------------------------ order and groups


def ordered(rows: Iterable[AwardeeRow]) -> list[AwardeeRow]:
    """Each awardee once (by ``key``, else the whole row), by category, then
    organisation in tree order, then the awardee's own order; ties keep the
    order they came in."""
    seen: set[object] = set()
    unique = []
    for row in rows:
        identity: object = (row.subject, row.key) if row.key else row
        if identity in seen:
            continue
        seen.add(identity)
        unique.append(row)
    return sorted(
        unique,
        key=lambda r: (r.category_position, r.category, r.order, r.organization, r.own_order),
    )


def measure(subject: str) -> str:
    """The counting word of a category: 个 党组织, 名 people."""
    return "个" if subject == Subject.ORGANIZATION else "名"


def numeral(number: int) -> str:
    """一 … 九十九, for the 一、二、 of the list's headings."""
    if number < 1 or number > 99:
        return str(number)
    tens, ones = divmod(number, 10)
    text = (NUMERALS[tens - 1] if tens > 1 else "") + ("十" if tens else "")
    return text + (NUMERALS[ones - 1] if ones else "")


def grouped(rows: Iterable[AwardeeRow]) -> list[dict[str, Any]]:
    """The awardees as the 名单 prints them: categories, each with its
    organisations, each with its awardees."""
    groups: list[dict[str, Any]] = []
    for row in ordered(rows):
        if not groups or groups[-1]["_key"] != (row.category_position, row.category):
            groups.append(
                {
                    "_key": (row.category_position, row.category),
                    "numeral": numeral(len(groups) + 1),
                    "name": row.category,
                    "kind": str(row.subject),
                    "measure": measure(row.subject),
                    "count": 0,
                    "rows": [],
                    "units": [],
                }
            )
        group = groups[-1]
        units = group["units"]
        if not units or units[-1]["_key"] != (row.order, row.organization):
            units.append(
                {"_key": (row.order, row.organization), "name": row.organization, "entries": []}
            )
        units[-1]["entries"].append(row)
        group["rows"].append(row)
        group["count"] += 1
    return groups


def list_title(info: DecisionInfo, groups: Sequence[dict[str, Any]]) -> str:
    """The 附件's title: given, or 先进基层党组织、优秀共产党员和优秀党务工作者名单."""
    if info.list_title:
        return info.list_title
    names = [g["name"] for g in groups]
    if len(names) > 1:
        return "、".join(names[:-1]) + "和" + names[-1] + "名单"
    return (names[0] if names else "") + "名单"


# ------------------------------------------------------------------ the documents


def decision_pdf(info: DecisionInfo, rows: Iterable[AwardeeRow]) -> bytes:
    """The 表彰决定, with its 名单 as the 附件."""
    groups = grouped(rows)
    return pdf.render_pdf(
        "awards/documents/decision.html",
        {
            **_letterhead(info),
            "addressee": info.addressee,
            "paragraphs": info.paragraphs,
            "groups": groups,
            "list_title": list_title(info, groups),
        },
    )


def publicity_notice_pdf(
    info: DecisionInfo,
    rows: Iterable[AwardeeRow],
    ends_on: dt.date,
    contact: Contact,
    *,
    starts_on: dt.date | None = None,
) -> bytes:
    """The 公示 notice: the nominees by category, the period (from ``starts_on``,
    by default the notice's date, to ``ends_on``), and where objections go."""
    starts = starts_on or info.issued_on
    if ends_on < starts:
        raise ValueError(_("公示结束日期不能早于开始日期"))
    return pdf.render_pdf(
        "awards/documents/publicity_notice.html",
        {
            **_letterhead(info),
            "paragraphs": info.paragraphs,
            "groups": grouped(rows),
            "starts_on_text": pdf.cn_date(starts),
            "ends_on_text": pdf.cn_date(ends_on),
            "contact": contact,
        },
    )


def _letterhead(info: DecisionInfo) -> dict[str, Any]:
    return {
        "title": info.title,
        "issuer": info.issuer,
        "doc_number": info.doc_number,
        "issued_on": info.issued_on,
    }


@dataclass(frozen=True)
class Certificate:
    """What one 荣誉证书 prints."""

    recipient: str  # 张三同志 / the organisation's name
    unit: str  # a person's unit above the name; empty for an organisation
    honour: str  # the category's name


def certificate_of(row: AwardeeRow) -> Certificate:
    if row.is_organization:
        return Certificate(recipient=row.name, unit="", honour=row.category)
    return Certificate(recipient=f"{row.name}同志", unit=row.organization, honour=row.category)


DEFAULT_OCCASION = "创先争优活动"


def _certificates_layout(
    awardees: Sequence[AwardeeRow], organ: str, on: dt.date, occasion: str
) -> Any:
    """The laid-out WeasyPrint document of these awardees' certificates, a page each."""
    context = {
        "pdf_title_font": pdf.css_string(settings.PDF_TITLE_FONT),
        "pdf_body_font": pdf.css_string(settings.PDF_BODY_FONT),
        "pdf_subheading_font": pdf.css_string(settings.PDF_SUBHEADING_FONT),
        "certificates": [certificate_of(row) for row in awardees],
        "issuer": organ,
        "issued_on_text": pdf.cn_date(on),
        "occasion": occasion or DEFAULT_OCCASION,
    }
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("awards/documents/certificates.html", context)
    document = HTML(
        string=html, base_url=pdf.PDF_BASE_URL, url_fetcher=pdf.StaticOnlyURLFetcher()
    ).render()
    if len(document.pages) != len(awardees):  # a name long enough to spill over a page
        raise ValueError(
            _("证书页数（%(pages)s）与获奖对象数（%(count)s）不符，请缩短过长的名称")
            % {"pages": len(document.pages), "count": len(awardees)}
        )
    return document


def _write(document: Any) -> bytes:
    data: bytes = document.write_pdf()
    del document
    gc.collect()  # as core.pdf.html_to_pdf: a layout is a web of cycles
    return data


def certificates_pdf(
    rows: Iterable[AwardeeRow], organ: str, on: dt.date, *, occasion: str = ""
) -> bytes:
    """Every 荣誉证书 in one PDF, a page each, in the 名单's order: one layout
    and one font subset for all (640 certificates in about 9 s, 385 MB)."""
    return _write(_certificates_layout(ordered(rows), organ, on, occasion))


def certificate_names(awardees: Sequence[AwardeeRow]) -> list[str]:
    """``荣誉证书-类别-单位-姓名.pdf`` per awardee, unique within the ZIP (a second
    张伟 of the same unit gets -2); characters a file system refuses are replaced."""
    names: list[str] = []
    used: set[str] = set()
    for row in awardees:
        pieces = [
            "荣誉证书",
            row.category,
            "" if row.is_organization else row.organization,
            row.name,
        ]
        stem = safe_name("-".join(p for p in pieces if p))[:120]
        name, n = stem, 1
        while name.casefold() in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name.casefold())
        names.append(f"{name}.pdf")
    return names


_UNSAFE = str.maketrans({c: "_" for c in '/\\:*?"<>|\0\r\n\t'})


def safe_name(text: str) -> str:
    """``text`` as part of a file name: no path or reserved characters."""
    return text.translate(_UNSAFE).strip(" .") or "_"


# Certificates laid out together for the ZIP: a layout's memory grows with its
# pages (640 in one: ~385 MB), its speed does not depend on them.
ZIP_CHUNK = 160


def write_certificates_zip(
    out: IO[bytes],
    rows: Iterable[AwardeeRow],
    organ: str,
    on: dt.date,
    *,
    occasion: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write a ZIP of one PDF per awardee (named by ``certificate_names``) to
    ``out`` (a temporary file keeps a large one out of memory); returns the
    number of files.

    The certificates are laid out ``ZIP_CHUNK`` at a time as one document and
    the PDF cut into its pages with pypdf: 40+ files a second where a layout
    or a WeasyPrint ``write_pdf`` per page makes 6–7 (each page subsetting the
    fonts again). Each file carries its chunk's subset, about 320 kB instead of
    220 kB (WeasyPrint keeps the glyph ids, so a subset's size is mostly the
    font's tables, not its glyphs). ``progress(done, total)`` is told after
    each chunk (a job's progress bar)."""
    from pypdf import PdfReader, PdfWriter

    awardees = ordered(rows)
    names = certificate_names(awardees)
    total = len(awardees)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for start in range(0, total, ZIP_CHUNK):
            chunk = awardees[start : start + ZIP_CHUNK]
            reader = PdfReader(io.BytesIO(_write(_certificates_layout(chunk, organ, on, occasion))))
            for offset, (page, row) in enumerate(zip(reader.pages, chunk, strict=True)):
                writer = PdfWriter()
                writer.add_page(page)
                writer.add_metadata({"/Title": f"荣誉证书 {row.name}"})
                part = io.BytesIO()
                writer.write(part)
                archive.writestr(names[start + offset], part.getvalue())
            if progress is not None:
                progress(min(start + ZIP_CHUNK, total), total)
    return total


def certificates_zip(
    rows: Iterable[AwardeeRow], organ: str, on: dt.date, *, occasion: str = ""
) -> bytes:
    """``write_certificates_zip`` into memory (small rounds, tests)."""
    buffer = io.BytesIO()
    write_certificates_zip(buffer, rows, organ, on, occasion=occasion)
    return buffer.getvalue()


# ------------------------------------------------------------------ the award list

LIST_HEADERS = (
    "序号",
    "表彰类别",
    "对象类型",
    "名称/姓名",
    "性别",
    "所在单位/上级党组织",
    "主要事迹",
)


def award_list_rows(rows: Iterable[AwardeeRow]) -> list[list[object]]:
    """The award list as the XLSX/CSV export writes it (headers ``LIST_HEADERS``),
    in the 名单's order; ``core.tabular.write_table`` neutralises formulas."""
    return [
        [
            number,
            row.category,
            str(Subject(row.subject).label) if row.subject in Subject.values else row.subject,
            row.name,
            row.gender,
            row.organization,
            row.deeds,
        ]
        for number, row in enumerate(ordered(rows), start=1)
    ]
