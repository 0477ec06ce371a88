"""Spreadsheets built to exhaust memory are refused before they are parsed.

The parser lays a sheet out as one dense block from A1 to its farthest cell, so
a 5 KB file naming XFD1048576 asks for hundreds of GB; a CSV of millions of
tiny lines was held whole before the row cap was counted. Peak memory for each
of these is printed by ``benchmarks/hostile_files.py``.
"""

import io
import zipfile

import pytest

from core.tabular import TableError, column_name, read_table

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)


def crafted_xlsx(rows_xml: str, dimension: str = "") -> bytes:
    """A minimal workbook whose first sheet holds ``rows_xml`` (inline strings and numbers)."""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + f"<sheetData>{rows_xml}</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>党员编号</t></is></c></row>'


def far_cell(ref: str) -> bytes:
    row = "".join(ch for ch in ref if ch.isdigit())
    return crafted_xlsx(f'{HEADER}<row r="{row}"><c r="{ref}"><v>1</v></c></row>')


def test_a_plain_crafted_sheet_still_reads():
    table = read_table(far_cell("B3"), "ok.xlsx")
    assert table.headers == ["党员编号", ""]
    assert table.rows == [["", 1.0]]


@pytest.mark.parametrize(
    "ref,reason",
    [
        ("XFD1048576", "第 1048576 行有内容，上限为 200000 行"),
        ("CV1000000", "第 1000000 行有内容，上限为 200000 行"),
        ("XFD2", "第 2 行第 XFD 列有内容，超出上限 50 列"),
        ("CV5", "第 5 行第 CV 列有内容，超出上限 50 列"),
    ],
)
def test_one_far_cell_is_refused_before_parsing(ref, reason):
    data = far_cell(ref)
    assert len(data) < 5000  # the 4.8 KB file
    with pytest.raises(TableError, match=reason):
        read_table(data, "far.xlsx")


def test_a_far_declared_dimension_is_refused():
    data = crafted_xlsx(HEADER, dimension="A1:XFD1048576")
    with pytest.raises(TableError, match="超出上限 50 列"):
        read_table(data, "dimension.xlsx")


def test_cells_without_references_are_counted_where_the_parser_puts_them(settings):
    settings.IMPORT_MAX_ROWS = 10
    cells = "<c><v>1</v></c>" * 51  # no r="": the parser places them one after another
    with pytest.raises(TableError, match="第 2 行第 AY 列有内容"):
        read_table(crafted_xlsx(f"{HEADER}<row>{cells}</row>"), "implicit.xlsx")
    rows = "".join("<row><c><v>1</v></c></row>" for _ in range(12))
    with pytest.raises(TableError, match="第 12 行有内容，上限为 10 行"):
        read_table(crafted_xlsx(f"{HEADER}{rows}"), "rows.xlsx")


def test_many_tiny_cells_past_the_row_cap_are_refused(settings):
    settings.IMPORT_MAX_ROWS = 1000
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(2, 3000))
    with pytest.raises(TableError, match="数据行过多"):
        read_table(crafted_xlsx(HEADER + rows), "tiny.xlsx")


def test_a_prefixed_namespace_does_not_hide_a_cell():
    sheet = HEADER.replace("<row", "<x:row").replace("</row>", "</x:row>")
    far = '<x:row r="5"><x:c r="ZZ5"><x:v>1</x:v></x:c></x:row>'
    with pytest.raises(TableError, match="ZZ 列"):
        read_table(
            crafted_xlsx(sheet.replace("<c ", "<x:c ").replace("</c>", "</x:c>") + far), "p.xlsx"
        )


def test_csv_of_endless_short_lines_stops_at_the_cap(settings):
    settings.IMPORT_MAX_ROWS = 100
    data = "党员编号\n".encode() + b"1\n" * 5000
    with pytest.raises(TableError, match="数据行过多：超过 100 行（第 102 行）"):
        read_table(data, "lines.csv")


def test_csv_row_of_a_million_fields_is_refused_before_it_is_built():
    data = "党员编号\n".encode() + b"ab," * 1_000_000
    with pytest.raises(TableError, match="CSV 第 2 行过长"):
        read_table(data, "wide.csv")


def test_csv_rows_chained_by_quotes_are_refused():
    chained = ("1," * 20_000 + '"\n",') * 10
    with pytest.raises(TableError, match="过长"):
        read_table(("党员编号\n" + chained).encode(), "chained.csv")


def test_csv_too_many_columns_names_the_line():
    data = ("党员编号\n1,2\n" + ",".join(["x"] * 60) + "\n").encode()
    with pytest.raises(TableError, match="CSV 第 3 行有 60 列，超出上限 50 列"):
        read_table(data, "cols.csv")


def test_column_names():
    assert [column_name(n) for n in (1, 26, 27, 50, 16384)] == ["A", "Z", "AA", "AX", "XFD"]


def test_rows_are_numbered_by_the_files_own_lines():
    data = '党员编号,姓名\n1,甲\n\n\n2,"乙\n丙"\n3,丁\n'.encode()
    table = read_table(data, "gaps.csv")
    assert [table.line(i) for i in range(len(table.rows))] == [2, 5, 7]
    sheet = (
        HEADER
        + '<row r="3"><c r="A3"><v>1</v></c></row>'
        + '<row r="6"><c r="A6"><v>2</v></c></row>'
    )
    table = read_table(crafted_xlsx(sheet), "gaps.xlsx")
    assert [table.line(i) for i in range(len(table.rows))] == [3, 6]


def test_a_nul_past_the_first_kilobytes_is_refused_with_its_line_and_column():
    body = "".join(f"{n},党员{n}\n" for n in range(2, 800))
    data = ("党员编号,姓名\n" + body + "9999,坏\0名\n").encode()
    assert b"\0" not in data[:4096]
    with pytest.raises(TableError, match=r"第 800 行第 B 列（姓名）含有空字符"):
        read_table(data, "nul.csv")


def test_a_gb18030_file_with_its_own_byte_order_mark_reads_clean_headers():
    data = b"\x841\x953" + "党员编号,姓名\n1,甲\n".encode("gb18030")
    assert read_table(data, "gbk.csv").headers == ["党员编号", "姓名"]
    zero_width = "党员编号\u200b,\u200e姓名\n1,甲\n".encode()
    assert read_table(zero_width, "zw.csv").headers == ["党员编号", "姓名"]


def test_our_own_export_guard_is_undone_on_import():
    from core.tabular import write_csv, write_xlsx

    values = ["=SUM(A1)", "+86 138", "-1", "@home", "plain", "'quoted"]
    for data, name in (
        (write_csv(["说明"], [[v] for v in values]), "back.csv"),
        (write_xlsx(["说明"], [[v] for v in values], title="t"), "back.xlsx"),
    ):
        table = read_table(data, name)
        assert [row[0] for row in table.rows] == values, name
