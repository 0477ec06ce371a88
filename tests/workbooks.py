"""Real spreadsheet files in the formats the imports accept, built in memory.

XLS (Excel 97–2003, BIFF8) is written by xlwt and ODS by odfpy, the way other
programs save them: dates as date cells, numbers as numbers. The crafted,
hostile files are in tests/core/test_hostile_tables.py.
"""

import datetime as dt
import io

from openpyxl import Workbook


def xlsx(headers, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xls(headers, rows) -> bytes:
    """An Excel 97–2003 workbook; ``datetime.date`` values become date-formatted cells."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate([headers, *rows]):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value is not None and value != "":
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ods(headers, rows) -> bytes:
    """An OpenDocument spreadsheet; dates become date cells, numbers float cells."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Sheet1")
    for row in [headers, *rows]:
        line = TableRow()
        for value in row:
            if isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
            elif isinstance(value, (int, float)):
                cell = TableCell(valuetype="float", value=value)
            elif value is None or value == "":
                cell = TableCell()
            else:
                cell = TableCell(valuetype="string")
            if value is not None and value != "":
                cell.addElement(P(text=str(value)))
            line.addElement(cell)
        table.addElement(line)
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
