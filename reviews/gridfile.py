"""The grid as a spreadsheet: download it filled as saved, score it in Excel or
WPS, upload it back. The upload goes through ``core.tabular`` (its size, row
and parser limits) and then ``sheets.grid_save``, so it is all or nothing;
an unknown column, an unknown member number or unit code, or a repeated row is
refused naming the row and column."""

import re
from typing import Any

from django.utils.translation import gettext as _

from core import tabular
from orgs.models import Organization
from reviews.models import ReviewKind, ReviewRound, ScoreSheet
from reviews.services import ReviewError
from reviews.sheets import Entry, grid_evaluator, grid_key, grid_reviews

MEMBER_NUMBER, MEMBER_NAME = "党员编号", "姓名"
UNIT_CODE, UNIT_NAME = "组织代码", "党组织名称"
GRADE, OPINION = "等次", "意见建议"


def _criterion_headers(kind: ReviewKind) -> dict[str, str]:
    """Column header → criterion code: "1、带头学习提高" (the code first)."""
    return {f"{c.code}、{c.title}": c.code for c in kind.rubric.criteria.all()}


def _norm(header: str) -> str:
    """A header as compared: the reader drops spaces and invisible characters."""
    return re.sub(r"\s", "", header)


def headers(round_: ReviewRound) -> list[str]:
    kind = round_.kind
    subject = (
        [MEMBER_NUMBER, MEMBER_NAME]
        if kind.subject == ReviewKind.Subject.MEMBER
        else [UNIT_CODE, UNIT_NAME]
    )
    scores = [] if kind.ballot == ReviewKind.Ballot.GRADE else list(_criterion_headers(kind))
    grade = [GRADE] if kind.ballot == ReviewKind.Ballot.GRADE else []
    return subject + scores + grade + [OPINION]


def workbook(round_: ReviewRound, unit: Organization, user: Any) -> bytes:
    """The unit's grid as an XLSX file, with what is saved so far."""
    kind = round_.kind
    evaluator = grid_evaluator(round_)
    reviews = list(grid_reviews(round_, unit))
    saved = {
        s.review_id: s
        for s in ScoreSheet.objects.filter(
            review__in=reviews, evaluator=evaluator, evaluator_key=grid_key(evaluator, unit, user)
        )
    }
    criteria = list(kind.rubric.criteria.all())
    rows = []
    for review in reviews:
        sheet = saved.get(review.pk)
        key = (
            [review.member.number, review.member.name]
            if review.member is not None
            else [review.organization.code, review.organization.name]
        )
        scores = (
            []
            if kind.ballot == ReviewKind.Ballot.GRADE
            else [(sheet.scores.get(str(c.pk), "") if sheet else "") for c in criteria]
        )
        grade = [sheet.grade if sheet else ""] if kind.ballot == ReviewKind.Ballot.GRADE else []
        rows.append(key + scores + grade + [sheet.opinion if sheet else ""])
    return tabular.write_xlsx(headers(round_), rows, title=str(round_.kind.name)[:31])


def entries_from_file(
    round_: ReviewRound, unit: Organization, data: bytes, filename: str
) -> tuple[dict[int, Entry], dict[int, str]]:
    """The uploaded grid as ``grid_save`` entries, with each row's label for its
    messages (第 5 行（张三）, the file's own line)."""
    try:
        table = tabular.read_table(data, filename)
    except tabular.TableError as exc:
        raise ReviewError(str(exc)) from None
    kind = round_.kind
    members = kind.subject == ReviewKind.Subject.MEMBER
    key_header = MEMBER_NUMBER if members else UNIT_CODE
    known = {_norm(h) for h in headers(round_)}
    by_header = {_norm(h): code for h, code in _criterion_headers(kind).items()}
    columns = [_norm(str(h or "")) for h in table.headers]
    for position, header in enumerate(columns, start=1):
        if header and header not in known:
            raise ReviewError(
                _("第 1 行第 %(col)s 列：不认识的列“%(header)s”；应为：%(known)s")
                % {
                    "col": tabular.column_name(position),
                    "header": header[:40],
                    "known": "、".join(headers(round_)),
                }
            )
    if key_header not in columns:
        raise ReviewError(_("表头缺少“%(header)s”列") % {"header": key_header})
    index = {h: i for i, h in enumerate(columns) if h}
    reviews = {
        (r.member.number if r.member is not None else r.organization.code): r
        for r in grid_reviews(round_, unit)
    }
    entries: dict[int, Entry] = {}
    labels: dict[int, str] = {}
    for row_index, row in enumerate(table.rows):
        line = table.line(row_index)

        def cell(header: str, row: list = row) -> str:
            i = index.get(header)
            return tabular.cell_text(row[i]) if i is not None and i < len(row) else ""

        key = cell(key_header).strip()
        review = reviews.get(key)
        if review is None:
            raise ReviewError(
                _("第 %(line)s 行：%(header)s“%(key)s”不是“%(unit)s”本次评议的对象")
                % {"line": line, "header": key_header, "key": key[:32], "unit": unit.name}
            )
        if review.pk in entries:
            raise ReviewError(
                _("第 %(line)s 行：%(header)s“%(key)s”重复")
                % {"line": line, "header": key_header, "key": key}
            )
        scores = {code: cell(header) for header, code in by_header.items() if header in index}
        entries[review.pk] = Entry(scores, cell(GRADE), cell(OPINION))
        labels[review.pk] = _("第 %(line)s 行（%(name)s）") % {
            "line": line,
            "name": review.subject_name,
        }
    return entries, labels
