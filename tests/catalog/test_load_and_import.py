"""The national catalogs: the shipped reference data (load_catalog) and the import of the official waste list."""

from datetime import date
from io import BytesIO, StringIO

import pytest
import tablib
from django.core.management import call_command
from django.utils import translation
from import_export.formats.base_formats import CSV, XLSX

from catalog import data as catalog_data
from catalog.models import CatalogVersion, HazardProperty, TreatmentMethod, WasteChapter, WasteCode
from catalog.resources import WasteCodeResource, clean_waste_code

HEADER = "code,name_vi,name_en,ec_code,basel_code,hazard_properties,physical_states,class_marker,verified\n"
GOOD_ROWS = [
    '17 02 03,"Dầu động cơ, hộp số và bôi trơn tổng hợp thải",Synthetic engine oils,13 02 06,A3020,"Đ, ĐS; C",lỏng,NH,1',
    "16 01 06,Bóng đèn huỳnh quang thải,Fluorescent lamps,,,Đ,rắn,NH,0",
    "12 06 05,Bùn thải từ xử lý nước thải công nghiệp,Sludge,,,Đ;ĐS,Bùn/Lỏng,KS,",
]


def load(stdout=None):
    call_command("load_catalog", stdout=stdout or StringIO())


@pytest.fixture
def catalog(db):
    load()


@pytest.fixture
def official(catalog):
    return CatalogVersion.objects.create(label="TT 02/2022 Phụ lục III", effective_date=date(2023, 1, 1))


@pytest.fixture
def english():
    # Messages are matched in English whatever the Vietnamese catalog holds.
    with translation.override("en"):
        yield


def dataset(*rows, header=HEADER):
    return tablib.Dataset().load(header + "\n".join(rows) + "\n", format="csv")


def import_rows(*rows, dry_run=False, **resource_kwargs):
    return WasteCodeResource(**resource_kwargs).import_data(dataset(*rows), dry_run=dry_run)


def messages(result):
    return {row.number: row.error_dict for row in result.invalid_rows}


# load_catalog ---------------------------------------------------------------------------------------------


def test_load_catalog_loads_chapters_properties_methods_and_unverified_samples(db):
    out = StringIO()
    load(out)
    assert WasteChapter.objects.count() == 19
    assert list(WasteChapter.objects.values_list("code", flat=True)) == [f"{n:02d}" for n in range(1, 20)]
    assert WasteChapter.objects.get(code="17").name_en.startswith("Waste oils")
    assert set(HazardProperty.objects.values_list("code", flat=True)) == {"N", "C", "OH", "AM", "Đ", "ĐS", "LN"}
    assert HazardProperty.objects.get(code="ĐS").name_vi == "Có độc tính sinh thái"
    methods = list(TreatmentMethod.objects.values_list("code", flat=True))
    assert methods == ["TC", "TH", "PT", "OH", "SH", "ĐX", "TĐ", "HR", "CL", "C", "TR", "SC", "Khác"]
    assert TreatmentMethod.objects.get(code="CL").name_vi == "Cô lập/đóng kén"

    version = CatalogVersion.objects.get()
    assert (version.label, version.effective_date) == ("Danh mục mẫu (chưa đối chiếu)", date(2022, 12, 1))
    assert version.source == "Mẫu kèm theo HWMS, chưa đối chiếu Thông tư 02/2022/TT-BTNMT"
    codes = WasteCode.objects.filter(version=version)
    assert codes.count() == 12
    assert list(codes.filter(verified=True).values_list("code", flat=True)) == ["01 01 01"]
    oil = codes.get(code="17 02 03")
    assert oil.chapter.code == "17" and oil.class_marker == "NH" and oil.physical_states == ["liquid"]
    assert set(oil.hazard_properties.values_list("code", flat=True)) == {"Đ", "ĐS", "C"}
    assert all(code.name_vi and code.name_en and code.physical_states for code in codes)
    assert "19 created" in out.getvalue() and "12 created" in out.getvalue()


def test_load_catalog_twice_changes_nothing_and_restores_the_shipped_values(db):
    load()
    oil = WasteCode.objects.get(code="17 02 03")
    before = {m: list(m.objects.order_by("pk").values()) for m in (WasteChapter, HazardProperty, TreatmentMethod, WasteCode)}
    out = StringIO()
    load(out)
    after = {m: list(m.objects.order_by("pk").values()) for m in (WasteChapter, HazardProperty, TreatmentMethod, WasteCode)}
    assert before == after
    assert out.getvalue().count("0 created, 0 updated") == 5

    WasteChapter.objects.filter(code="17").update(name_vi="sửa tay")
    oil.hazard_properties.clear()
    out = StringIO()
    load(out)
    assert WasteChapter.objects.get(code="17").name_vi == catalog_data.CHAPTERS[16][1]
    assert oil.hazard_properties.count() == 3
    assert out.getvalue().count("1 updated") == 2


# Codes as spreadsheets give them ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, code",
    [
        ("17 02 03", "17 02 03"),
        (" 17  02 03 ", "17 02 03"),
        ("170203", "17 02 03"),
        (170203, "17 02 03"),
        (170203.0, "17 02 03"),
        ("170203.0", "17 02 03"),
        (10101, "01 01 01"),
        ("'170203", "17 02 03"),
        ("17.02.03", "17 02 03"),
        ("17-02-03", "17 02 03"),
        ("1702", "17 02"),
        ("17", "17"),
    ],
)
def test_waste_codes_are_normalised(value, code):
    assert clean_waste_code(value) == code


@pytest.mark.parametrize("value", ["", None, "1702031", "17 2 03", "17 02 03 04", "ab 02 03", 1702.5])
def test_malformed_waste_codes_are_refused(value):
    with pytest.raises(ValueError):
        clean_waste_code(value)


# Import ------------------------------------------------------------------------------------------------------


def test_a_valid_file_creates_codes_in_the_chosen_version(official):
    sample_oil = WasteCode.objects.get(code="17 02 03")
    result = import_rows(*GOOD_ROWS, version=official)

    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 3
    oil = WasteCode.objects.get(version=official, code="17 02 03")
    assert oil.pk != sample_oil.pk  # the import id is (version, code)
    assert oil.name_vi == "Dầu động cơ, hộp số và bôi trơn tổng hợp thải"
    assert (oil.chapter.code, oil.ec_code, oil.basel_code, oil.class_marker, oil.verified) == ("17", "13 02 06", "A3020", "NH", True)
    assert set(oil.hazard_properties.values_list("code", flat=True)) == {"Đ", "ĐS", "C"}
    assert oil.physical_states == ["liquid"]
    sludge = WasteCode.objects.get(version=official, code="12 06 05")
    assert sludge.physical_states == ["sludge", "liquid"] and sludge.class_marker == "KS" and not sludge.verified
    assert sludge.chapter.code == "12"
    assert WasteCode.objects.filter(version=official).count() == 3
    assert WasteCode.objects.exclude(version=official).count() == 12  # the samples are untouched


def test_importing_again_updates_the_codes_of_that_version(official):
    import_rows(*GOOD_ROWS, version=official)
    result = import_rows(*GOOD_ROWS[:2], "12 06 05,Bùn thải (sửa),Sludge,,,Đ,bùn,NH,1", version=official)
    assert not result.has_validation_errors()
    assert (result.totals["skip"], result.totals["update"]) == (2, 1)
    sludge = WasteCode.objects.get(version=official, code="12 06 05")
    assert (sludge.name_vi, sludge.class_marker, sludge.verified) == ("Bùn thải (sửa)", "NH", True)
    assert list(sludge.hazard_properties.values_list("code", flat=True)) == ["Đ"]
    assert WasteCode.objects.filter(version=official).count() == 3


def test_a_new_version_is_created_with_the_import_and_not_by_a_dry_run(catalog):
    new_version = {"label": "QĐ 3323", "effective_date": date(2022, 12, 1), "source": "Quyết định 3323/QĐ-BTNMT"}
    result = import_rows(*GOOD_ROWS, dry_run=True, new_version=new_version)
    assert not result.has_validation_errors() and result.totals["new"] == 3
    assert not CatalogVersion.objects.filter(label="QĐ 3323").exists()

    result = import_rows(*GOOD_ROWS, new_version=new_version)
    version = CatalogVersion.objects.get(label="QĐ 3323")
    assert (version.effective_date, version.source) == (date(2022, 12, 1), "Quyết định 3323/QĐ-BTNMT")
    assert version.codes.count() == 3


def test_without_a_version_nothing_is_imported(catalog, english):
    result = import_rows(*GOOD_ROWS)
    assert result.has_errors()
    assert "Choose the catalog version" in str(result.base_errors[0].error)
    assert WasteCode.objects.count() == 12


@pytest.mark.parametrize(
    "bad_row, field, message",
    [
        ("18 01 03,Bao bì nhựa,,,,Đ;XX,rắn,NH,0", "hazard_properties", "Unknown hazard property: XX."),
        ("18 1 03,Bao bì nhựa,,,,Đ,rắn,NH,0", "code", "“18 1 03” is not a waste code"),
        ("1801030,Bao bì nhựa,,,,Đ,rắn,NH,0", "code", "“1801030” is not a waste code"),
        ("20 01 01,Không có chương,,,,Đ,rắn,NH,0", "code", "Chapter 20 does not exist in the catalog"),
        ("18 01 03,Bao bì nhựa,,,,Đ,rắn,XY,0", "class_marker", "Unknown classification mark “XY”: use NH, KS or TT."),
        ("18 01 03,Bao bì nhựa,,,,Đ,rắn,,0", "class_marker", "Enter the classification mark"),
        ("18 01 03,Bao bì nhựa,,,,Đ,rắn/hơi,NH,0", "physical_states", "Unknown physical state: hơi."),
        ("18 01 03,Bao bì nhựa,,,,Đ,rắn,NH,có lẽ", "verified", "“có lẽ” is not yes or no"),
        ("18 01 03,,,,,Đ,rắn,NH,0", "name_vi", "This field cannot be blank."),
        ("16 01 06,Bóng đèn lần hai,,,,Đ,rắn,NH,0", "code", "Code 16 01 06 appears more than once in the file (first on row 2)."),
    ],
    ids=[
        "unknown-hazard-property",
        "bad-code",
        "seven-digits",
        "unknown-chapter",
        "unknown-class-marker",
        "no-class-marker",
        "unknown-physical-state",
        "not-yes-or-no",
        "no-name",
        "duplicate-code",
    ],
)
def test_one_bad_row_is_reported_with_its_number_and_nothing_is_saved(official, english, bad_row, field, message):
    before = WasteCode.objects.count()
    # The bad row is the third row of data, after two good ones, before a third good one.
    result = import_rows(GOOD_ROWS[0], GOOD_ROWS[1], bad_row, GOOD_ROWS[2], version=official)
    assert not result.has_errors()
    assert list(messages(result)) == [3]
    assert any(message in text for text in messages(result)[3][field]), messages(result)
    assert WasteCode.objects.count() == before  # not even the good rows
    assert not WasteCode.objects.filter(version=official).exists()


def test_every_bad_row_is_reported_and_a_new_version_is_rolled_back_too(catalog, english):
    rows = [*GOOD_ROWS, "xx,Sai mã,,,,Đ,rắn,NH,0", "18 01 03,Bao bì,,,,Q,khí,NH,0"]
    result = import_rows(*rows, new_version={"label": "Lỗi", "effective_date": date(2025, 1, 1), "source": ""})
    assert sorted(messages(result)) == [4, 5]
    assert "is not a waste code" in messages(result)[4]["code"][0]
    assert "Unknown hazard property: Q." in messages(result)[5]["hazard_properties"][0]
    assert not CatalogVersion.objects.filter(label="Lỗi").exists()
    assert WasteCode.objects.count() == 12


def test_spreadsheet_numbers_keep_their_codes_and_vietnamese_headings_are_understood(official):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Mã chất thải", "Tên chất thải", "Mã EC", "Tính chất nguy hại", "Trạng thái tồn tại", "Ký hiệu phân loại"])
    sheet.append([170203, "Dầu thải", 130206, "Đ, ĐS", "Lỏng", "NH"])
    sheet.append([10101, "Quặng đuôi", None, "Đ", "Rắn/Bùn", "NH"])
    sheet.append([None, None, None, None, None, None])  # a blank line at the end of the sheet
    stream = BytesIO()
    book.save(stream)

    data = XLSX().create_dataset(stream.getvalue())
    result = WasteCodeResource(version=official).import_data(data)

    assert not result.has_errors() and not result.has_validation_errors(), messages(result)
    assert sorted(WasteCode.objects.filter(version=official).values_list("code", "ec_code")) == [
        ("01 01 01", ""),
        ("17 02 03", "13 02 06"),
    ]
    assert WasteCode.objects.get(version=official, code="01 01 01").physical_states == ["solid", "sludge"]


def test_the_template_in_docs_imports_cleanly(official):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "catalog_template.csv").read_text(encoding="utf-8")
    result = WasteCodeResource(version=official).import_data(CSV().create_dataset(text))
    assert not result.has_errors() and not result.has_validation_errors(), messages(result)
    assert WasteCode.objects.filter(version=official).count() == 3


# Export ------------------------------------------------------------------------------------------------------


def test_export_neutralises_formulae_and_the_import_restores_them(official):
    import_rows(*GOOD_ROWS[1:], version=official)
    WasteCode.objects.filter(version=official, code="16 01 06").update(name_vi="=SUM(A1)", name_en="@cmd")
    queryset = WasteCode.objects.filter(version=official).order_by("code")

    exported = WasteCodeResource().export(queryset=queryset)
    csv_text = CSV().export_data(exported)

    assert "'=SUM(A1)" in csv_text and "'@cmd" in csv_text
    assert ",=SUM" not in csv_text and ",@cmd" not in csv_text
    assert "16 01 06,'=SUM(A1),'@cmd,,,Đ,rắn,NH,0," in csv_text
    assert "12 06 05,Bùn thải từ xử lý nước thải công nghiệp,Sludge,,,\"Đ, ĐS\",bùn/lỏng,KS,0," in csv_text

    again = CatalogVersion.objects.create(label="bản sao", effective_date=date(2024, 1, 1))
    result = WasteCodeResource(version=again).import_data(CSV().create_dataset(csv_text))
    assert not result.has_validation_errors(), messages(result)
    copy = WasteCode.objects.get(version=again, code="16 01 06")
    assert (copy.name_vi, copy.name_en) == ("=SUM(A1)", "@cmd")


def test_imports_run_in_one_transaction_and_every_admin_reads_and_writes_through_the_spreadsheet_layer(settings):
    from django.contrib import admin
    from import_export.admin import ImportExportMixinBase

    from common.spreadsheets import AdminFormats

    assert settings.IMPORT_EXPORT_USE_TRANSACTIONS is True
    spreadsheet_admins = [a for a in admin.site._registry.values() if isinstance(a, ImportExportMixinBase)]
    assert len(spreadsheet_admins) >= 8
    for model_admin in spreadsheet_admins:
        assert model_admin.import_formats == AdminFormats.import_formats, model_admin
        assert model_admin.export_formats == AdminFormats.export_formats, model_admin
    assert WasteCodeResource().get_use_transactions() is True
