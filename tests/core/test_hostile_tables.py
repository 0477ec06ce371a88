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


# ------------------------------------------------------------ ODS and XLS
#
# The parser expands an ODS file's repeated rows and cells and reads every
# sheet when the file opens; an XLS file's declared DIMENSIONS are reserved up
# front and its sheet laid out up to the farthest cell. Unguarded, the 0.8 KB
# ODS with one ``<text:s text:c="2000000000"/>`` took 7.8 GB and 68 s, and the
# 5.6 KB XLS with one cell at IV65536 1 GB.

ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
ODS_HEADER = (
    "<table:table-row><table:table-cell office:value-type="
    '"string"><text:p>党员编号</text:p></table:table-cell></table:table-row>'
)
ODS_ONE = '<table:table-cell office:value-type="float" office:value="1"/>'


def crafted_ods(*sheets: str) -> bytes:
    """An ODS file whose sheets hold these ``<table:table-row>`` elements."""
    tables = "".join(
        f'<table:table table:name="Sheet{n}">{rows}</table:table>'
        for n, rows in enumerate(sheets, start=1)
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-content {ODS_NAMESPACES} office:version="1.2"><office:body>'
        f"<office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
            'manifest:full-path="/" manifest:media-type='
            '"application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>',
        )
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def ods_row(cells: str, repeat: int = 1) -> str:
    times = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{times}>{cells}</table:table-row>"


def ods_cells(repeat: int, *, filled: bool = True) -> str:
    value = ' office:value-type="float" office:value="1"' if filled else ""
    return f'<table:table-cell{value} table:number-columns-repeated="{repeat}"/>'


ODS_FAR_COLUMN = ODS_HEADER + ods_row(ods_cells(16383, filled=False) + ODS_ONE)
ODS_FAR_ROW = ODS_HEADER + ods_row("<table:table-cell/>", 1048574) + ods_row(ODS_ONE)
ODS_BLOCK = ODS_HEADER + ods_row(ods_cells(16384), 1048575)
# Inside both caps (200,000 rows × 50 columns) yet 10 million cells: 638 MB unguarded.
ODS_FULL_BLOCK = ODS_HEADER + ods_row(ods_cells(50), 200_000)
ODS_SPACES = ODS_HEADER + ods_row(
    '<table:table-cell office:value-type="string"><text:p>a'
    '<text:s text:c="2000000000"/></text:p></table:table-cell>'
)


def test_a_crafted_ods_of_plain_rows_reads():
    table = read_table(crafted_ods(ODS_HEADER + ods_row(ODS_ONE)), "ok.ods")
    assert (table.headers, table.rows, table.lines) == (["党员编号"], [[1.0]], [2])


@pytest.mark.parametrize(
    "rows,reason",
    [
        (ODS_FAR_COLUMN, "ODS 文件第 2 行第 XFD 列有内容，超出上限 50 列"),
        (ODS_HEADER + ods_row(ods_cells(51)), "第 2 行第 AY 列有内容"),
        (ODS_FAR_ROW, "数据行过多：ODS 文件第 1048576 行有内容，上限为 200000 行"),
        (ODS_BLOCK, "第 2 行第 XFD 列有内容"),
        (ODS_HEADER + ods_row(ODS_ONE, 200_001), "第 200002 行有内容"),
    ],
)
def test_an_ods_declaring_a_far_extent_is_refused_before_it_is_parsed(rows, reason, monkeypatch):
    import core.tabular

    def no_child(*args, **kwargs):
        raise AssertionError("the child parser was started")

    monkeypatch.setattr(core.tabular, "_read_in_child", no_child)
    data = crafted_ods(rows)
    assert len(data) < 1000
    with pytest.raises(TableError, match=reason):
        read_table(data, "far.ods")


def test_empty_repeats_as_libreoffice_writes_them_are_not_counted():
    # Every LibreOffice sheet ends its rows with 1,000-odd empty cells and the
    # sheet with a million empty rows; a styled empty block sits between values.
    filled = '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
    rows = (
        ODS_HEADER
        + ods_row(filled + ods_cells(1023, filled=False))
        + ods_row(ods_cells(1024, filled=False), 5000)
        + ods_row(filled + ods_cells(1023, filled=False))
        + ods_row(ods_cells(1024, filled=False), 1048576 - 5003)
    )
    table = read_table(crafted_ods(rows), "libreoffice.ods")
    assert table.rows == [["x"], ["x"]] and table.lines == [2, 5003]


def test_every_sheet_of_an_ods_is_measured():
    with pytest.raises(TableError, match="工作表「Sheet2」第 2 行第 XFD 列"):
        read_table(crafted_ods(ODS_HEADER + ods_row(ODS_ONE), ODS_FAR_COLUMN), "two.ods")


@pytest.mark.parametrize("rows", [ODS_FULL_BLOCK, ODS_SPACES], ids=["10M-cells", "2G-spaces"])
def test_an_ods_too_big_for_the_parsers_memory_is_refused_not_fatal(rows):
    with pytest.raises(TableError, match="ODS 文件过大或已损坏，无法读取（读取时超出 200 MB 内存"):
        read_table(crafted_ods(rows), "bomb.ods")


def crafted_xls(cells) -> bytes:
    """An XLS file with these (row, column, value) cells, written by xlwt."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    for row, column, value in cells:
        sheet.write(row, column, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xls_declaring(rows: int, columns: int) -> bytes:
    """A two-cell XLS whose DIMENSIONS record claims rows × columns."""
    import struct

    data = bytearray(crafted_xls([(0, 0, "党员编号"), (1, 0, "1")]))
    record = data.find(b"\x00\x02\x0e\x00")  # DIMENSIONS, 14 bytes (BIFF8)
    assert record > 0
    data[record + 4 : record + 18] = struct.pack("<IIHHH", 0, rows, 0, columns, 0)
    return bytes(data)


XLS_FAR_CELL = crafted_xls([(0, 0, "党员编号"), (65535, 255, 1)])


def test_a_crafted_xls_of_plain_cells_reads():
    table = read_table(crafted_xls([(0, 0, "党员编号"), (1, 0, "1"), (4, 1, 2.5)]), "ok.xls")
    assert table.headers == ["党员编号", ""]
    assert (table.rows, table.lines) == ([["1", ""], ["", 2.5]], [2, 5])


@pytest.mark.parametrize(
    "data",
    [XLS_FAR_CELL, xls_declaring(0xFFFFFFF0, 0xFF), xls_declaring(60000, 0xFF)],
    ids=["cell-at-IV65536", "dimensions-4G-rows", "dimensions-60000x256"],
)
def test_an_xls_too_big_for_the_parsers_memory_is_refused_not_fatal(data):
    assert len(data) < 6000
    with pytest.raises(TableError, match="Excel 文件过大或已损坏，无法读取"):
        read_table(data, "far.xls")


def test_the_extent_an_xls_child_reports_is_capped_before_its_rows_are_read(settings):
    with pytest.raises(TableError, match="Excel 文件第 AY 列有内容，超出上限 50 列"):
        read_table(crafted_xls([(0, 0, "党员编号"), (1, 50, 1)]), "wide.xls")
    settings.IMPORT_MAX_ROWS = 10
    with pytest.raises(TableError, match="数据行过多：Excel 文件第 13 行有内容，上限为 10 行"):
        read_table(crafted_xls([(0, 0, "党员编号"), (12, 0, 1)]), "long.xls")


def test_a_stuck_parser_is_ended(settings, monkeypatch, tmp_path):
    import core.tabular

    stuck = tmp_path / "stuck.py"
    stuck.write_text("import time\ntime.sleep(60)\n")
    monkeypatch.setattr(core.tabular, "_CHILD", stuck)
    settings.IMPORT_PARSER_SECONDS = 1
    with pytest.raises(TableError, match="过大或已损坏"):
        read_table(crafted_xls([(0, 0, "党员编号"), (1, 0, "1")]), "slow.xls")


@pytest.mark.parametrize(
    "data,reason",
    [
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
            "Excel 文件已损坏或不是有效的 Excel 工作簿",
        ),
        (None, "Excel 文件已损坏或不是有效的 Excel 工作簿"),  # truncated
        (b"PK\x03\x04" + b"\0" * 100, "已损坏"),
        (crafted_ods(ODS_HEADER)[:300], "已损坏"),
    ],
)
def test_damaged_xls_and_ods_files_get_a_clear_message(data, reason):
    if data is None:
        whole = crafted_xls([(r, 0, f"党员{r}") for r in range(300)])
        data = whole[: len(whole) // 2]
    with pytest.raises(TableError, match=reason):
        read_table(data, "bad.xls")
