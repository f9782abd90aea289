"""A one-sheet Excel workbook written while it is sent: the zip's parts as bytes, the sheet
row by row, so the first bytes leave at once and memory stays flat however many rows.

Cells are written as openpyxl's write-only mode wrote them, so that a file reads back the
same: every ``str`` is an inline string (``=1+1`` stays text, never a formula) without the
control characters a sheet cannot hold; integers and floats are numbers; dates and naive
datetimes are Excel serial numbers styled ``yyyy-mm-dd`` and ``yyyy-mm-dd h:mm:ss``;
``None`` leaves the cell out and ``""`` leaves it an empty text cell. The header row is
bold and frozen, with an autofilter over every row written.
"""

import zlib
from datetime import date, datetime
from xml.sax.saxutils import quoteattr

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from stream_zip import ZIP_32, stream_zip

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_048_576  # a sheet's rows, header included
# Fast zlib: a quarter bigger than level 9 but several times quicker, so the zip keeps up
# with the rows. ZIP_32 (data descriptors, no Zip64 records) because Excel refuses Zip64
# headers on parts that do not need them; a sheet would need 4 GiB of XML to overflow it.
COMPRESS_LEVEL = 1
# Style indexes in STYLES' cellXfs.
BOLD, DATE, TIMESTAMP = 1, 2, 3
EPOCH = datetime(1899, 12, 30)
SECONDS_PER_DAY = 86_400

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
CONTENT_TYPES = (
    _DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    _DECLARATION + f'<Relationships xmlns="{_PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_RELS = (
    _DECLARATION + f'<Relationships xmlns="{_PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
STYLES = (
    _DECLARATION + f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd h:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/>'
    '<scheme val="minor"/></font><font><b val="1"/><sz val="11"/><name val="Calibri"/>'
    '<family val="2"/><scheme val="minor"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
ROWS_PER_CHUNK = 500  # rows joined into one piece of sheet XML before it is compressed


def workbook_chunks(sheet_name, columns, rows):
    """Yield an .xlsx file of one sheet named ``sheet_name``, its bytes as they are made.

    ``columns`` is ``(header, width)`` pairs; ``rows`` an iterable of tuples in that order,
    read only as the file is sent.
    """
    counted = []  # the number of data rows, once the sheet has been written
    modified = datetime.now()
    parts = [
        ("[Content_Types].xml", [CONTENT_TYPES.encode()]),
        ("_rels/.rels", [PACKAGE_RELS.encode()]),
        ("xl/_rels/workbook.xml.rels", [WORKBOOK_RELS.encode()]),
        ("xl/styles.xml", [STYLES.encode()]),
        ("xl/worksheets/sheet1.xml", _sheet(columns, rows, counted)),
        # After the sheet, so that its filter covers the rows actually written.
        ("xl/workbook.xml", _workbook(sheet_name, len(columns), counted)),
    ]
    yield from stream_zip(
        ((name, modified, 0o600, ZIP_32, chunks) for name, chunks in parts),
        get_compressobj=lambda: zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS),
    )


def text_cell(ref, value, style=""):
    """An inline-string cell: control characters dropped, XML escaped; empty if nothing is left."""
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value:
        return f'<c r="{ref}"{style} t="inlineStr"/>'
    stripped = value.strip()
    space = ' xml:space="preserve"' if stripped and stripped != value else ""
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{value}</t></is></c>'


def excel_serial(value):
    """``value`` (a date or naive datetime) as Excel's day number, formatted as openpyxl does."""
    if type(value) is date:
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        raise TypeError("a sheet's datetimes are naive (UTC); got one with a time zone")
    days = (value - EPOCH).days
    if 0 < days <= 60:  # Excel's 1900 leap-year bug, kept for early dates
        days -= 1
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 10**6
    return f"{days + seconds / SECONDS_PER_DAY:.16g}"


def row_xml(number, letters, values):
    """Row ``number`` of the sheet; ``letters`` are the column letters, ``values`` its cells."""
    cells = [f'<row r="{number}">']
    append = cells.append
    for letter, value in zip(letters, values, strict=True):
        kind = type(value)
        if kind is str:
            append(text_cell(f"{letter}{number}", value))
        elif kind is int:
            append(f'<c r="{letter}{number}" t="n"><v>{value}</v></c>')
        elif value is None:
            continue
        elif kind is datetime:
            append(
                f'<c r="{letter}{number}" s="{TIMESTAMP}" t="n"><v>{excel_serial(value)}</v></c>'
            )
        elif kind is date:
            append(f'<c r="{letter}{number}" s="{DATE}" t="n"><v>{excel_serial(value)}</v></c>')
        elif kind is float:
            append(f'<c r="{letter}{number}" t="n"><v>{value:.16g}</v></c>')
        elif kind is bool:
            append(f'<c r="{letter}{number}" t="b"><v>{int(value)}</v></c>')
        else:
            raise TypeError(f"no spreadsheet cell for a {kind.__name__}: {value!r}")
    append("</row>")
    return "".join(cells)


def _sheet(columns, rows, counted):
    letters = [get_column_letter(n) for n in range(1, len(columns) + 1)]
    widths = "".join(
        f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
        for n, (_, width) in enumerate(columns, start=1)
    )
    header = "".join(
        text_cell(f"{letter}1", name, f' s="{BOLD}"')
        for letter, (name, _) in zip(letters, columns, strict=True)
    )
    yield (
        _DECLARATION + f'<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{widths}</cols>'
        f'<sheetData><row r="1">{header}</row>'
    ).encode()
    number = 1
    piece = []
    for values in rows:
        number += 1
        if number > MAX_ROWS:
            raise ValueError(f"a sheet holds at most {MAX_ROWS - 1:,} rows under its header")
        piece.append(row_xml(number, letters, values))
        if len(piece) == ROWS_PER_CHUNK:
            yield "".join(piece).encode()
            piece.clear()
    counted.append(number - 1)
    yield (
        "".join(piece) + f'</sheetData><autoFilter ref="A1:{letters[-1]}{number}"/>'
        '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
        "</worksheet>"
    ).encode()


def _workbook(sheet_name, width, counted):
    # A generator, so that it is read after the sheet has counted its rows.
    last = f"${get_column_letter(width)}${counted[0] + 1}"
    name = quoteattr(sheet_name)
    quoted = sheet_name.replace("'", "''").replace("&", "&amp;").replace("<", "&lt;")
    yield (
        _DECLARATION + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f'<sheets><sheet name={name} sheetId="1" r:id="rId1"/></sheets>'
        '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
        f"'{quoted}'!$A$1:{last}</definedName></definedNames>"
        '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    ).encode()
