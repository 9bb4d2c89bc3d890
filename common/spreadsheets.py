"""The one spreadsheet layer of the project: reading XLSX/CSV uploads, cleaning cells, writing exports.

Every import and export (manifest lines, the manifest list, the waste list in the admin) goes through
here, so that a number, a date or a formula-looking text means the same thing everywhere.

Reading: `BoundedXLSX` and `SniffedCSV` are django-import-export formats, usable by the admin
(`import_formats`) and directly. XLSX is bounded against zip bombs and huge sheets; CSV is decoded as
Excel wrote it (UTF-8 with or without a BOM, else windows-1258) with the delimiter it used.

Numbers (`parse_decimal`, `NumberWidget`) are read by the project's one rule, common.numbers: the same
as the web forms, whatever the language; text that reads two ways ("1.250": 1,25 or 1250?) is refused
with both readings, a numeric cell is taken as it is.

Writing: `XLSXExport` and `CSVExport` write numbers as numbers, dates dd/mm/yyyy and text always as
text. Text a spreadsheet would run as a formula gets a leading apostrophe (`escape_formula`, OWASP CSV
injection), whatever IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT says: import-export's own escaping turns
every cell into text and only strips a leading "=". The import side (`clean_cell`, `cell_text`) removes
that apostrophe again, so an export imports back unchanged.
"""

import csv
import io
import re
import unicodedata
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import tablib
from django.utils.translation import gettext as _
from import_export import widgets
from import_export.formats import base_formats
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .numbers import parse_number

# Physical rows read from a sheet, blank ones included (formatted but empty rows are common).
MAX_SHEET_ROWS = 10_000
# An XLSX is a zip: refuse one that inflates beyond this (zip bomb).
MAX_UNPACKED_BYTES = 40 * 1024 * 1024

# A cell starting with one of these is run as a formula by Excel, LibreOffice or Google Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


class SpreadsheetError(Exception):
    """The file as a whole cannot be read (format, size, rows, columns); `message` is for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class TooManyRows(SpreadsheetError):
    def __init__(self, max_rows):
        super().__init__(_("The file has more than %(max)d rows.") % {"max": max_rows})
        self.max_rows = max_rows


# --- cells -------------------------------------------------------------------------------------------


def escape_formula(value):
    """Text made inert in a spreadsheet: characters openpyxl refuses removed, then a leading apostrophe
    when it would start a formula ('=SUM(A1)' → "'=SUM(A1)"). Other values are returned unchanged."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_TRIGGERS):
            return "'" + value
    return value


def _clean_text(text):
    text = unicodedata.normalize("NFC", text).strip()
    if text[:1] == "'" and text[1:2] in FORMULA_TRIGGERS:
        text = text[1:]  # added by escape_formula() on export
    return text


def clean_cell(value):
    """A cell as read: text cleaned (NFC, stripped, our escaping apostrophe removed), empty text as None;
    numbers, dates and None unchanged."""
    if isinstance(value, str):
        return _clean_text(value) or None
    return value


def cell_text(value):
    """A cell as text: '' for None, '1'/'0' for booleans, 170203 for the float 170203.0, then cleaned."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _clean_text(str(value))


def fold_header(text):
    """Compare headings and words typed in a spreadsheet: NFC, case folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def sheet_title(text):
    """A valid sheet name: no \\ * ? : / [ ], at most 31 characters."""
    return re.sub(r"[\\*?:/\[\]]", "-", str(text))[:31]


# --- numbers -----------------------------------------------------------------------------------------


def parse_decimal(value, unit=""):
    """A number from a cell by the project's one rule (common.numbers.parse_number): a numeric cell as it
    is; text with "." or "," as the decimal separator, a number that reads two ways ("1.250") refused.

    ValueError with a message for the user otherwise (import-export widgets report bad cells so)."""
    return parse_number(value, unit=unit)


class NumberWidget(widgets.DecimalWidget):
    """import-export widget reading a number cell by the same rule (admin imports of capacities and
    coordinates); `grouping=False` for coordinates, whose "." or "," is always the decimal separator."""

    def __init__(self, *, grouping=True, unit="", **kwargs):
        super().__init__(**kwargs)
        self.grouping, self.unit = grouping, unit

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        return parse_number(clean_cell(value), grouping=self.grouping, unit=self.unit)


# --- reading -----------------------------------------------------------------------------------------


class BoundedXLSX(base_formats.XLSX):
    """First sheet, cached values of formulas; refuses a zip bomb and more than `max_rows` data rows.

    import-export passes binary formats their content as bytes."""

    max_rows = MAX_SHEET_ROWS
    max_unpacked_bytes = MAX_UNPACKED_BYTES

    def __init__(self, encoding=None, *, max_rows=None, max_unpacked_bytes=None):
        super().__init__(encoding=encoding)
        if max_rows is not None:
            self.max_rows = max_rows
        if max_unpacked_bytes is not None:
            self.max_unpacked_bytes = max_unpacked_bytes

    def create_dataset(self, in_stream):
        try:
            with zipfile.ZipFile(io.BytesIO(in_stream)) as archive:
                # The sizes declared in the zip directory: checked before anything is inflated.
                if sum(info.file_size for info in archive.infolist()) > self.max_unpacked_bytes:
                    raise SpreadsheetError(_("The file is too large once unpacked."))
            book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        except SpreadsheetError:
            raise
        except Exception:  # noqa: BLE001 (zipfile, openpyxl and lxml raise many kinds for a broken file)
            raise SpreadsheetError(_("This is not a readable XLSX file.")) from None
        try:
            rows = book.worksheets[0].iter_rows(values_only=True)
            headers = list(next(rows, None) or ())
            while headers and headers[-1] in (None, ""):
                headers.pop()  # columns formatted beyond the table come back as empty headings
            if not headers:
                raise SpreadsheetError(_("The file has no lines."))
            dataset = tablib.Dataset()
            dataset.headers = headers
            width = len(headers)
            for count, row in enumerate(rows, start=1):
                if count > self.max_rows:
                    raise TooManyRows(self.max_rows)
                row = list(row)[:width]
                dataset.append(row + [None] * (width - len(row)))
            return dataset
        finally:
            book.close()


def decode_text(data):
    """Text of a CSV as Excel saved it: UTF-8 (BOM or not), else windows-1258 NFC-normalised."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    data = bytes(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV" on Vietnamese Windows: windows-1258, whose accents are combining characters.
        return unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))


class SniffedCSV(base_formats.CSV):
    """CSV with the encoding and the delimiter (',' ';' or tab) Excel used; at most `max_rows` data rows.

    Declared binary so that import-export's admin hands over the raw bytes (it would decode text formats
    as UTF-8 itself and fail on windows-1258); text is accepted too."""

    max_rows = MAX_SHEET_ROWS

    def __init__(self, encoding=None, *, max_rows=None):
        super().__init__(encoding=encoding)
        if max_rows is not None:
            self.max_rows = max_rows

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        text = decode_text(in_stream)
        first_line = text.split("\n", 1)[0]
        delimiter = max((";", ",", "\t"), key=first_line.count)
        try:
            dataset = super().create_dataset(text, delimiter=delimiter)
        except (csv.Error, ValueError):  # tablib's InvalidDimensions is a ValueError
            raise SpreadsheetError(_("This CSV file cannot be read.")) from None
        if dataset.height > self.max_rows:
            raise TooManyRows(self.max_rows)
        return dataset


# --- writing -----------------------------------------------------------------------------------------


class XLSXExport(base_formats.XLSX):
    """Numbers as numbers, dates as dates shown dd/mm/yyyy, text always written as text (never a formula).

    `column_widths` (in characters, from column A) and `decimal_places` (the format of Decimals) may be
    set by subclasses; the sheet is named after the dataset's title."""

    column_widths = ()
    decimal_places = 2

    def export_data(self, dataset, **kwargs):
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet(sheet_title(dataset.title or "Sheet1"))
        sheet.freeze_panes = "A2"
        for index, width in enumerate(self.column_widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        bold = Font(bold=True)
        header = []
        for title in dataset.headers or ():
            cell = WriteOnlyCell(sheet, value=escape_formula(str(title)))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        decimal_format = "#,##0" + ("." + "0" * self.decimal_places if self.decimal_places else "")
        for values in dataset:
            sheet.append([self._cell(sheet, value, decimal_format) for value in values])
        stream = io.BytesIO()
        book.save(stream)
        return stream.getvalue()

    @staticmethod
    def _cell(sheet, value, decimal_format):
        value = escape_formula(value)
        if value is None or value == "":
            return WriteOnlyCell(sheet, value=None)
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        elif isinstance(value, datetime):
            cell.number_format = "DD/MM/YYYY HH:MM"
        elif isinstance(value, date):
            cell.number_format = "DD/MM/YYYY"
        elif isinstance(value, Decimal):
            cell.number_format = decimal_format
        return cell


def csv_text(value, decimal_places=2):
    """How a value is written in our CSV: '.' decimals, dd/mm/yyyy dates, escaped text."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.{decimal_places}f}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # a number, even a negative one, is not a formula
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return escape_formula(str(value))


class CSVExport(base_formats.CSV):
    """UTF-8 with a BOM (Excel then reads Vietnamese correctly), ',' between fields; values as `csv_text`.

    Returns bytes, hence binary for import-export."""

    decimal_places = 2

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def export_data(self, dataset, **kwargs):
        stream = io.StringIO()
        writer = csv.writer(stream)
        writer.writerow([escape_formula(str(title)) for title in dataset.headers or ()])
        for values in dataset:
            writer.writerow([csv_text(value, self.decimal_places) for value in values])
        return ("\ufeff" + stream.getvalue()).encode("utf-8")


def stream_csv(headers, rows, decimal_places=2):
    """The CSV of CSVExport, written row by row: a long export never sits in memory whole."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    writer.writerow([escape_formula(str(title)) for title in headers])
    yield b"\xef\xbb\xbf" + flush()  # the BOM: Excel then reads Vietnamese correctly
    for values in rows:
        writer.writerow([csv_text(value, decimal_places) for value in values])
        if buffer.tell() > 64 * 1024:
            yield flush()
    yield flush()


class AdminFormats:
    """Mixed into every ImportExportModelAdmin (before it): the admin imports and exports through this layer
    only — bounded XLSX, CSV as Excel saved it, formulas neutralised."""

    import_formats = [SniffedCSV, BoundedXLSX]
    export_formats = [CSVExport, XLSXExport]
