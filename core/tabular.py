"""Reading and writing spreadsheets: XLSX, XLS (Excel 97–2003), ODS and CSV
(UTF-8 with or without BOM, GB18030/GBK).

Reading checks the file before parsing it (size, type by content, zip bombs,
the extent a sheet declares) and turns every failure into a ``TableError``
whose message is translated (gettext) in the language active when it is
raised. XLS and ODS files are parsed in a child process whose memory is capped
(``tabular_child.py``); the child reports a failure as a kind ("memory",
"unreadable", …), never as a sentence, and the message is made here, in the
parent, so the parent's language applies.
"""

import csv
import datetime as dt
import io
import json
import logging
import re
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# What an import accepts by name; which parser reads a workbook is decided by its
# first bytes (an .xls that is really an .xlsx reads as one), not by the name.
ACCEPTED_EXTENSIONS = (".xlsx", ".xls", ".ods", ".csv")
XLSX_MAGIC = b"PK\x03\x04"  # any zip: XLSX and ODS
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file XLS lives in
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
MAX_UNZIPPED_BYTES = 400 * 1024 * 1024
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")


class TableError(Exception):
    """The file as a whole cannot be read; the message says why, in the active language."""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]  # values as parsed, blank rows left out
    all_text: bool = False  # every cell is already a str (CSV): no conversion needed
    # The file's own line of each row (blank rows and multi-line cells counted),
    # for messages; without it row i is taken to be line i + 2.
    lines: list[int] | None = None

    def line(self, index: int) -> int:
        """The line of the file that row ``index`` came from, as the user counts."""
        return self.lines[index] if self.lines is not None else index + 2


# An XLSX sheet longer than this is read row by row (openpyxl's read-only
# reader) when the caller can take its rows one at a time (``stream=True``):
# python-calamine builds the whole sheet in memory first (about 340 MB at its
# peak for 360,000 members), which is faster below this size.
STREAM_XLSX_ROWS = 100_000


class StreamedRows:
    """The data rows of a sheet read as they are iterated, once; ``len`` is
    the sheet's extent (blank rows included), known before reading. Each
    row's line is appended to ``lines`` as it is handed out."""

    def __init__(self, book: Any, extent: int, lines: list[int]) -> None:
        self.book = book  # an openpyxl read-only workbook, opened once
        self.extent = extent
        self.lines = lines
        self.used = False

    def __len__(self) -> int:
        return self.extent

    def __iter__(self) -> Iterator[list[Any]]:
        if self.used:
            raise RuntimeError("a streamed sheet is read once")
        self.used = True
        try:
            sheet = self.book.worksheets[0]
            for line, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
                row = [_unescape(line, i, v) for i, v in enumerate(values)]
                if any(v not in ("", None) for v in row):
                    self.lines.append(line)
                    yield row
        finally:
            self.book.close()


def _unescape(line: int, position: int, value: Any) -> Any:
    """One cell of a streamed row, checked and cleaned as ``_clean_cells`` does."""
    if type(value) is not str:
        return value
    if "\0" in value:
        raise TableError(
            _("第 %(line)s 行第 %(column)s 列%(header)s含有空字符（NUL），请删除后重新上传")
            % {"line": line, "column": column_name(position + 1), "header": ""}
        )
    if value[:1] == "'" and value[1:2] in FORMULA_PREFIXES:
        return value[1:]
    return value


def read_table(data: bytes, filename: str, *, stream: bool = False) -> Table:
    """Parse an uploaded file into headers and rows, or raise TableError.

    ``stream``: the caller iterates ``rows`` once, in order (the member
    import); a long XLSX sheet then comes as ``StreamedRows``, so memory does
    not grow with the file."""
    name = filename.lower()
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise TableError(
            _("文件过大：%(size).1f MB，上限为 %(max).0f MB")
            % {"size": len(data) / 1024 / 1024, "max": settings.IMPORT_MAX_BYTES / 1024 / 1024}
        )
    if not data.strip():
        raise TableError(_("文件为空"))
    if not name.endswith(ACCEPTED_EXTENSIONS):
        raise TableError(_("不支持的文件类型：只接受 .xlsx、.xls、.ods 或 .csv 文件"))
    if name.endswith(".csv"):
        table = _read_csv(data)
    else:
        table = _read_workbook(data, stream=stream)
        if isinstance(table.rows, StreamedRows):
            return table  # its cells are checked as they are read
    if not any(table.headers):
        raise TableError(_("文件没有表头行"))
    if not table.rows:
        raise TableError(_("文件只有表头，没有数据行"))
    if len(table.rows) > settings.IMPORT_MAX_ROWS:
        raise TableError(
            _("数据行过多：%(n)s 行，上限为 %(max)s 行")
            % {"n": len(table.rows), "max": settings.IMPORT_MAX_ROWS}
        )
    _clean_cells(table)
    return table


def _clean_cells(table: Table) -> None:
    """Refuse NUL characters where they are (PostgreSQL cannot store them, so a
    file that passed its dry run would fail its commit), and undo our own
    export's formula guard, so an exported file imports back unchanged."""
    for index, row in enumerate(table.rows):
        for position, value in enumerate(row):
            if type(value) is not str:
                continue
            if "\0" in value:
                header = table.headers[position] if position < len(table.headers) else ""
                named = _("（%(header)s）") % {"header": header} if header else ""
                raise TableError(
                    _("第 %(line)s 行第 %(column)s 列%(header)s含有空字符（NUL），请删除后重新上传")
                    % {
                        "line": table.line(index),
                        "column": column_name(position + 1),
                        "header": named,
                    }
                )
            if value[:1] == "'" and value[1:2] in FORMULA_PREFIXES:
                row[position] = value[1:]


def _read_workbook(data: bytes, *, stream: bool = False) -> Table:
    """A spreadsheet read as what its first bytes say it is, whatever its name."""
    if data.startswith(OLE2_MAGIC):
        return _read_in_child(data, "Excel", ".xls")
    if data.startswith(XLSX_MAGIC):
        kind = _zip_kind(data)
        if kind == "ods":
            return _read_ods(data)
        if kind == "xlsb":
            raise TableError(
                _("不支持 Excel 二进制工作簿（.xlsb）：请在 Excel 中另存为 .xlsx 后重新上传")
            )
        if kind == "other":
            raise TableError(_("文件内容不是 Excel 或 ODS 工作簿：可能是改了扩展名的其他压缩文件"))
        # an XLSX, or a zip too damaged to tell: its own messages
        return _read_xlsx(data, stream=stream)
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta")):
        raise TableError(
            _(
                "文件内容是网页（HTML/XML）格式的表格，不是 Excel 工作簿："
                "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"
            )
        )
    raise TableError(_("文件内容不是 Excel 或 ODS 工作簿：可能是改了扩展名的 CSV 或其他文件"))


def _zip_kind(data: bytes) -> str:
    """The workbook an archive holds, by its members: "xlsx", "ods", "xlsb" or
    "other"; "xlsx" when it cannot be opened (the XLSX reader says how it is damaged)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "xl/workbook.bin" in names:
                return "xlsb"
            if "mimetype" in names:
                with archive.open("mimetype") as mimetype:  # the parser wants it exactly
                    if mimetype.read(len(ODS_MIMETYPE) + 1) == ODS_MIMETYPE:
                        return "ods"
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return "xlsx"
    return "other"


def _read_ods(data: bytes) -> Table:
    """The zip is checked as for XLSX, and the sheets' declared extent measured by
    streaming content.xml, before the capped child parses it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "content.xml" not in archive.namelist():
                raise TableError(_("文件不是有效的 ODS 工作簿（缺少 content.xml）"))
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise TableError(_("ODS 文件解压后过大，拒绝读取"))
            bad = archive.testzip()
            if bad is not None:
                raise TableError(_("ODS 文件已损坏：%(part)s 校验失败") % {"part": bad})
            _check_ods_extent(archive)
    except zipfile.BadZipFile:
        raise TableError(_("ODS 文件已损坏或不完整，无法打开")) from None
    return _read_in_child(data, "ODS", ".ods")


# What the parser counts in content.xml: sheets, rows and their cells. It matches
# these names with the "table:" prefix exactly, and so does this scan.
_ODS_SHEET = (b"<table:table ", b"<table:table>")
_ODS_ROW, _ODS_ROW_END = b"<table:table-row", b"</table:table-row>"
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell(?=[\s/>])([^>]*)>")
_ODS_REPEAT = re.compile(rb"number-(?:rows|columns)-repeated=[\"'](\d+)")
_ODS_NAME = re.compile(rb"\bname=[\"']([^\"']*)")
_ODS_MAX_ROW_BYTES = 16 << 20


def _ods_last_cell(body: bytes) -> int:
    """The column (1-based) of the row's last cell that holds a value or a formula; 0 if none."""
    content = max(body.rfind(b"value-type="), body.rfind(b"formula="))
    if content < 0:
        return 0
    end = body.find(b">", content)
    if b"-repeated=" not in body[: end if end >= 0 else len(body)]:
        # Nothing repeats up to that cell (the usual case: LibreOffice repeats the
        # empty cells after the last value), so the cells before it can be counted.
        head = body[:content]
        return head.count(b"<table:table-cell") + head.count(b"<table:covered-table-cell")
    column = last = 0
    for match in _ODS_CELL.finditer(body):
        attributes = match.group(1)
        repeat = _ODS_REPEAT.search(attributes)
        times = int(repeat.group(1)) if repeat else 1
        if b"value-type=" in attributes or b"formula=" in attributes:
            last = column + times
        column += times
    return last


def _check_ods_extent(archive: zipfile.ZipFile) -> None:
    """Refuse a sheet whose content reaches past the row or column cap, counting
    ``number-rows-repeated`` and ``number-columns-repeated`` as the parser
    expands them.

    A 10 KB file may declare a row repeated a million times, each of 16,384
    filled cells. Empty repeats are left alone (every LibreOffice sheet ends with
    a million empty rows, which the parser skips); a repeated cell or row that
    holds a value counts in full. Every sheet is checked: the parser reads them
    all when the file is opened. The XML is streamed a row at a time, so memory
    stays flat; most rows are measured with byte counts rather than a loop.
    """
    max_rows = settings.IMPORT_MAX_ROWS + 1  # the header line
    max_columns = settings.IMPORT_MAX_COLUMNS
    sheet, sheets, row = "", 0, 0  # row: the rows of this sheet so far

    def where() -> str:
        # Chinese names the sheet before the row, English after it ("on row 3 of sheet …").
        return _("工作表「%(sheet)s」") % {"sheet": sheet} if sheets > 1 else ""

    def sheet_starts(text: bytes, start: int, end: int) -> None:
        nonlocal sheet, sheets, row
        for opening in _ODS_SHEET:
            found = text.find(opening, start, end)
            while found >= 0:
                name = _ODS_NAME.search(text, found, text.find(b">", found))
                sheet = name.group(1).decode("utf-8", "replace") if name else ""
                sheets, row = sheets + 1, 0
                found = text.find(opening, found + 1, end)

    def scan(text: bytes) -> None:
        # Rows are found with plain byte searches: a regex over every cell
        # took longer than the parse itself.
        nonlocal row
        position = 0
        while True:
            start = text.find(_ODS_ROW, position)
            sheet_starts(text, position, len(text) if start < 0 else start)
            if start < 0:
                return
            tag_end = text.find(b">", start)
            if tag_end < 0:
                return
            follows = text[start + len(_ODS_ROW) : start + len(_ODS_ROW) + 1]
            if follows not in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
                position = tag_end + 1  # <table:table-rows>, <table:table-row-group>
                continue
            attributes = text[start + len(_ODS_ROW) : tag_end]
            if attributes.endswith(b"/"):
                body, position = b"", tag_end + 1
            else:
                close = text.find(_ODS_ROW_END, tag_end)
                close = len(text) if close < 0 else close
                body, position = text[tag_end + 1 : close], close + len(_ODS_ROW_END)
            repeat = _ODS_REPEAT.search(attributes)
            times = int(repeat.group(1)) if repeat else 1
            last = _ods_last_cell(body) if body else 0
            if last > max_columns:
                raise TableError(
                    _(
                        "ODS 文件%(sheet)s第 %(row)s 行第 %(column)s 列有内容，"
                        "超出上限 %(max)s 列：请只保留模板中的列"
                    )
                    % {
                        "sheet": where(),
                        "row": row + 1,
                        "column": column_name(min(last, 16384)),
                        "max": max_columns,
                    }
                )
            if last and row + times > max_rows:
                raise TableError(
                    _("数据行过多：ODS 文件%(sheet)s第 %(row)s 行有内容，上限为 %(max)s 行")
                    % {"sheet": where(), "row": row + times, "max": settings.IMPORT_MAX_ROWS}
                )
            row += times

    tail = b""
    with archive.open("content.xml") as handle:
        while True:
            chunk = handle.read(1 << 20)
            if not chunk:
                break
            text = tail + chunk
            # Everything before the last row's start is whole; with no row in
            # sight, everything before the last tag's start.
            cut = text.rfind(b"<table:table-row")
            if cut < 0:
                cut = text.rfind(b"<")
            if cut <= 0 and len(text) > _ODS_MAX_ROW_BYTES:
                raise TableError(_("ODS 文件中有一行内容过长，无法读取"))
            scan(text[: max(cut, 0)])
            tail = text[max(cut, 0) :]
    scan(tail)


def _untag(document: dict[str, Any]) -> object:
    """The values ``tabular_child._tagged`` wrote as objects."""
    if "datetime" in document:
        return dt.datetime.fromisoformat(document["datetime"])
    if "date" in document:
        return dt.date.fromisoformat(document["date"])
    if "time" in document:
        return dt.time.fromisoformat(document["time"])
    if "seconds" in document:
        return dt.timedelta(seconds=document["seconds"])
    return document.get("text", "")


_CHILD = Path(__file__).with_name("tabular_child.py")
# One row as the child writes it: CSV's longest row, at up to 4 bytes a character in JSON.
_CHILD_MAX_LINE = 4 * 200_000


def _read_in_child(data: bytes, label: str, suffix: str) -> Table:
    """The first sheet of an XLS or ODS file, parsed by ``tabular_child.py`` within
    ``IMPORT_PARSER_MEMORY_MB`` and ``IMPORT_PARSER_SECONDS``.

    The child reports the sheet's extent before any row, so the caps are checked
    before the rows are sent; the rows are counted as they arrive. A child that
    runs out of memory or time dies alone and the file is refused.
    """
    memory, seconds = settings.IMPORT_PARSER_MEMORY_MB, settings.IMPORT_PARSER_SECONDS
    with tempfile.TemporaryDirectory(prefix="import-") as folder:
        # Named for the format found, so the parser does not guess it again.
        source, log = Path(folder) / f"upload{suffix}", Path(folder) / "stderr"
        source.write_bytes(data)
        with log.open("wb") as stderr:
            child = subprocess.Popen(
                [sys.executable, "-I", str(_CHILD), str(source), str(memory), str(seconds)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
        # The CPU limit ends a busy child; this ends one that is stuck.
        timer = threading.Timer(2 * seconds, child.kill)
        timer.start()
        try:
            assert child.stdout is not None
            failure, detail, table = _collect(child.stdout, label)
            child.stdout.close()
            status = child.wait()
        finally:
            timer.cancel()
            if child.poll() is None:
                child.kill()
                child.wait()
        if failure == "unreadable":
            logger.info("%s file unreadable: %s", label, detail)
            raise TableError(
                _(
                    "%(kind)s 文件已损坏或不是有效的 %(kind)s 工作簿，无法读取："
                    "请另存为 .xlsx 后重新上传"
                )
                % {"kind": label}
            )
        if failure == "nosheet":
            raise TableError(_("%(kind)s 文件中没有工作表") % {"kind": label})
        if failure or status != 0 or table is None:
            logger.warning(
                "%s reader died (status %s): %s",
                label,
                status,
                log.read_text(errors="replace")[-500:],
            )
            raise TableError(
                _(
                    "%(kind)s 文件过大或已损坏，无法读取（读取时超出 %(memory)s MB 内存或 "
                    "%(seconds)s 秒）：请另存为 .xlsx 或 .csv 后重新上传"
                )
                % {"kind": label, "memory": memory, "seconds": seconds}
            )
    return table


def _collect(stream: IO[bytes], label: str) -> tuple[str, str, Table | None]:
    """Read the child's output: ("", "", table), or (the child's error, its
    detail, None); the caps refuse as soon as the extent or the rows pass them."""
    max_rows = settings.IMPORT_MAX_ROWS
    max_columns = settings.IMPORT_MAX_COLUMNS
    decode = json.JSONDecoder(object_hook=_untag).decode
    headers: list[str] | None = None
    rows: list[list[Any]] = []
    lines: list[int] = []
    first = True
    while True:
        raw = stream.readline(_CHILD_MAX_LINE + 1)
        if not raw:
            break
        if len(raw) > _CHILD_MAX_LINE:
            if lines:
                raise TableError(
                    _("%(kind)s 文件中有一行内容过长（第 %(row)s 行之后），请检查文件")
                    % {"kind": label, "row": lines[-1] + 1}
                )
            raise TableError(_("%(kind)s 文件中有一行内容过长，请检查文件") % {"kind": label})
        if first:
            first = False
            report = json.loads(raw)
            if not isinstance(report, dict) or "end" not in report:
                return _failure(report)
            if report["end"] is None:
                raise TableError(_("文件为空"))
            last_row, last_column = report["end"][0] + 1, report["end"][1] + 1
            if last_column > max_columns:
                raise TableError(
                    _(
                        "%(kind)s 文件第 %(column)s 列有内容，"
                        "超出上限 %(max)s 列：请只保留模板中的列"
                    )
                    % {"kind": label, "column": column_name(last_column), "max": max_columns}
                )
            if last_row > max_rows + 1:
                raise TableError(
                    _("数据行过多：%(kind)s 文件第 %(row)s 行有内容，上限为 %(max)s 行")
                    % {"kind": label, "row": last_row, "max": max_rows}
                )
            continue
        if raw.startswith(b"{"):
            return _failure(json.loads(raw))
        line, values = decode(raw.decode("utf-8"))
        if headers is None:
            headers = [_header(v) for v in values]
            continue
        if len(rows) >= max_rows:
            raise TableError(
                _("数据行过多：超过 %(max)s 行（第 %(row)s 行）") % {"max": max_rows, "row": line}
            )
        rows.append(values)
        lines.append(line)
    if headers is None:  # the child died before the header row
        return "failed", "", None
    return "", "", Table(headers=headers, rows=rows, lines=lines)


def _failure(report: object) -> tuple[str, str, None]:
    if not isinstance(report, dict):
        return "failed", "", None
    return str(report.get("error", "failed")), str(report.get("detail", "")), None


def _read_xlsx(data: bytes, *, stream: bool = False) -> Table:
    if not data.startswith(XLSX_MAGIC):
        raise TableError(_("文件内容不是 Excel（.xlsx）格式：可能是改了扩展名的其他文件"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            unzipped = sum(info.file_size for info in archive.infolist())
            if "xl/workbook.xml" not in names:
                raise TableError(_("文件不是有效的 Excel 工作簿（缺少 workbook.xml）"))
            if unzipped > MAX_UNZIPPED_BYTES:
                raise TableError(_("Excel 文件解压后过大，拒绝读取"))
            bad = archive.testzip()
            if bad is not None:
                raise TableError(_("Excel 文件已损坏：%(part)s 校验失败") % {"part": bad})
            # The parser builds the sheet as one dense block from A1 to the
            # farthest cell: one cell at XFD1048576 in a 5 KB file would ask for
            # hundreds of GB. Measure the block first, streaming the XML.
            extent = _check_sheet_extent(archive, _first_sheet(archive))
    except zipfile.BadZipFile:
        raise TableError(_("Excel 文件已损坏或不完整，无法打开")) from None
    if stream and extent - 1 > STREAM_XLSX_ROWS:
        return _stream_xlsx(data, extent)
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise TableError(_("Excel 文件中没有工作表"))
        values = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except TableError:
        raise
    except Exception as exc:
        raise TableError(
            _("Excel 文件已损坏，无法读取：%(error)s") % {"error": exc.__class__.__name__}
        ) from None
    if not values:
        raise TableError(_("文件为空"))
    headers = [_header(v) for v in values[0]]
    rows, lines = [], []
    for line, r in enumerate(values[1:], start=2):  # the block starts at A1
        if any(v not in ("", None) for v in r):
            rows.append(list(r))
            lines.append(line)
    return Table(headers=headers, rows=rows, lines=lines)


_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The archive member of the workbook's first sheet (the one that is read)."""
    from defusedxml import ElementTree

    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        sheet = next((e for e in workbook.iter() if e.tag.endswith("}sheet")), None)
        if sheet is None:
            raise TableError(_("Excel 文件中没有工作表"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        raise TableError(_("文件不是有效的 Excel 工作簿（缺少工作表关系）")) from None
    except ElementTree.ParseError:
        raise TableError(_("Excel 文件已损坏：工作簿内容无法解析")) from None
    except Exception as exc:  # defusedxml refuses entity tricks with its own errors
        raise TableError(
            _("Excel 文件内容不安全或已损坏：%(error)s") % {"error": exc.__class__.__name__}
        ) from None
    wanted = sheet.get(_RELATIONSHIP_ID)
    target = next(
        (rel.get("Target", "") for rel in rels.iter() if rel.get("Id") == wanted and wanted), ""
    )
    if not target:
        raise TableError(_("文件不是有效的 Excel 工作簿（找不到第一个工作表）"))
    member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    if member not in archive.namelist():
        raise TableError(_("文件不是有效的 Excel 工作簿（缺少第一个工作表）"))
    return member


_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|dimension)\b([^>]*)>")
_REF = re.compile(rb"\b(?:r|ref)=[\"']([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?[\"']")


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + (ch - 64)
    return number


def column_name(number: int) -> str:
    """1 → A, 27 → AA (for messages that name a cell)."""
    name = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def _stream_xlsx(data: bytes, extent: int) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        first = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), None)
    except Exception as exc:
        raise TableError(
            _("Excel 文件已损坏，无法读取：%(error)s") % {"error": exc.__class__.__name__}
        ) from None
    if first is None:
        book.close()
        raise TableError(_("文件为空"))
    lines: list[int] = []
    return Table(
        headers=[_header(v) for v in first],
        rows=StreamedRows(book, extent - 1, lines),  # type: ignore[arg-type]
        lines=lines,
    )


def _check_sheet_extent(archive: zipfile.ZipFile, member: str) -> int:
    """Refuse a sheet reaching past the row or column cap before it is parsed.

    Streams the sheet's XML in pieces (memory stays flat whatever the file
    declares) and follows positions as the parser will: a cell's own reference,
    or the next column (and a row's own number, or the next row) where the
    reference is left out.
    """
    max_rows = settings.IMPORT_MAX_ROWS + 1  # the header line
    max_columns = settings.IMPORT_MAX_COLUMNS

    def check(row: int, column: int) -> None:
        if column > max_columns:
            raise TableError(
                _(
                    "Excel 文件第 %(row)s 行第 %(column)s 列有内容，超出上限 %(max)s 列：请只保留模板中的列"
                )
                % {"row": row, "column": column_name(column), "max": max_columns}
            )
        if row > max_rows:
            raise TableError(
                _("数据行过多：Excel 文件第 %(row)s 行有内容，上限为 %(max)s 行")
                % {"row": row, "max": settings.IMPORT_MAX_ROWS}
            )

    row = column = 0
    max_row_seen = 0
    tail = b""
    with archive.open(member) as handle:
        while True:
            chunk = handle.read(1 << 20)
            if not chunk:
                break
            text = tail + chunk
            cut = text.rfind(b">") + 1  # a tag is matched only once it is whole
            text, tail = text[:cut], text[cut:]
            if len(tail) > 1 << 16:
                raise TableError(_("Excel 文件已损坏：工作表内容无法解析"))
            for match in _TAG.finditer(text):
                name, attributes = match.group(1), match.group(2)
                ref = _REF.search(attributes)
                if name == b"dimension":
                    if ref is not None and ref.group(4):  # A1:XFD1048576
                        check(int(ref.group(4)), _column_number(ref.group(3)))
                    continue
                if name == b"row":
                    row = int(ref.group(2)) if ref is not None and ref.group(2) else row + 1
                    column = 0
                else:
                    if ref is not None and ref.group(1):
                        column = _column_number(ref.group(1))
                        if ref.group(2):
                            row = int(ref.group(2))
                    else:
                        column += 1
                check(max(row, 1), column)
                max_row_seen = max(max_row_seen, row)
    return max_row_seen


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not) first, then GB18030 (a superset of GBK, as Chinese Excel saves)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise TableError(_("无法识别文件编码：请保存为 UTF-8 或 GBK 编码的 CSV")) from None


CSV_MAX_RECORD = 200_000  # characters in one row; a real row of the templates has a few hundred


class _Lines:
    """The text's lines for csv.reader, refusing a row that grows past
    CSV_MAX_RECORD characters before the reader builds it (a row of millions of
    fields, or lines chained by quotes); ``used`` is reset after each row."""

    def __init__(self, text: str) -> None:
        # Lines are cut from the text itself: a StringIO would hold a second,
        # four-bytes-a-character copy of the whole file.
        if "\n" not in text:
            text = text.replace("\r", "\n")  # old Mac Excel ends lines with CR alone
        self.text = text
        self.position = 0
        self.used = 0
        self.number = 0

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        start = self.position
        if start >= len(self.text):
            raise StopIteration
        end = self.text.find("\n", start, start + CSV_MAX_RECORD + 1)
        if end < 0:
            end = min(len(self.text), start + CSV_MAX_RECORD + 1) - 1
        self.position = end + 1
        self.number += 1
        self.used += self.position - start
        if self.used > CSV_MAX_RECORD:
            raise TableError(
                _("CSV 第 %(row)s 行过长（一行超过 %(max)s 个字符），请检查文件")
                % {"row": self.number, "max": CSV_MAX_RECORD}
            )
        return self.text[start : self.position]


def _read_csv(data: bytes) -> Table:
    """Rows are read one at a time and counted as they come, so a file of millions
    of short lines is refused at the cap instead of being held whole."""
    if data.startswith(XLSX_MAGIC) or b"\0" in data[:4096]:
        raise TableError(_("文件内容不是 CSV 文本：可能是改了扩展名的 Excel 或其他文件"))
    try:
        text = decode_text(data)
    except UnicodeDecodeError:
        raise TableError(_("文件编码错误：请保存为 UTF-8 或 GBK 编码的 CSV")) from None
    max_columns = settings.IMPORT_MAX_COLUMNS
    headers: list[str] | None = None
    rows: list[list[Any]] = []
    starts: list[int] = []
    lines = _Lines(text)
    reader = csv.reader(lines)
    start = 1
    try:
        for record in reader:
            lines.used = 0
            first, start = start, reader.line_num + 1  # a quoted cell may span lines
            if len(record) > max_columns:
                raise TableError(
                    _("CSV 第 %(row)s 行有 %(n)s 列，超出上限 %(max)s 列：请只保留模板中的列")
                    % {"row": reader.line_num, "n": len(record), "max": max_columns}
                )
            if headers is None:
                headers = [_header(v) for v in record]
            elif any(v.strip() for v in record):
                if len(rows) >= settings.IMPORT_MAX_ROWS:
                    raise TableError(
                        _("数据行过多：超过 %(max)s 行（第 %(row)s 行）")
                        % {"max": settings.IMPORT_MAX_ROWS, "row": reader.line_num}
                    )
                rows.append(record)
                starts.append(first)
    except csv.Error as exc:
        raise TableError(
            _("CSV 格式错误（第 %(row)s 行）：%(error)s") % {"row": reader.line_num, "error": exc}
        ) from None
    if headers is None:
        raise TableError(_("文件为空"))
    return Table(headers=headers, rows=rows, all_text=True, lines=starts)


# Whitespace and the invisible marks some editors leave in a header: byte order
# marks (GB18030's own decodes to U+FEFF too), zero-width spaces, direction marks.
_INVISIBLE = re.compile(r"[\s\ufeff\u200b-\u200f\u2060]+")


def _header(value: object) -> str:
    return _INVISIBLE.sub("", str(value or "")).strip("*")


def cell_text(value: object) -> str:
    """A cell as trimmed text; Excel numbers that are whole print without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10]
    return str(value).strip()


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def parse_date(value: object) -> dt.date:
    """A date from an Excel cell or text; ValueError with a Chinese reason otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(_("日期不存在")) from None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                raise ValueError(_("日期不存在")) from None
    raise ValueError(_("日期格式应为 YYYY-MM-DD"))


def neutralise(value: object) -> object:
    """Make a text cell safe to open in a spreadsheet (no formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with BOM, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def write_table(
    fmt: str, headers: Sequence[str], rows: Iterable[Sequence[object]], *, title: str
) -> tuple[bytes, str]:
    """The rows as an XLSX file (``fmt == "xlsx"``) or else CSV, with its content type."""
    if fmt == "xlsx":
        return write_xlsx(headers, rows, title=title), XLSX_CONTENT_TYPE
    return write_csv(headers, rows), CSV_CONTENT_TYPE


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[object]], *, title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(headers))
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def iter_chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
