"""A file the imports cannot read is explained in the reader's language.

Every refusal of ``core.tabular`` and the header checks of ``core.imports`` is
a gettext message: with English active it is English and still names the row,
the column and the kind of file; in Chinese it reads as it always did. The
XLS and ODS refusals are worded in this process from what the parsing child
reports, so they follow this process's language too.
"""

import io
import zipfile

import pytest
from django.utils import translation

from core import tabular
from core.imports import ColumnIndex, RowErrors, other_import_hint
from core.tabular import Table, TableError, read_table
from orgs.importers import import_organizations
from tests.workbooks import ods, xls, xlsx

HEADERS = ["党员编号", "姓名"]


def _refusal(language: str, data: bytes, name: str, **options) -> str:
    with translation.override(language), pytest.raises(TableError) as refused:
        read_table(data, name, **options)
    return str(refused.value)


def _xlsb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
    return buffer.getvalue()


# openpyxl will not write a NUL, but writes its OOXML escape, which the reader decodes.
NUL_XLSX = xlsx(HEADERS, [["P1", "张三"], ["P2", "坏_x0000_名"]])


@pytest.mark.parametrize(
    "language,expected",
    [
        ("en", "Line 3, column B (姓名) contains a NUL character: remove it and upload again"),
        ("zh-hans", "第 3 行第 B 列（姓名）含有空字符（NUL），请删除后重新上传"),
    ],
)
def test_a_nul_cell_is_named_by_line_and_column(language, expected):
    assert _refusal(language, NUL_XLSX, "m.xlsx") == expected


class _Book:
    """What ``StreamedRows`` reads of an openpyxl read-only workbook: rows from line 2."""

    def __init__(self, rows):
        sheet = type("Sheet", (), {"iter_rows": lambda self, **kw: iter(rows)})()
        self.worksheets = [sheet]

    def close(self):
        pass


@pytest.mark.parametrize(
    "language,expected",
    [
        ("en", "Line 3, column B contains a NUL character: remove it and upload again"),
        ("zh-hans", "第 3 行第 B 列含有空字符（NUL），请删除后重新上传"),
    ],
)
def test_a_nul_cell_in_a_streamed_sheet_too(language, expected):
    # openpyxl hands NUL through only from files it cannot be made to write, so
    # the rows come from a stand-in for the workbook.
    rows = tabular.StreamedRows(_Book([("P1", "张三"), ("P2", "坏\0名")]), 2, [])
    with translation.override(language), pytest.raises(TableError) as refused:
        list(rows)
    assert str(refused.value) == expected


ROWS = [[f"P{n}", f"党员{n}"] for n in range(5)]


@pytest.mark.parametrize(
    "build,name,english,chinese",
    [
        (
            lambda: ("党员编号,姓名\n" + "".join(f"P{n},党员{n}\n" for n in range(5))).encode(),
            "m.csv",
            "Too many data rows: more than 3 (line 5)",
            "数据行过多：超过 3 行（第 5 行）",
        ),
        (
            lambda: xlsx(HEADERS, ROWS),
            "m.xlsx",
            "Too many data rows: the Excel file has content on row 6, the limit is 3 rows",
            "数据行过多：Excel 文件第 6 行有内容，上限为 3 行",
        ),
        (  # read by the child process; the message is made here
            lambda: xls(HEADERS, ROWS),
            "m.xls",
            "Too many data rows: the Excel file has content on row 6, the limit is 3 rows",
            "数据行过多：Excel 文件第 6 行有内容，上限为 3 行",
        ),
        (
            lambda: ods(HEADERS, ROWS),
            "m.ods",
            # ODS is measured row by row: line 5 is the first past header + 3
            "Too many data rows: the ODS file has content on row 5, the limit is 3 rows",
            "数据行过多：ODS 文件第 5 行有内容，上限为 3 行",
        ),
    ],
    ids=["csv", "xlsx", "xls", "ods"],
)
def test_too_many_rows_names_the_row_and_the_kind_of_file(settings, build, name, english, chinese):
    settings.IMPORT_MAX_ROWS = 3
    data = build()
    assert _refusal("en", data, name) == english
    assert _refusal("zh-hans", data, name) == chinese


def test_a_workbook_the_child_cannot_parse_is_explained_in_this_process_language():
    # An OLE2 compound file that holds no workbook: the child reports "unreadable".
    data = tabular.OLE2_MAGIC + b"\0" * 1024
    assert _refusal("en", data, "m.xls") == (
        "The Excel file is damaged or not a valid Excel workbook and cannot be read: "
        "save it as .xlsx and upload it again"
    )
    assert _refusal("zh-hans", data, "m.xls") == (
        "Excel 文件已损坏或不是有效的 Excel 工作簿，无法读取：请另存为 .xlsx 后重新上传"
    )


def test_an_xlsb_workbook_is_refused_with_what_to_do():
    assert _refusal("en", _xlsb(), "book.xlsx") == (
        "Excel binary workbooks (.xlsb) are not supported: "
        "save the file as .xlsx in Excel and upload it again"
    )
    assert _refusal("zh-hans", _xlsb(), "book.xlsx") == (
        "不支持 Excel 二进制工作簿（.xlsb）：请在 Excel 中另存为 .xlsx 后重新上传"
    )


def _header_errors(language: str) -> list[str]:
    with translation.override(language):
        errors = RowErrors()
        ColumnIndex.read(["党员编号", "党员编号", "备注"], required=HEADERS, errors=errors)
        return [str(e) for e in errors]


def test_a_bad_header_row_names_line_1_and_the_columns():
    assert _header_errors("en") == [
        "Line 1 “党员编号”: Repeated column header",
        "Line 1 “姓名”: Columns are missing: please use the downloadable template",
        "Line 1 “备注”: Unknown columns: please use the downloadable template",
    ]
    assert _header_errors("zh-hans") == [
        "第 1 行「党员编号」：表头重复",
        "第 1 行「姓名」：缺少列，请使用下载的模板",
        "第 1 行「备注」：无法识别的列，请使用下载的模板",
    ]


ROLL = ["党员编号", "姓名", "性别", "出生日期"]


def test_a_file_for_another_import_is_named_in_the_readers_language():
    with translation.override("en"):
        report = import_organizations(
            Table(ROLL, [["P1", "张三", "男", "1980-01-01"]]), user=None, dry_run=True
        ).as_dict()
        elsewhere = other_import_hint(ROLL, current="pledges")
    assert report["errors"][0]["text"] == (
        "Line 1: This file has the columns of the “Party member” import template: "
        "choose “Party member” under “Import type” and upload it again"
    )
    assert elsewhere is not None and elsewhere.reason == (
        "This file has the columns of the “Party member” import template, not those of "
        "“Party member pledges”: fill in this page's template (“Party member” files are "
        "imported on the “Bulk import Party organisations and members” page)"
    )
    with translation.override("zh-hans"):
        report = import_organizations(
            Table(ROLL, [["P1", "张三", "男", "1980-01-01"]]), user=None, dry_run=True
        ).as_dict()
    assert report["errors"][0]["text"] == (
        "第 1 行：这个文件的表头是「党员」导入模板的列：请在「导入内容」中选择「党员」后重新上传"
    )
