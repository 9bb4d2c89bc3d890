"""Importing manifest lines from a spreadsheet: the template, the upload, the preview, the confirmation.

The upload is read by the spreadsheet layer (common.spreadsheets) into a tablib Dataset; every row is
then cleaned by the fields and widgets of `LineImportResource`. We use import-export for cleaning but NOT
its `import_data()` save path: that would write ManifestLine rows directly, bypassing
`services.append_lines` (row lock, status and role checks, line positions, the audit event). The rows
checked in the preview travel signed to the confirmation, which appends them through that service.
"""

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override
from import_export import resources, widgets
from import_export.fields import Field
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from catalog.codes import normalise_waste_code
from catalog.models import PhysicalState, WasteCode
from common.numbers import format_number
from common.spreadsheets import (
    BoundedXLSX,
    SniffedCSV,
    SpreadsheetError,
    TooManyRows,
    clean_cell,
    fold_header,
    parse_decimal,
    sheet_title,
)

from .models import ManifestLine, Packaging
from .services import LineInput, draft_version

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 500
PAYLOAD_MAX_AGE = 3600  # seconds between the preview and the confirmation
PAYLOAD_SALT = "manifests.excel.import-lines"  # unchanged: previews signed before a deploy stay valid

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


# --- values ------------------------------------------------------------------------------------------


def parse_quantity(value):
    number = parse_decimal(value, unit="kg")
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
        lookup[fold_header(key)] = key
        for language in ("vi", "en"):
            with override(language):
                lookup[fold_header(str(label))] = key
        for alias in aliases.get(key, ()):
            lookup[fold_header(alias)] = key
    return lookup


# --- widgets and resource ----------------------------------------------------------------------------


class WasteCodeWidget(widgets.Widget):
    """A code of the current catalog; the codes of a file are fetched in one query (`prefetch`)."""

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
            raise ValueError(_("Waste code %(code)s is not in the current catalog.") % {"code": code})
        if self.codes[code].is_ordinary:
            raise ValueError(self.codes[code].ordinary_refusal())
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
        key = self._lookup.get(fold_header(value if value is not None else ""))
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

    def shown(self, name):
        """What the preview table shows in a column: the cleaned value, else what the file said."""
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
        if name == "quantity_kg":
            return format_number(value)
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
            raise SpreadsheetError(
                _("Columns missing from the file: %(columns)s. Start from the template.") % {"columns": ", ".join(missing)}
            )
        rows = []
        for index, values in enumerate(dataset):
            raw = {headers[i]: clean_cell(v) for i, v in enumerate(values) if i in headers}
            if all(v is None for v in raw.values()):
                continue
            rows.append(PreviewRow(number=first_row_number + index, raw=raw))
        if not rows:
            raise SpreadsheetError(_("The file has no lines."))
        if len(rows) > MAX_IMPORT_ROWS:
            raise SpreadsheetError(
                _("The file has %(count)d lines; import at most %(max)d at a time.") % {"count": len(rows), "max": MAX_IMPORT_ROWS}
            )
        self.fields["waste_code"].widget.prefetch(row.raw.get("waste_code") for row in rows)
        for row in rows:
            for name in COLUMNS:
                try:
                    row.values[name] = self.fields[name].clean(row.raw)
                except ValueError as error:
                    row.errors.append((name, str(error)))
        self._add_warnings(rows)
        return rows

    def _add_warnings(self, rows):
        """Not errors (the draft may still change): the permit, and the usual states of a code."""
        permit = self.manifest.permit if self.manifest else None
        codes = [row.values["waste_code"] for row in rows if row.values.get("waste_code")]
        uncovered = set(permit.uncovered_codes(codes)) if permit else set()
        for row in rows:
            code = row.values.get("waste_code")
            if code is None:
                continue
            if code.code in uncovered:
                row.warnings.append(
                    _("Permit %(permit)s does not cover waste code %(code)s: signing will be refused unless the permit changes.")
                    % {"permit": permit.number, "code": code.code}
                )
            state = row.values.get("physical_state")
            if state and code.physical_states and state not in code.physical_states:
                row.warnings.append(
                    _("Waste code %(code)s is usually %(states)s.") % {"code": code.code, "states": ", ".join(map(str, code.physical_state_labels()))}
                )


def normalise_headers(headers):
    """{column index: machine key}; a header may read 'waste_code' or 'waste_code (Mã CTNH)'."""
    found = {}
    for index, header in enumerate(headers or []):
        if header is None:
            continue
        key = re.split(r"[\s(\[—–:]", fold_header(header), maxsplit=1)[0]
        if key in COLUMNS:
            if key in found.values():
                raise SpreadsheetError(_("The column %(column)s appears twice.") % {"column": key})
            found[index] = key
    return found


def read_upload(uploaded_file):
    """The uploaded XLSX or CSV as a tablib Dataset, or SpreadsheetError."""
    if uploaded_file.size > MAX_UPLOAD_BYTES:
        raise SpreadsheetError(_("The file is larger than 2 MB."))
    name = (uploaded_file.name or "").lower()
    data = uploaded_file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise SpreadsheetError(_("The file is larger than 2 MB."))
    if name.endswith(".xlsx") or data[:2] == b"PK":
        file_format = BoundedXLSX()
    elif name.endswith((".csv", ".txt")):
        file_format = SniffedCSV()
    else:
        raise SpreadsheetError(_("Upload the template filled in, as XLSX or CSV."))
    try:
        return file_format.create_dataset(data)
    except TooManyRows:
        # Said in lines, the unit of this import (the sheet limit also counts blank formatted rows).
        raise SpreadsheetError(
            _("The file has too many rows; import at most %(max)d lines at a time.") % {"max": MAX_IMPORT_ROWS}
        ) from None


# --- between the preview and the confirmation --------------------------------------------------------


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





def unsign_rows(token, manifest, user):
    """(draft version at preview time, LineInputs) from a signed preview; signing.BadSignature when the
    token is altered, expired or not for this draft and user."""
    payload = signing.loads(token or "", salt=PAYLOAD_SALT, max_age=PAYLOAD_MAX_AGE)
    if payload.get("manifest") != manifest.pk or payload.get("user") != user.pk:
        raise signing.BadSignature("not for this manifest or user")
    rows = payload.get("rows") or []
    # Check again: the catalog may have changed since the preview.
    codes = WasteCode.objects.for_manifest().in_bulk({row[0] for row in rows})
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


# --- the template ------------------------------------------------------------------------------------


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

    help_sheet = book.create_sheet(sheet_title(_("Help")))
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
    row("waste_code", _("Waste code"), _("A code of the current catalog, with or without spaces: 17 02 03 or 170203."))
    row("description", _("Waste description"), _("Required, at most 255 characters."))
    row("physical_state", _("Physical state"), _("A value or a label from the list below."))
    row("packaging_type", _("Packaging"), _("A value or a label from the list below."))
    row("packaging_count", _("Number of packages"), _("A whole number, at least 1."))
    row(
        "quantity_kg",
        _("Quantity (kg)"),
        _("Greater than 0, at most two decimals. Both 125.5 and 125,5 are accepted, as in the web form. A number that reads two ways is refused: 1.250 or 1,250 may be 1.25 or 1250 kg, so write 1250 or 1,25. Safest: no thousands separators."),
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
