"""What every spreadsheet importer shares: the report, its row errors, the column index.

The organisation, member and pledge importers (and the score, tally and
nomination imports to come) check every row before writing anything and
report every problem as line, column, value and a reason (gettext: Chinese,
or the language active when the message is made). The job
pages, the import commands and the admin read the report these build, so
every importer's errors look and read the same.

Typical use::

    errors = RowErrors()
    columns = ColumnIndex.read(table.headers, required=HEADERS, errors=errors)
    for line, row in enumerate(table.rows, start=2):  # line 1 is the header
        if not columns.cell(row, "党员编号"):
            errors.add(line, "党员编号", "", _("不能为空"))
        if errors.full:
            break
"""

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from core.tabular import cell_text

# The report keeps this many errors: enough to fix a file by, small enough for a page.
MAX_REPORTED_ERRORS = 500
# Rows of each action (新增, 更新, …) shown before a file is confirmed.
PREVIEW_ROWS = 20
# A reported value is cut to this length: it identifies the cell, not copies it.
VALUE_SHOWN = 60


@dataclass
class RowError:
    """One problem with a file: ``row`` 0 means the file as a whole, 1 its header row."""

    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = _("第 %(n)s 行") % {"n": self.row} if self.row else _("文件")
        column = _("「%(column)s」") % {"column": self.column} if self.column else ""
        value = _("（值：%(value)s）") % {"value": self.value} if self.value else ""
        return _("%(where)s%(column)s%(value)s：%(reason)s") % {
            "where": where,
            "column": column,
            "value": value,
            "reason": self.reason,
        }

    def as_dict(self) -> dict[str, Any]:
        """The fields and the sentence built from them (what the job page shows)."""
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
            "text": str(self),
        }


class RowErrors(list[RowError]):
    """The errors found so far; ``add`` takes any cell value and shows it as text."""

    def add(self, row: int, column: str, value: object, reason: str) -> None:
        self.append(RowError(row, column, cell_text(value)[:VALUE_SHOWN], reason))

    @property
    def full(self) -> bool:
        """Enough to report: an importer may stop reading rows once this is true."""
        return len(self) >= MAX_REPORTED_ERRORS


@dataclass
class ImportReport:
    """What an import did or, on a dry run, would do; with any errors, it wrote nothing."""

    kind: str
    dry_run: bool
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said above the counts (how the file was read)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        """For a job's result (JSON): the counts, the first errors and the preview."""
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_count": len(self.errors),
            "errors": [e.as_dict() for e in self.errors[:MAX_REPORTED_ERRORS]],
            "preview": self.preview,
            "notes": self.notes,
        }


class ColumnIndex:
    """Where each known column sits in a file: header text → position.

    Columns may come in any order. ``read`` reports on the header row (line 1)
    a header given twice, the required headers that are missing and, for a
    file that must match a template exactly (``extra_allowed=False``), the
    headers it does not know.
    """

    def __init__(self, position: dict[str, int]) -> None:
        self.position = position

    @classmethod
    def read(
        cls,
        headers: Sequence[str],
        *,
        required: Iterable[str],
        optional: Iterable[str] = (),
        extra_allowed: bool = False,
        errors: RowErrors,
    ) -> "ColumnIndex":
        """Index ``headers``, adding what is wrong with them to ``errors``."""
        required = list(required)
        known = {*required, *optional}
        position: dict[str, int] = {}
        unknown: list[str] = []
        seen: set[str] = set()
        for i, header in enumerate(headers):
            if not header or (extra_allowed and header not in known):
                continue  # a blank header, or a column of the user's own that is ignored
            if header in seen:
                errors.add(1, header, "", _("表头重复"))
                continue
            seen.add(header)
            if header in known:
                position[header] = i
            else:
                unknown.append(header)
        missing = [h for h in required if h not in position]
        if missing:
            # A template file has every column, so say which file to use; a
            # file with optional columns names the ones it cannot do without.
            reason = _("缺少列，请使用下载的模板") if not extra_allowed else _("缺少必填列")
            errors.add(1, "、".join(missing), "", reason)
        if unknown and not extra_allowed:
            errors.add(1, "、".join(unknown), "", _("无法识别的列，请使用下载的模板"))
        return cls(position)

    def __contains__(self, header: object) -> bool:
        return header in self.position

    def __getitem__(self, header: str) -> int:
        return self.position[header]

    def cell(self, row: Sequence[object], header: str) -> object:
        """The row's value in that column; "" when the file lacks the column or the row is short."""
        i = self.position.get(header)
        return row[i] if i is not None and i < len(row) else ""


@dataclass(frozen=True)
class Template:
    """An import's columns as its template has them, registered so that any
    import can tell a file that was meant for another one (a member roll
    uploaded as organisations, a branch's pledges on the member import).

    ``label`` names what the file holds (党员) as the page's 导入内容 choice
    does; ``page`` is the page that imports it, so a hint can say where to go.
    Both are lazy translations, so a hint reads in the language it is made in.
    """

    key: str
    label: str | Promise
    page: str | Promise
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def headers(self) -> frozenset[str]:
        return frozenset((*self.required, *self.optional))

    def fits(self, headers: Iterable[str]) -> bool:
        """The file has every column this import needs."""
        return set(self.required) <= set(headers)


TEMPLATES: dict[str, Template] = {}


def register_template(template: Template) -> None:
    """Called by each importer's app when it loads (a later one replaces an earlier one)."""
    TEMPLATES[template.key] = template


def recognise(headers: Iterable[str], *, among: Iterable[str]) -> str | None:
    """The one import among ``among`` whose template the file's headers fit, if exactly one does."""
    headers = list(headers)
    fitting = [key for key in among if key in TEMPLATES and TEMPLATES[key].fits(headers)]
    return fitting[0] if len(fitting) == 1 else None


def other_import_hint(headers: Iterable[str], *, current: str) -> RowError | None:
    """When a file's header row is more another import's than this one's, the
    error (on line 1) that says which import it looks like and where that is."""
    present = {h for h in headers if h}
    own = TEMPLATES.get(current)
    own_score = len(present & own.headers) if own else 0
    best, best_score = None, own_score
    for template in TEMPLATES.values():
        score = len(present & template.headers)
        if template.key != current and score > best_score and score >= 2:
            best, best_score = template, score
    if best is None:
        return None
    if own is not None and best.page == own.page:
        reason = _(
            "这个文件的表头是「%(label)s」导入模板的列：请在「导入内容」中选择「%(label)s」后重新上传"
        ) % {"label": best.label}
        return RowError(1, "", "", reason)
    # Another page, which this user may not be allowed to use: say where such a
    # file goes, and what this page wants.
    if own is not None:
        reason = _(
            "这个文件的表头是「%(label)s」导入模板的列，不是「%(own)s」的：请按本页的模板填写"
            "（「%(label)s」文件在「%(page)s」页面导入）"
        ) % {"label": best.label, "own": own.label, "page": best.page}
    else:
        reason = _(
            "这个文件的表头是「%(label)s」导入模板的列：（「%(label)s」文件在「%(page)s」页面导入）"
        ) % {"label": best.label, "page": best.page}
    return RowError(1, "", "", reason)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a loop keeps one object per row.

    The rows are kept, not garbage, yet the collector walks them again every
    few hundred allocations; a NamedTuple, unlike a plain tuple, is never
    untracked. On 75,000 members that walking cost about 40% of the
    validation step (benchmarks/import_district.py). Reference counting still
    frees everything else at once; the collector resumes on the way out.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
