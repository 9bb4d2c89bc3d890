"""Excel import of manifest lines and export of the manifest list (django-import-export + openpyxl).

Import: the upload is read into a tablib Dataset by import-export's own format classes (XLSX bounded
against zip bombs, CSV with the delimiter Excel used); every row is then cleaned by the fields and widgets
of `LineImportResource`. We use import-export for reading and cleaning but NOT its `import_data()` save
path: that would write ManifestLine rows directly, bypassing `services.update_draft` (row lock, status
and role checks, line positions, the audit event).

Numbers are read without depending on the active language (Django's sanitize_separators does, so
"125.5" and "125,5" would mean different things in Vietnamese and English): both "." and "," are
decimal separators; a separator followed by exactly three digits is a thousands separator (quantities
have at most two decimals, so "1.250" and "1,250" both mean 1250).

Export: `ManifestExportResource` (a ModelResource) builds the Dataset with native values; our two
formats write it: XLSX with real numbers and dates (dd/mm/yyyy), CSV in UTF-8 with a BOM, "." decimals,
dd/mm/yyyy dates. Text cells that a spreadsheet would run as a formula are neutralised (OWASP: a leading
apostrophe), always, whatever IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT says — import-export's own escaping
turns every cell into text (numbers included) and only strips a leading "=".
"""

import csv
import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core import signing
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override
from import_export import resources, widgets
from import_export.fields import Field
from import_export.formats import base_formats
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from catalog.codes import normalise_waste_code
from catalog.models import PhysicalState, WasteCode

from .models import Manifest, ManifestLine, Packaging
from .services import LineInput

# --- limits ------------------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 500
# Physical rows read from a sheet, blank ones included (formatted but empty rows are common).
MAX_SHEET_ROWS = 10_000
# An XLSX is a zip: refuse one that inflates beyond this (zip bomb).
MAX_XLSX_UNCOMPRESSED_BYTES = 40 * 1024 * 1024
EXPORT_LIMIT = 50_000
PAYLOAD_MAX_AGE = 3600  # seconds between the preview and the confirmation
PAYLOAD_SALT = "manifests.excel.import-lines"

COLUMNS = ("waste_code", "description", "physical_state", "packaging_type", "packaging_count", "quantity_kg")
MAX_QUANTITY = Decimal("9999999999.99")  # ManifestLine.quantity_kg: max_digits=12, decimal_places=2
MAX_PACKAGES = 100_000
CENT = Decimal("0.01")

# Accepted spellings besides the keys and the translated labels (data, not UI text: what people type).
STATE_ALIASES = {
    PhysicalState.SOLID: ("rắn", "chất rắn", "dạng rắn", "solid"),
    PhysicalState.LIQUID: ("lỏng", "chất lỏng", "dạng lỏng", "liquid"),
    PhysicalState.SLUDGE: ("bùn", "dạng bùn", "sludge"),
    PhysicalState.GAS: ("khí", "chất khí", "dạng khí", "gas"),
}
PACKAGING_ALIASES = {
    Packaging.DRUM: ("thùng phuy", "phuy", "phi", "drum"),
    Packaging.IBC: ("bồn ibc", "thùng ibc", "tank ibc", "ibc", "ibc tank"),
    Packaging.BAG: ("bao", "túi", "bao jumbo", "bag"),
    Packaging.BOX: ("hộp", "thùng carton", "thùng các-tông", "carton", "box", "box / carton"),
    Packaging.CONTAINER: ("thùng kín", "thùng chứa kín", "container kín", "container", "closed container"),
    Packaging.BULK: ("rời", "chở rời", "xe bồn", "bồn", "bulk", "tanker", "bulk / tanker"),
    Packaging.OTHER: ("khác", "other"),
}


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, size, columns); shown next to the upload field."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# --- reading values ----------------------------------------------------------------------------------


def _fold(text):
    """Compare words typed in a spreadsheet: NFC, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


_IGNORED_IN_NUMBERS = re.compile(r"[\s\u00a0\u202f']")
_NUMBER = re.compile(r"([+-]?)([0-9][0-9.,]*|[.,][0-9]+)")


def _strip_thousands(text, sep, original):
    groups = text.split(sep)
    if not (1 <= len(groups[0]) <= 3) or any(len(group) != 3 for group in groups[1:]):
        raise ValueError(_("“%(value)s” is not a clear number; write it like 1250.5 or 1250,5.") % {"value": original})
    return "".join(groups)


def _separators_to_point(body, original):
    """Turn '1.250,5', '1,250.5', '125,5', '1.250' ... into '1250.5', '125.5', '1250'."""
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        decimal_sep = "." if body.rfind(".") > body.rfind(",") else ","
        thousands_sep = "," if decimal_sep == "." else "."
        if body.count(decimal_sep) > 1:
            raise ValueError(_("“%(value)s” is not a clear number; write it like 1250.5 or 1250,5.") % {"value": original})
        whole, fraction = body.split(decimal_sep)
        return f"{_strip_thousands(whole, thousands_sep, original)}.{fraction}"
    if not (dots or commas):
        return body
    sep = "." if dots else ","
    if body.count(sep) > 1:
        return _strip_thousands(body, sep, original)
    whole, fraction = body.split(sep)
    if len(fraction) == 3 and 1 <= len(whole) <= 3 and not whole.startswith("0"):
        return whole + fraction  # thousands separator: quantities have at most two decimals
    return f"{whole or '0'}.{fraction}"


def parse_decimal(value):
    """A number from a cell: native numbers, or text with '.' or ',' as the decimal separator."""
    if isinstance(value, bool):
        raise ValueError(_("Enter a number."))  # noqa: TRY004 (widgets report bad cells as ValueError)
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(_("Enter a number."))
        # Drop binary noise from spreadsheet arithmetic (137.50000000000003).
        number = Decimal(repr(value)).quantize(Decimal("0.000001")) if abs(value) < 1e15 else Decimal(repr(value))
    else:
        original = "" if value is None else str(value).strip()
        if not original:
            raise ValueError(_("Enter a number."))
        match = _NUMBER.fullmatch(_IGNORED_IN_NUMBERS.sub("", original))
        if not match:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": original})
        try:
            number = Decimal(match.group(1) + _separators_to_point(match.group(2), original))
        except InvalidOperation:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": original}) from None
    if not number.is_finite():
        raise ValueError(_("Enter a number."))
    return number


def parse_quantity(value):
    number = parse_decimal(value)
    if number <= 0:
        raise ValueError(_("The quantity must be greater than 0 kg."))
    if number > MAX_QUANTITY:
        raise ValueError(_("The quantity is too large."))
    if number != number.quantize(CENT):
        raise ValueError(_("Give the quantity with at most two decimals."))
    return number.quantize(CENT)


def parse_count(value):
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(_("The number of packages must be a whole number."))
    if number < 1:
        raise ValueError(_("The number of packages must be at least 1."))
    if number > MAX_PACKAGES:
        raise ValueError(_("The number of packages is too large."))
    return int(number)


def _choice_lookup(choices, aliases):
    lookup = {}
    for key, label in choices.choices:
        lookup[_fold(key)] = key
        for language in ("vi", "en"):
            with override(language):
                lookup[_fold(str(label))] = key
        for alias in aliases.get(key, ()):
            lookup[_fold(alias)] = key
    return lookup


# --- import: widgets and resource --------------------------------------------------------------------


class WasteCodeWidget(widgets.Widget):
    """A code of the current catalogue; the codes of a file are fetched in one query (`prefetch`)."""

    def __init__(self):
        super().__init__()
        self.codes = {}

    def prefetch(self, values):
        wanted = {code for code in map(normalise_waste_code, values) if code}
        self.codes = {wc.code: wc for wc in WasteCode.objects.current().filter(code__in=wanted)} if wanted else {}

    def clean(self, value, row=None, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError(_("Enter the waste code."))
        code = normalise_waste_code(value)
        if code is None:
            raise ValueError(_("“%(value)s” is not a waste code (e.g. 17 02 03).") % {"value": value})
        if code not in self.codes:
            raise ValueError(_("Waste code %(code)s is not in the current catalogue.") % {"code": code})
        return self.codes[code]


class ChoiceWidget(widgets.Widget):
    """A key of `choices`, its label in Vietnamese or English, or a common spelling."""

    def __init__(self, choices, aliases, message):
        super().__init__()
        self.choices, self.aliases, self.message = choices, aliases, message
        self._lookup = None

    def clean(self, value, row=None, **kwargs):
        if self._lookup is None:
            self._lookup = _choice_lookup(self.choices, self.aliases)
        key = self._lookup.get(_fold(value if value is not None else ""))
        if key is None:
            raise ValueError(self.message % {"value": "" if value is None else value})
        return key


class TextWidget(widgets.Widget):
    def __init__(self, max_length, required_message):
        super().__init__()
        self.max_length, self.required_message = max_length, required_message

    def clean(self, value, row=None, **kwargs):
        text = " ".join(str(value).split()) if value is not None else ""
        if not text:
            raise ValueError(self.required_message)
        if len(text) > self.max_length:
            raise ValueError(_("At most %(max)d characters.") % {"max": self.max_length})
        return text


class QuantityWidget(widgets.DecimalWidget):
    def clean(self, value, row=None, **kwargs):
        return parse_quantity(value)


class CountWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        return parse_count(value)


@dataclass
class PreviewRow:
    number: int  # row number in the spreadsheet (the header is row 1)
    raw: dict
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)  # (column, message)
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors

    def line_input(self):
        v = self.values
        return LineInput(
            waste_code=v["waste_code"],
            description=v["description"],
            physical_state=v["physical_state"],
            packaging_type=v["packaging_type"],
            packaging_count=v["packaging_count"],
            quantity_kg=v["quantity_kg"],
        )

    # What the preview table shows.
    def shown(self, name):
        value = self.values.get(name)
        if value is None:
            raw = self.raw.get(name)
            return "" if raw is None else raw
        if name == "physical_state":
            return PhysicalState(value).label
        if name == "packaging_type":
            return Packaging(value).label
        if name == "waste_code":
            return value.code
        return value

    @property
    def cells(self):
        return [self.shown(name) for name in COLUMNS]


class LineImportResource(resources.Resource):
    """The columns of the line template, each cleaned by its widget. Used to validate, never to save."""

    waste_code = Field(attribute="waste_code", column_name="waste_code", widget=WasteCodeWidget())
    description = Field(
        attribute="description",
        column_name="description",
        widget=TextWidget(ManifestLine._meta.get_field("description").max_length, gettext_lazy("Describe the waste.")),
    )
    physical_state = Field(
        attribute="physical_state",
        column_name="physical_state",
        widget=ChoiceWidget(
            PhysicalState,
            STATE_ALIASES,
            gettext_lazy("“%(value)s” is not a physical state: use solid, liquid, sludge or gas (rắn, lỏng, bùn, khí)."),
        ),
    )
    packaging_type = Field(
        attribute="packaging_type",
        column_name="packaging_type",
        widget=ChoiceWidget(
            Packaging, PACKAGING_ALIASES, gettext_lazy("“%(value)s” is not a packaging type: see the help sheet of the template.")
        ),
    )
    packaging_count = Field(attribute="packaging_count", column_name="packaging_count", widget=CountWidget())
    quantity_kg = Field(attribute="quantity_kg", column_name="quantity_kg", widget=QuantityWidget())

    class Meta:
        fields = COLUMNS
        export_order = COLUMNS

    def __init__(self, manifest=None, **kwargs):
        super().__init__(**kwargs)
        self.manifest = manifest

    def validate(self, dataset, first_row_number=2):
        """Clean every non-blank row; returns PreviewRows with per-column errors (nothing is saved)."""
        headers = normalise_headers(dataset.headers)
        missing = [name for name in COLUMNS if name not in headers.values()]
        if missing:
            raise ImportFileError(
                _("Columns missing from the file: %(columns)s. Start from the template.") % {"columns": ", ".join(missing)}
            )
        rows = []
        for index, values in enumerate(dataset):
            raw = {headers[i]: _cell(v) for i, v in enumerate(values) if i in headers and headers[i] in COLUMNS}
            if all(v is None for v in raw.values()):
                continue
            rows.append(PreviewRow(number=first_row_number + index, raw=raw))
        if not rows:
            raise ImportFileError(_("The file has no lines."))
        if len(rows) > MAX_IMPORT_ROWS:
            raise ImportFileError(
                _("The file has %(count)d lines; import at most %(max)d at a time.") % {"count": len(rows), "max": MAX_IMPORT_ROWS}
            )
        self.fields["waste_code"].widget.prefetch(row.raw.get("waste_code") for row in rows)
        for row in rows:
            for name in COLUMNS:
                resource_field = self.fields[name]
                try:
                    row.values[name] = resource_field.clean(row.raw)
                except ValueError as error:
                    row.errors.append((name, str(error)))
        self._add_warnings(rows)
        return rows

    def _add_warnings(self, rows):
        """Not errors (the draft may still change): the permit, and the usual states of a code."""
        permitted = set(self.manifest.permit.waste_codes.values_list("pk", flat=True)) if self.manifest else None
        for row in rows:
            code = row.values.get("waste_code")
            if code is None:
                continue
            if permitted is not None and code.pk not in permitted:
                row.warnings.append(
                    _("Permit %(permit)s does not cover waste code %(code)s: signing will be refused unless the permit changes.")
                    % {"permit": self.manifest.permit.number, "code": code.code}
                )
            state = row.values.get("physical_state")
            if state and code.physical_states and state not in code.physical_states:
                row.warnings.append(
                    _("Waste code %(code)s is usually %(states)s.") % {"code": code.code, "states": ", ".join(map(str, code.physical_state_labels()))}
                )


def _cell(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def normalise_headers(headers):
    """{column index: machine key}; a header may read 'waste_code' or 'waste_code (Mã CTNH)'."""
    found = {}
    for index, header in enumerate(headers or []):
        if header is None:
            continue
        key = re.split(r"[\s(\[—–:]", _fold(header), maxsplit=1)[0]
        if key in COLUMNS:
            if key in found.values():
                raise ImportFileError(_("The column %(column)s appears twice.") % {"column": key})
            found[index] = key
    return found


# --- import: reading the file ------------------------------------------------------------------------


class BoundedXLSX(base_formats.XLSX):
    """import-export's XLSX reader (first sheet, cached values of formulas), stopping at MAX_SHEET_ROWS."""

    def create_dataset(self, in_stream):
        import openpyxl
        import tablib

        try:
            with zipfile.ZipFile(io.BytesIO(in_stream)) as archive:
                if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNCOMPRESSED_BYTES:
                    raise ImportFileError(_("The file is too large once unpacked."))
            book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        except ImportFileError:
            raise
        except Exception:  # noqa: BLE001 (zipfile, openpyxl and lxml raise many kinds for a broken file)
            raise ImportFileError(_("This is not a readable XLSX file.")) from None
        try:
            sheet = book.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            dataset = tablib.Dataset()
            headers = next(rows, None)
            if not headers:
                raise ImportFileError(_("The file has no lines."))
            dataset.headers = list(headers)
            for count, row in enumerate(rows, start=1):
                if count > MAX_SHEET_ROWS:
                    raise ImportFileError(
                        _("The file has too many rows; import at most %(max)d lines at a time.") % {"max": MAX_IMPORT_ROWS}
                    )
                row = list(row)[: len(headers)]
                dataset.append(row + [None] * (len(headers) - len(row)))
            return dataset
        finally:
            book.close()


class SniffedCSV(base_formats.CSV):
    """import-export's CSV reader, with the encoding and delimiter Excel used (',' or ';' or tab)."""

    def create_dataset(self, in_stream, **kwargs):
        text = _decode(in_stream)
        first_line = text.split("\n", 1)[0]
        delimiter = max((";", ",", "\t"), key=first_line.count)
        try:
            return super().create_dataset(text, delimiter=delimiter)
        except (csv.Error, ValueError):
            raise ImportFileError(_("This CSV file cannot be read.")) from None


def _decode(data):
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV" on Vietnamese Windows: windows-1258, with combining accents.
        return unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))


def read_upload(uploaded_file):
    """The uploaded XLSX or CSV as a tablib Dataset, or ImportFileError."""
    if uploaded_file.size > MAX_UPLOAD_BYTES:
        raise ImportFileError(_("The file is larger than 2 MB."))
    name = (uploaded_file.name or "").lower()
    data = uploaded_file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(_("The file is larger than 2 MB."))
    if name.endswith(".xlsx") or data[:2] == b"PK":
        return BoundedXLSX().create_dataset(data)
    if name.endswith((".csv", ".txt")):
        dataset = SniffedCSV().create_dataset(data)
        if dataset.height > MAX_SHEET_ROWS:
            raise ImportFileError(
                _("The file has too many rows; import at most %(max)d lines at a time.") % {"max": MAX_IMPORT_ROWS}
            )
        return dataset
    raise ImportFileError(_("Upload the template filled in, as XLSX or CSV."))


# --- import: the rows between the preview and the confirmation ---------------------------------------


def sign_rows(rows, manifest, user):
    """The validated rows, signed: the confirmation cannot change them (or send them to another draft)."""
    payload = {
        "manifest": manifest.pk,
        "user": user.pk,
        # The draft as it was previewed: a second confirmation (double click) or a change made meanwhile
        # by someone else is refused instead of appending the lines twice or to something else.
        "version": draft_version(manifest),
        "rows": [
            [
                r.values["waste_code"].pk,
                r.values["description"],
                r.values["physical_state"],
                r.values["packaging_type"],
                r.values["packaging_count"],
                str(r.values["quantity_kg"]),
            ]
            for r in rows
        ],
    }
    return signing.dumps(payload, salt=PAYLOAD_SALT, compress=True)


def draft_version(manifest):
    return manifest.updated_at.isoformat()


def unsign_rows(token, manifest, user):
    """(draft version at preview time, LineInputs) from a signed preview; signing.BadSignature when the
    token is altered, expired or not for this draft and user."""
    payload = signing.loads(token or "", salt=PAYLOAD_SALT, max_age=PAYLOAD_MAX_AGE)
    if payload.get("manifest") != manifest.pk or payload.get("user") != user.pk:
        raise signing.BadSignature("not for this manifest or user")
    rows = payload.get("rows") or []
    # Check again: the catalogue may have changed since the preview.
    codes = WasteCode.objects.current().in_bulk({row[0] for row in rows})
    lines = []
    for code_id, description, state, packaging, count, quantity in rows:
        if code_id not in codes or state not in PhysicalState.values or packaging not in Packaging.values:
            raise signing.BadSignature("stale rows")
        lines.append(
            LineInput(
                waste_code=codes[code_id],
                description=description,
                physical_state=state,
                packaging_type=packaging,
                packaging_count=parse_count(count),
                quantity_kg=parse_quantity(quantity),
            )
        )
    if not lines:
        raise signing.BadSignature("no rows")
    return payload.get("version"), lines


def existing_lines(manifest):
    return [
        LineInput(
            waste_code=line.waste_code,
            description=line.description,
            physical_state=line.physical_state,
            packaging_type=line.packaging_type,
            packaging_count=line.packaging_count,
            quantity_kg=line.quantity_kg,
        )
        for line in manifest.lines.select_related("waste_code").order_by("position")
    ]


# --- the template ------------------------------------------------------------------------------------


def _sheet_title(text):
    return re.sub(r"[\\*?:/\[\]]", "-", str(text))[:31]


def build_template():
    """The XLSX template: sheet 1 the columns to fill (stable machine keys), sheet 2 what they accept."""
    book = Workbook()
    sheet = book.active
    sheet.title = "lines"
    bold = Font(bold=True)
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    widths = {"A": 14, "B": 40, "C": 16, "D": 16, "E": 16, "F": 14}
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width
    # Codes as text, so that Excel keeps "17 02 03" and the leading zero of "01 01 01".
    sheet.column_dimensions["A"].number_format = "@"
    sheet.column_dimensions["F"].number_format = "@"
    last = MAX_IMPORT_ROWS + 1
    for column, keys in (("C", PhysicalState.values), ("D", Packaging.values)):
        # A drop-down of the keys; typed labels stay allowed (no error box), the import reads both.
        validation = DataValidation(type="list", formula1='"' + ",".join(keys) + '"', allow_blank=True, showErrorMessage=False)
        validation.add(f"{column}2:{column}{last}")
        sheet.add_data_validation(validation)

    help_sheet = book.create_sheet(_sheet_title(_("Help")))
    help_sheet.column_dimensions["A"].width = 22
    help_sheet.column_dimensions["B"].width = 34
    help_sheet.column_dimensions["C"].width = 60
    wrap = Alignment(wrap_text=True, vertical="top")

    def heading(text):
        help_sheet.append([])
        help_sheet.append([text])
        help_sheet.cell(help_sheet.max_row, 1).font = bold

    def row(*values):
        help_sheet.append([str(v) for v in values])
        for cell in help_sheet[help_sheet.max_row]:
            cell.alignment = wrap

    help_sheet.append([_("Manifest lines: fill in the first sheet, one waste line per row, then import it into a draft.")])
    help_sheet.cell(1, 1).font = Font(bold=True, size=13)
    row(_("Keep the first row (the column names) as it is. At most %(max)d lines per file; the file must be smaller than 2 MB.") % {"max": MAX_IMPORT_ROWS})
    heading(_("Columns"))
    row(_("Column"), _("Meaning"), _("What is accepted"))
    for cell in help_sheet[help_sheet.max_row]:
        cell.font = bold
    row("waste_code", _("Waste code"), _("A code of the current catalogue, with or without spaces: 17 02 03 or 170203."))
    row("description", _("Waste description"), _("Required, at most 255 characters."))
    row("physical_state", _("Physical state"), _("A value or a label from the list below."))
    row("packaging_type", _("Packaging"), _("A value or a label from the list below."))
    row("packaging_count", _("Number of packages"), _("A whole number, at least 1."))
    row(
        "quantity_kg",
        _("Quantity (kg)"),
        _("Greater than 0, at most two decimals. Both 125.5 and 125,5 are accepted. A separator followed by exactly three digits is read as a thousands separator: 1.250 and 1,250 both mean 1250. Safest: no thousands separators."),
    )
    heading(_("Physical states"))
    row(_("Value"), _("Label"), _("Also accepted"))
    for key, label in PhysicalState.choices:
        with override("vi"):
            vi_label = str(label)
        row(key, f"{vi_label} / {label}" if vi_label != str(label) else label, ", ".join(STATE_ALIASES.get(key, ())))
    heading(_("Packaging types"))
    row(_("Value"), _("Label"), _("Also accepted"))
    for key, label in Packaging.choices:
        row(key, label, ", ".join(PACKAGING_ALIASES.get(key, ())))
    heading(_("Example"))
    row(*COLUMNS)
    row("17 02 03", "Dầu thải từ máy nén", "liquid", "drum", "2", "125,5")
    book.active = 0
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


# --- export ------------------------------------------------------------------------------------------

# A cell starting with one of these is run as a formula by Excel, LibreOffice or Google Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value):
    """OWASP CSV injection: text that a spreadsheet would evaluate gets a leading apostrophe."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_TRIGGERS):
            return "'" + value
    return value


class NativeWidget(widgets.Widget):
    """Hand the value over as it is (the export formats write numbers, dates and text themselves)."""

    def render(self, value, obj=None, **kwargs):
        return value


class ManifestExportResource(resources.ModelResource):
    """One row per manifest. Values are native (Decimal, date, naive local datetime, text); the format
    decides how they are written."""

    number = Field(attribute="number", widget=NativeWidget(), column_name=gettext_lazy("Number"))
    status = Field(column_name=gettext_lazy("Status"), dehydrate_method="dehydrate_status")
    created = Field(column_name=gettext_lazy("Created on"), dehydrate_method="dehydrate_created")
    planned_pickup_date = Field(attribute="planned_pickup_date", widget=NativeWidget(), column_name=gettext_lazy("Planned pickup date"))
    generator = Field(attribute="generator__name", widget=NativeWidget(), column_name=gettext_lazy("Generator"))
    generator_site = Field(attribute="generator_site__name", widget=NativeWidget(), column_name=gettext_lazy("Generator site"))
    province = Field(attribute="province__name", widget=NativeWidget(), column_name=gettext_lazy("Province"))
    transporter = Field(attribute="transporter__name", widget=NativeWidget(), column_name=gettext_lazy("Transporter"))
    facility = Field(attribute="facility__name", widget=NativeWidget(), column_name=gettext_lazy("Treatment facility"))
    total_kg = Field(column_name=gettext_lazy("Total quantity (kg)"), dehydrate_method="dehydrate_total_kg")
    discrepancy = Field(column_name=gettext_lazy("Discrepancy"), dehydrate_method="dehydrate_discrepancy")
    completed_at = Field(column_name=gettext_lazy("Completed at"), dehydrate_method="dehydrate_completed_at")

    class Meta:
        model = Manifest
        fields = (
            "number", "status", "created", "planned_pickup_date", "generator", "generator_site", "province",
            "transporter", "facility", "total_kg", "discrepancy", "completed_at",
        )
        export_order = fields
        chunk_size = 2000

    def dehydrate_status(self, manifest):
        return str(manifest.get_status_display())

    def dehydrate_created(self, manifest):
        return timezone.localtime(manifest.created_at).date()

    def dehydrate_total_kg(self, manifest):
        return manifest.export_total_kg

    def dehydrate_discrepancy(self, manifest):
        return _("Yes") if manifest.has_discrepancy else _("No")

    def dehydrate_completed_at(self, manifest):
        if manifest.completed_at is None:
            return None
        return timezone.localtime(manifest.completed_at).replace(tzinfo=None, microsecond=0)


def export_queryset(queryset):
    """Everything a row needs in one query: the parties joined, the total summed by a subquery (a
    subquery, not Sum over a join, so that filters joining the lines cannot multiply it)."""
    total = (
        ManifestLine.objects.filter(manifest=OuterRef("pk"))
        .order_by()
        .values("manifest")
        .annotate(total=Sum("quantity_kg"))
        .values("total")
    )
    decimal = DecimalField(max_digits=16, decimal_places=2)
    return (
        queryset.select_related("generator", "generator_site", "province", "transporter", "facility")
        .annotate(export_total_kg=Coalesce(Subquery(total, output_field=decimal), Value(Decimal("0.00")), output_field=decimal))
        .order_by("-created_at", "-id")
    )


class XLSXExport(base_formats.XLSX):
    """Numbers as numbers, dates as dates shown dd/mm/yyyy, text always written as text (never a formula)."""

    def export_data(self, dataset, **kwargs):
        book = Workbook(write_only=True)
        sheet = book.create_sheet(_sheet_title(dataset.title or _("Manifests")))
        sheet.freeze_panes = "A2"
        for index, width in enumerate((18, 22, 12, 12, 30, 26, 22, 26, 26, 14, 10, 17), start=1):
            sheet.column_dimensions[_column_letter(index)].width = width
        bold = Font(bold=True)
        header = []
        for title in dataset.headers:
            cell = WriteOnlyCell(sheet, value=neutralise(str(title)))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for values in dataset:
            sheet.append([self._cell(sheet, value) for value in values])
        stream = io.BytesIO()
        book.save(stream)
        return stream.getvalue()

    @staticmethod
    def _cell(sheet, value):
        value = neutralise(value)
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
            cell.number_format = "#,##0.00"
        return cell


def _column_letter(index):
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


class CSVExport(base_formats.CSV):
    """UTF-8 with a BOM (Excel then reads Vietnamese correctly), ',' between fields, '.' decimals,
    dd/mm/yyyy dates."""

    def export_data(self, dataset, **kwargs):
        stream = io.StringIO()
        writer = csv.writer(stream)
        writer.writerow([neutralise(str(title)) for title in dataset.headers])
        for values in dataset:
            writer.writerow([self._text(value) for value in values])
        return ("\ufeff" + stream.getvalue()).encode("utf-8")

    @staticmethod
    def _text(value):
        if value is None:
            return ""
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        if isinstance(value, datetime):
            return value.strftime("%d/%m/%Y %H:%M")
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        return neutralise(str(value))


EXPORT_FORMATS = {"xlsx": XLSXExport, "csv": CSVExport}


def export_manifests(queryset, fmt):
    """(bytes, content type, extension) for the manifests of `queryset` (already bounded by the caller)."""
    export_format = EXPORT_FORMATS[fmt]()
    dataset = ManifestExportResource().export(queryset)
    return export_format.export_data(dataset), export_format.get_content_type(), fmt
