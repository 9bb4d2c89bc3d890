"""An administrator imports the official waste list in the Django admin: preview, row errors, confirmation."""

import re
from datetime import date
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from catalog.models import CatalogVersion, HazardProperty, WasteCode
from tests import factories

IMPORT_URL = "admin:catalog_wastecode_import"
HEADER = "code,name_vi,name_en,ec_code,basel_code,hazard_properties,physical_states,class_marker,verified\n"
CLEAN_FILE = HEADER + (
    '17 02 03,"Dầu động cơ, hộp số và bôi trơn tổng hợp thải",Synthetic engine oils,,,"Đ, ĐS",lỏng,NH,1\n'
    "16 01 06,Bóng đèn huỳnh quang thải,Fluorescent lamps,,,Đ,rắn,NH,0\n"
)
BAD_FILE = HEADER + (
    "17 02 03,Dầu thải,Waste oil,,,Đ,lỏng,NH,0\n"
    "18 01 03,Bao bì nhựa cứng thải,Plastic packaging,,,Đ;XX,rắn,NH,0\n"
    "16 01 06,Bóng đèn huỳnh quang thải,Fluorescent lamps,,,Đ,rắn,NH,0\n"
)


@pytest.fixture
def admin_client(client, db):
    call_command("load_catalog", stdout=StringIO())
    client.force_login(factories.UserFactory(username="catalog_admin", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def official(db):
    return CatalogVersion.objects.create(label="TT 02/2022 Phụ lục III", effective_date=date(2023, 1, 1))


def upload(client, text, **version):
    data = {
        "resource": "0",
        "format": "0",  # CSV
        "import_file": SimpleUploadedFile("danh-muc.csv", text.encode("utf-8"), content_type="text/csv"),
        "version": "",
        "new_version_label": "",
        "new_version_effective_date": "",
        "new_version_source": "",
        **version,
    }
    return client.post(reverse(IMPORT_URL), data)


def test_the_import_page_asks_for_the_catalog_version(admin_client, official):
    page = admin_client.get(reverse(IMPORT_URL)).content.decode()
    assert 'name="version"' in page and "TT 02/2022 Phụ lục III" in page
    assert 'name="new_version_label"' in page and 'name="new_version_effective_date"' in page


def test_a_file_with_a_bad_row_shows_the_row_and_its_error_and_saves_nothing(admin_client, official):
    before = WasteCode.objects.count()
    response = upload(admin_client, BAD_FILE, version=str(official.pk))

    assert response.status_code == 200
    page = response.content.decode()
    [invalid] = response.context["result"].invalid_rows
    assert invalid.number == 2
    with translation.override("vi"):  # the page speaks the portal's language
        message = gettext("Unknown hazard property: %(codes)s. Known codes: %(known)s.") % {
            "codes": "XX",
            "known": "AM, C, LN, N, OH, Đ, ĐS",
        }
    assert message in page
    assert re.search(r"<td>\s*2\s*</td>", page)
    assert "confirm_form" not in response.context or not response.context["confirm_form"]
    assert WasteCode.objects.count() == before
    assert not WasteCode.objects.filter(version=official).exists()


def test_a_clean_file_is_previewed_then_saved_in_a_new_version_on_confirmation(admin_client):
    version = {"new_version_label": "QĐ 3323/QĐ-BTNMT", "new_version_effective_date": "2022-12-01", "new_version_source": "Quyết định 3323"}
    preview = upload(admin_client, CLEAN_FILE, **version)

    assert preview.status_code == 200
    confirm_form = preview.context["confirm_form"]
    assert "QĐ 3323/QĐ-BTNMT" in preview.content.decode() and "01/12/2022" in preview.content.decode()
    assert not CatalogVersion.objects.filter(label="QĐ 3323/QĐ-BTNMT").exists()  # the preview was a dry run
    assert WasteCode.objects.count() == 12

    confirm = admin_client.post(reverse("admin:catalog_wastecode_process_import"), confirm_form.initial)

    assert confirm.status_code == 302
    assert confirm["Location"] == reverse("admin:catalog_wastecode_changelist")
    created = CatalogVersion.objects.get(label="QĐ 3323/QĐ-BTNMT")
    assert (created.effective_date, created.source) == (date(2022, 12, 1), "Quyết định 3323")
    oil = WasteCode.objects.get(version=created, code="17 02 03")
    assert oil.verified and oil.physical_states == ["liquid"]
    assert set(oil.hazard_properties.values_list("code", flat=True)) == {"Đ", "ĐS"}
    assert created.codes.count() == 2


def test_a_clean_file_goes_into_an_existing_version(admin_client, official):
    preview = upload(admin_client, CLEAN_FILE, version=str(official.pk))
    confirm = admin_client.post(reverse("admin:catalog_wastecode_process_import"), preview.context["confirm_form"].initial)
    assert confirm.status_code == 302
    assert sorted(official.codes.values_list("code", flat=True)) == ["16 01 06", "17 02 03"]


@pytest.mark.parametrize(
    "version",
    [
        {},  # no version at all
        {"new_version_label": "Mới"},  # no effective date
        {"new_version_label": "TT 02/2022 Phụ lục III", "new_version_effective_date": "2023-01-01"},  # taken
        {"version": "OFFICIAL", "new_version_label": "Mới", "new_version_effective_date": "2023-01-01"},  # both
    ],
    ids=["none", "no-date", "label-taken", "both"],
)
def test_the_version_must_be_chosen_once(admin_client, official, version):
    version = {k: str(official.pk) if v == "OFFICIAL" else v for k, v in version.items()}
    response = upload(admin_client, CLEAN_FILE, **version)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "result" not in response.context or not response.context["result"]
    assert CatalogVersion.objects.count() == 2 and WasteCode.objects.count() == 12


def test_a_confirmation_whose_new_label_was_taken_meanwhile_saves_nothing(admin_client):
    preview = upload(admin_client, CLEAN_FILE, new_version_label="Mới", new_version_effective_date="2024-01-01")
    CatalogVersion.objects.create(label="Mới", effective_date=date(2024, 1, 1))

    confirm = admin_client.post(reverse("admin:catalog_wastecode_process_import"), preview.context["confirm_form"].initial)

    assert confirm.status_code == 200 and confirm.context["confirm_form"].errors
    assert WasteCode.objects.count() == 12
    assert not CatalogVersion.objects.get(label="Mới").codes.exists()


def test_a_confirmation_whose_rows_no_longer_pass_saves_nothing(admin_client, official):
    preview = upload(admin_client, CLEAN_FILE, version=str(official.pk))
    HazardProperty.objects.filter(code="ĐS").delete()  # the file's "Đ, ĐS" is now unknown

    confirm = admin_client.post(reverse("admin:catalog_wastecode_process_import"), preview.context["confirm_form"].initial)

    assert confirm.status_code == 302 and confirm["Location"] == reverse(IMPORT_URL)
    assert not official.codes.exists()
    assert [m.level_tag for m in get_messages(confirm.wsgi_request)] == ["error"]


def test_the_admin_export_escapes_formulae(admin_client):
    WasteCode.objects.filter(code="17 02 03").update(name_vi="=SUM(A1)")
    fields = ["code", "name_vi", "hazard_properties", "physical_states", "class_marker"]
    response = admin_client.post(
        reverse("admin:catalog_wastecode_export"),
        {"format": "0", "resource": "0", **{f"wastecoderesource_{name}": "on" for name in fields}},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert "17 02 03,'=SUM(A1)," in text
    assert ",=SUM" not in text
    assert "01 01 01,Quặng đuôi có khả năng sinh axit từ quá trình chế biến quặng sunfua,\"Đ, ĐS\",rắn/bùn,NH" in text
