"""Every accepted format reads to the same table, and the bytes decide the format.

Many offices still save Excel 97–2003 (.xls) files, and WPS or LibreOffice
users .ods; a file is read as what its first bytes say it is, so a workbook
saved under the wrong extension still reads, and a file that is not one gets
a message saying what it is.
"""

import datetime as dt
import io
import zipfile

import pytest

from core.tabular import TableError, read_table, write_csv, write_xlsx
from tests.workbooks import ods, xls, xlsx

HEADERS = ["党员编号", "姓名", "出生日期", "手机号码"]
ROWS = [
    ["P0001", "张三", dt.date(1980, 5, 4), 13800138000],
    ["P0002", "李四", dt.date(1991, 12, 31), 13900139000],
]
BUILDERS = {"xlsx": xlsx, "xls": xls, "ods": ods}


@pytest.mark.parametrize("fmt", BUILDERS)
def test_each_workbook_format_reads_to_the_same_values(fmt):
    table = read_table(BUILDERS[fmt](HEADERS, ROWS), f"members.{fmt}")
    assert table.headers == HEADERS
    assert [row[:2] for row in table.rows] == [["P0001", "张三"], ["P0002", "李四"]]
    assert [row[2] for row in table.rows] == [dt.date(1980, 5, 4), dt.date(1991, 12, 31)]
    assert [row[3] for row in table.rows] == [13800138000, 13900139000]
    assert [table.line(i) for i in range(2)] == [2, 3]


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_blank_rows_keep_the_files_own_line_numbers(fmt):
    rows = [ROWS[0], ["", "", "", ""], ["", "", "", ""], ROWS[1]]
    table = read_table(BUILDERS[fmt](HEADERS, rows), f"gaps.{fmt}")
    assert table.lines == [2, 5]


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_our_own_export_guard_is_undone_in_every_format(fmt):
    values = ["=SUM(A1)", "+86 138", "-1", "@home", "'quoted"]
    guarded = [["'" + v if v[0] in "=+-@" else v] for v in values]
    table = read_table(BUILDERS[fmt](["说明"], guarded), f"back.{fmt}")
    assert [row[0] for row in table.rows] == values


@pytest.mark.parametrize(
    "fmt,name", [("xlsx", "saved-as.xls"), ("ods", "saved-as.xlsx"), ("xls", "saved-as.ods")]
)
def test_a_workbook_under_another_workbook_extension_reads_as_what_it_is(fmt, name):
    assert read_table(BUILDERS[fmt](HEADERS, ROWS), name).rows[0][0] == "P0001"


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, text in members.items():
            archive.writestr(member, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data,name,reason",
    [
        ("党员编号,姓名\nP1,张三\n".encode(), "members.xls", "不是 Excel 或 ODS 工作簿"),
        (
            "<html><body><table><tr><td>党员编号</td></tr></table></body></html>".encode(),
            "导出.xls",
            "网页（HTML/XML）格式的表格",
        ),
        (
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
            "2003.xls",
            "网页（HTML/XML）格式的表格",
        ),
        (_zip({"xl/workbook.bin": "x"}), "binary.xlsx", "不支持 Excel 二进制工作簿（.xlsb）"),
        (_zip({"word/document.xml": "<w/>"}), "letter.xlsx", "其他压缩文件"),
        (xls(HEADERS, ROWS), "members.csv", "不是 CSV 文本"),
        (ods(HEADERS, ROWS), "members.csv", "不是 CSV 文本"),
        (b"a,b\n", "members.numbers", "只接受 .xlsx、.xls、.ods 或 .csv 文件"),
    ],
)
def test_what_is_not_the_workbook_its_name_says_is_named(data, name, reason):
    with pytest.raises(TableError, match=reason):
        read_table(data, name)


def test_an_ods_without_its_mimetype_member_is_not_taken_for_one():
    data = ods(HEADERS, ROWS)
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = {n: source.read(n) for n in source.namelist() if n != "mimetype"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    with pytest.raises(TableError, match="不是 Excel 或 ODS 工作簿"):
        read_table(buffer.getvalue(), "no-mimetype.ods")


def test_header_only_and_empty_sheets(tmp_path):
    with pytest.raises(TableError, match="只有表头"):
        read_table(xls(HEADERS, []), "header.xls")
    with pytest.raises(TableError, match="只有表头"):
        read_table(ods(HEADERS, []), "header.ods")
    with pytest.raises(TableError, match="文件为空"):
        read_table(ods([], []), "empty.ods")


def test_csv_and_xlsx_exports_still_read_back():
    values = [["=1", "x"]]
    assert read_table(write_csv(["a", "b"], values), "e.csv").rows == [["=1", "x"]]
    assert read_table(write_xlsx(["a", "b"], values, title="t"), "e.xlsx").rows == [["=1", "x"]]
