"""Administrators manage accounts data in the Django admin and import/export it as XLSX/CSV."""

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Organisation


@pytest.mark.django_db
@pytest.mark.parametrize("model", [m for m in admin.site._registry if m._meta.app_label in ("accounts", "gis", "manifests")], ids=lambda m: m.__name__)
def test_every_admin_page_opens(client, world, model):
    client.force_login(world.admin)
    opts = model._meta
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code in (200, 403)


@pytest.mark.django_db
def test_admin_pages_are_closed_to_non_staff(client, world):
    client.force_login(world.alice)
    assert client.get(reverse("admin:accounts_organisation_changelist")).status_code == 302


@pytest.mark.django_db
def test_organisations_export_as_csv_and_xlsx(client, world):
    client.force_login(world.admin)
    url = reverse("admin:accounts_organisation_export")
    for file_format, content_type in [(0, "text/csv"), (1, "application/vnd.openxmlformats")]:
        response = client.post(url, {"format": str(file_format), **{f"organisationresource_{f}": "on" for f in ["tax_code", "name"]}})
        assert response.status_code == 200, response.content[:500]
        assert response["Content-Type"].startswith(content_type)
        if file_format == 0:
            assert "0101234567,Alpha" in response.content.decode("utf-8")


def _import(client, csv_text):
    url = reverse("admin:accounts_organisation_import")
    upload = SimpleUploadedFile("orgs.csv", csv_text.encode("utf-8"), content_type="text/csv")
    return client.post(url, {"format": "0", "import_file": upload, "resource": "0"})


@pytest.mark.django_db
def test_organisation_import_with_a_bad_row_shows_the_error_and_saves_nothing(client, world):
    client.force_login(world.admin)
    before = Organisation.objects.count()
    response = _import(
        client,
        "tax_code,name,is_generator,is_transporter,is_facility,address,phone,email,active\n"
        "0109990001,Công ty Mới,1,0,0,,,,1\n"
        "12345,Công ty Sai Mã,1,0,0,,,,1\n",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Mã số thuế gồm 10 chữ số" in page or "10 digits" in page
    assert Organisation.objects.count() == before


@pytest.mark.django_db
def test_organisation_import_of_good_rows_previews_then_saves(client, world):
    client.force_login(world.admin)
    response = _import(
        client,
        "tax_code,name,is_generator,is_transporter,is_facility,address,phone,email,active\n0109990001,Công ty Mới,1,0,0,,,,1\n",
    )
    assert response.status_code == 200
    form = response.context["confirm_form"]
    confirm = client.post(reverse("admin:accounts_organisation_process_import"), {**form.initial, "resource": "0"})
    assert confirm.status_code == 302
    assert Organisation.objects.filter(tax_code="0109990001", is_generator=True).exists()
