"""The spreadsheet layer: numbers, cell cleaning, formula escaping, bounded reading, CSV sniffing, the
export formats, and the same behaviour in every import and export that uses it."""

import csv
import io
import unicodedata
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import Organisation
from catalog.models import WasteCode
from common import spreadsheets
from common.spreadsheets import (
    FORMULA_TRIGGERS,
    BoundedXLSX,
    CSVExport,
    SniffedCSV,
    SpreadsheetError,
    TooManyRows,
    XLSXExport,
    cell_text,
    clean_cell,
    escape_formula,
    fold_header,
    parse_decimal,
)
from tests import factories


def xlsx(rows, headers=("a", "b")):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English (the portal speaks Vietnamese by default)."""
    with translation.override("en"):
        yield


def windows_1258(text):
    """Text as Excel's plain "CSV" writes it on a Vietnamese Windows: letters precomposed where the charset
    has them (â, ê, ơ …), tone marks as combining characters."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for char in unicodedata.normalize("NFC", text):
        base, *marks = unicodedata.normalize("NFD", char)
        letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in tones))
        out += (letter + "".join(m for m in marks if m in tones)).encode("cp1258")
    return out


def zip_bomb(unpacked_bytes):
    """A small zip that inflates to `unpacked_bytes` (one highly compressible member)."""
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"\0" * unpacked_bytes)
    return stream.getvalue()


# --- numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("125,5", "125.5"), ("125.5", "125.5"), ("1.250,5", "1250.5"), ("1,250.5", "1250.5"), ("1 250,75", "1250.75"),
        ("1\u00a0250", "1250"), ("1.250,0", "1250"), ("1,250.0", "1250"), ("12.345.678", "12345678"), ("0,125", "0.125"),
        ("12,3456", "12.3456"), (",5", "0.5"), ("-3,5", "-3.5"), ("+7", "7"), (42, "42"), (Decimal("1.5"), "1.5"),
        (137.50000000000003, "137.5"), (40.25, "40.25"),
    ],
)
def test_both_separators_are_decimal_and_grouping_is_read_when_it_is_clear(typed, expected):
    assert parse_decimal(typed) == Decimal(expected)


@pytest.mark.parametrize("typed", ["", "   ", None, True, "abc", "1.2.3", "1,25,0", "1.250,5,5", "1e5", float("nan"), float("inf"), "NaN", "1.250", "1,250"])
def test_what_is_not_a_clear_number_is_refused(typed):
    with pytest.raises(ValueError):
        parse_decimal(typed)


# --- cells -------------------------------------------------------------------------------------------


def test_the_formula_triggers_are_the_owasp_set():
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r", "\n"}


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_every_trigger_is_escaped_and_the_import_restores_it(trigger):
    text = trigger + "cmd|' /C calc'!A0"
    assert escape_formula(text) == "'" + text
    assert cell_text(escape_formula(text)) == text
    assert clean_cell(escape_formula(text)) == text


def test_escaping_leaves_other_values_and_removes_what_openpyxl_refuses():
    assert escape_formula("Công ty A") == "Công ty A"
    assert escape_formula("'=already") == "'=already"  # escaping twice changes nothing
    assert escape_formula(Decimal("-1")) == Decimal("-1") and escape_formula(-5) == -5 and escape_formula(None) is None
    assert escape_formula("\x00=1+1\x07") == "'=1+1"  # removed first, so they cannot hide a formula


def test_cells_are_cleaned_as_text_or_kept_native():
    decomposed = unicodedata.normalize("NFD", "  Dầu thải ")
    assert cell_text(decomposed) == clean_cell(decomposed) == "Dầu thải"
    assert cell_text(None) == "" and cell_text(170203.0) == "170203" and cell_text(True) == "1" and cell_text(2.5) == "2.5"
    assert clean_cell("   ") is None and clean_cell(40.25) == 40.25 and clean_cell(None) is None
    assert cell_text("'abc") == "'abc"  # an apostrophe we did not add (no formula after it) stays


def test_headers_are_folded():
    assert fold_header("  Mã  CHẤT thải ") == fold_header(unicodedata.normalize("NFD", "mã chất thải")) == "mã chất thải"


# --- reading XLSX ------------------------------------------------------------------------------------


def test_xlsx_is_read_from_the_first_sheet_cut_and_padded_to_the_headers():
    dataset = BoundedXLSX().create_dataset(xlsx([(1, "x", "beyond the headers"), (2,)]))
    assert dataset.headers == ["a", "b"]
    assert list(dataset) == [(1, "x"), (2, None)]
    second = openpyxl.load_workbook(io.BytesIO(xlsx([(1, 2)])))
    second.create_sheet("other").append(["not read"])
    stream = io.BytesIO()
    second.save(stream)
    assert BoundedXLSX().create_dataset(stream.getvalue()).headers == ["a", "b"]


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    bomb = zip_bomb(spreadsheets.MAX_UNPACKED_BYTES + 1)
    assert len(bomb) < 200_000
    with pytest.raises(SpreadsheetError, match="too large once unpacked"):
        BoundedXLSX().create_dataset(bomb)
    with pytest.raises(SpreadsheetError, match="too large once unpacked"):
        BoundedXLSX(max_unpacked_bytes=1000).create_dataset(xlsx([(1, 2)]))


def test_too_many_rows_are_refused():
    assert BoundedXLSX.max_rows == spreadsheets.MAX_SHEET_ROWS == 10_000
    content = xlsx([(n, n) for n in range(4)])
    assert BoundedXLSX(max_rows=4).create_dataset(content).height == 4
    with pytest.raises(TooManyRows) as error:
        BoundedXLSX(max_rows=3).create_dataset(content)
    assert error.value.max_rows == 3 and "3" in error.value.message


@pytest.mark.parametrize("content", [b"", b"not a spreadsheet", b"PK\x03\x04broken", xlsx([], headers=())])
def test_what_is_not_a_readable_xlsx_is_refused(content):
    with pytest.raises(SpreadsheetError):
        BoundedXLSX().create_dataset(content)


# --- reading CSV -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "a;b\r\n1,5;Dầu\r\n".encode("utf-8-sig"),  # Excel "CSV UTF-8" on a Vietnamese Windows
        'a,b\n"1,5",Dầu\n'.encode(),  # UTF-8 without a BOM
        "a\tb\n1,5\tDầu\n".encode(),
        windows_1258("a;b\r\n1,5;Dầu\r\n"),
        "\ufeffa;b\n1,5;Dầu\n",  # text, as import-export would pass a text format
    ],
    ids=["utf8-bom-semicolon", "utf8-comma", "tab", "windows-1258", "text"],
)
def test_csv_encoding_and_delimiter_are_sniffed(content):
    dataset = SniffedCSV().create_dataset(content)
    assert dataset.headers == ["a", "b"]
    assert list(dataset) == [("1,5", "Dầu")]


def test_import_export_hands_the_csv_over_as_bytes():
    assert SniffedCSV().is_binary() and SniffedCSV().get_read_mode() == "rb"


def test_a_broken_or_too_long_csv_is_refused():
    with pytest.raises(SpreadsheetError, match="cannot be read"):
        SniffedCSV().create_dataset(b"a,b\n1,2,3,4\n")
    with pytest.raises(TooManyRows):
        SniffedCSV(max_rows=2).create_dataset(b"a\n1\n2\n3\n")
    assert SniffedCSV(max_rows=3).create_dataset(b"a\n1\n2\n3\n").height == 3


# --- the export formats ------------------------------------------------------------------------------


def sample():
    dataset = tablib.Dataset(headers=["=Header", "Number", "Date", "Time", "Text", "Int"], title="Sổ: 1/2")
    dataset.append(["x", Decimal("1250.5"), date(2026, 3, 4), datetime(2026, 3, 4, 8, 5), "-1+2", -3])
    dataset.append([None, Decimal("0"), None, None, "", 7])
    return dataset


def test_the_xlsx_export_writes_numbers_dates_and_text():
    book = openpyxl.load_workbook(io.BytesIO(XLSXExport().export_data(sample())))
    sheet = book.active
    assert sheet.title == "Sổ- 1-2"
    header, row, blank = list(sheet.iter_rows())
    assert header[0].value == "'=Header" and header[0].font.bold
    x, number, day, time, text, integer = row
    assert number.data_type == "n" and number.value == 1250.5 and number.number_format == "#,##0.00"
    assert day.value == datetime(2026, 3, 4) and day.number_format == "DD/MM/YYYY"
    assert time.value == datetime(2026, 3, 4, 8, 5) and time.number_format == "DD/MM/YYYY HH:MM"
    assert text.value == "'-1+2" and text.data_type == "s"
    assert integer.value == -3 and integer.data_type == "n"
    assert [cell.value for cell in blank] == [None, 0, None, None, None, 7]


def test_the_csv_export_is_utf8_with_a_bom_and_day_first_dates():
    content = CSVExport().export_data(sample())
    assert CSVExport().is_binary() and content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [
        ["'=Header", "Number", "Date", "Time", "Text", "Int"],
        ["x", "1250.50", "04/03/2026", "04/03/2026 08:05", "'-1+2", "-3"],
        ["", "0.00", "", "", "", "7"],
    ]


def test_an_export_imports_back_unchanged():
    dataset = tablib.Dataset(headers=["name"])
    for trigger in FORMULA_TRIGGERS:
        dataset.append([trigger + "x"])
    back = SniffedCSV().create_dataset(CSVExport().export_data(dataset))
    assert [cell_text(value) for (value,) in back] == [trigger + "x" for trigger in FORMULA_TRIGGERS]
    # XML (hence XLSX) stores a carriage return as a line feed; the cell is still escaped and restored.
    back = BoundedXLSX().create_dataset(XLSXExport().export_data(dataset))
    assert [cell_text(value) for (value,) in back] == [trigger.replace("\r", "\n") + "x" for trigger in FORMULA_TRIGGERS]


# --- one escaping in every export --------------------------------------------------------------------


def _manifest_export_cells(client, fmt):
    """The generator column of the manifest list export."""
    response = client.get(reverse("manifests:export"), {"format": fmt})
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        return {row[4] for row in list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]}
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return {(row[4].value, row[4].data_type) for row in sheet.iter_rows(min_row=2)}


def _catalog_export_cells(client, fmt, code):
    """The name_vi column of the waste list exported by the admin (format 0 is CSV, 1 XLSX)."""
    data = {"format": "0" if fmt == "csv" else "1", "resource": "0", "wastecoderesource_code": "on", "wastecoderesource_name_vi": "on"}
    content = client.post(reverse("admin:catalog_wastecode_export"), data).content
    if fmt == "csv":
        return {row[1] for row in list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:] if row[0] == code}
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return {(row[1].value, row[1].data_type) for row in sheet.iter_rows(min_row=2) if row[0].value == code}


def test_the_manifest_and_the_catalog_exports_escape_the_same_way(client, chain):
    w = chain
    w.draft()
    admin = factories.UserFactory(username="catalog_admin", is_staff=True, is_superuser=True)
    for trigger in FORMULA_TRIGGERS:
        name = trigger + "HYPERLINK(\"http://evil.example\")"
        Organisation.objects.filter(pk=w.alpha.pk).update(name=name)
        WasteCode.objects.filter(pk=w.oil.pk).update(name_vi=name)
        client.force_login(w.alice)
        manifest_csv, manifest_xlsx = _manifest_export_cells(client, "csv"), _manifest_export_cells(client, "xlsx")
        client.force_login(admin)
        catalog_csv, catalog_xlsx = _catalog_export_cells(client, "csv", w.oil.code), _catalog_export_cells(client, "xlsx", w.oil.code)
        assert manifest_csv == catalog_csv == {escape_formula(name)} == {"'" + name}, repr(trigger)
        assert manifest_xlsx == catalog_xlsx, repr(trigger)
        [(value, data_type)] = manifest_xlsx
        assert value.startswith("'") and data_type == "s", repr(trigger)


# --- the catalog admin reads through the layer -----------------------------------------------------

CATALOG_HEADER = "code;name_vi;name_en;ec_code;basel_code;hazard_properties;physical_states;class_marker;verified\r\n"


def _admin_upload(client, content, name, fmt, version):
    data = {
        "resource": "0",
        "format": fmt,
        "import_file": SimpleUploadedFile(name, content),
        "version": str(version.pk),
        "new_version_label": "",
        "new_version_effective_date": "",
        "new_version_source": "",
    }
    return client.post(reverse("admin:catalog_wastecode_import"), data)


@pytest.fixture
def catalog_admin(client, db):
    call_command("load_catalog", stdout=io.StringIO())  # chapters and hazard properties
    client.force_login(factories.UserFactory(username="catalog_admin", is_staff=True, is_superuser=True))
    return client


def test_the_admin_reads_a_windows_1258_csv_saved_by_excel(catalog_admin):
    version = factories.CatalogVersionFactory(label="TT 02/2022")
    content = windows_1258(CATALOG_HEADER + "17 02 03;Dầu thải;Waste oil;;;Đ;lỏng;NH;1\r\n")
    assert b"D\xe2\xccu" in content  # â + combining grave
    response = _admin_upload(catalog_admin, content, "danh-muc.csv", "0", version)
    assert response.status_code == 200
    assert not response.context["form"].errors
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert "Dầu thải" in response.content.decode()


def test_the_admin_refuses_an_xlsx_zip_bomb_with_the_reason(catalog_admin):
    version = factories.CatalogVersionFactory(label="TT 02/2022")
    response = _admin_upload(catalog_admin, zip_bomb(spreadsheets.MAX_UNPACKED_BYTES + 1), "danh-muc.xlsx", "1", version)
    assert response.status_code == 200
    with translation.override("vi"):  # the admin speaks the portal's language
        message = gettext("The file is too large once unpacked.")
    assert response.context["form"].errors["import_file"] == [message]
    assert not version.codes.exists()


def test_the_admin_imports_an_xlsx(catalog_admin):
    version = factories.CatalogVersionFactory(label="TT 02/2022")
    headers = CATALOG_HEADER.strip().split(";")
    content = xlsx([(170203, "Dầu thải", "Waste oil", None, None, "Đ", "lỏng", "NH", 1)], headers=headers)
    response = _admin_upload(catalog_admin, content, "danh-muc.xlsx", "1", version)
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    confirm = catalog_admin.post(reverse("admin:catalog_wastecode_process_import"), response.context["confirm_form"].initial)
    assert confirm.status_code == 302
    assert list(version.codes.values_list("code", "name_vi")) == [("17 02 03", "Dầu thải")]
