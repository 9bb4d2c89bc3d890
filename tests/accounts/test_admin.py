"""Administrators manage accounts data in the Django admin and import/export it as XLSX/CSV."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, Organisation
from gis.models import LegacyProvince, Province, Ward
from tests import factories


@pytest.mark.django_db
@pytest.mark.parametrize("model", [m for m in admin.site._registry if m._meta.app_label in ("accounts", "gis", "manifests")], ids=lambda m: m.__name__)
def test_every_admin_page_opens(client, world, model):
    client.force_login(world.admin)
    opts = model._meta
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    # The audit log and the official geography are read only (common.admin.ReadOnlyAdminMixin): no add page.
    read_only = {"AuditEvent", "Province", "Ward", "LegacyProvince"}
    assert add.status_code == (403 if model.__name__ in read_only else 200)


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


def _user_rows(client):
    """The users list as {username: (organisations cell, role cell)}, text only."""
    response = client.get(reverse("admin:accounts_user_changelist"), {"all": ""})
    assert response.status_code == 200
    page = response.content.decode()
    rows = {}
    for row in re.findall(r"<tr>.*?</tr>", page, re.S):
        name = re.search(r'<th class="field-username">.*?>([^<]+)</a>', row, re.S)
        cells = [re.sub(r"<[^>]+>", " ", cell).split() for cell in re.findall(r'<td class="field-(?:organisations|roles)">(.*?)</td>', row, re.S)]
        if name:
            rows[name.group(1)] = tuple(" ".join(words) for words in cells)
    return rows


@pytest.mark.django_db
def test_users_list_shows_each_users_organisations_and_roles(client, world):
    factories.MembershipFactory(user=world.fred, organisation=world.alpha, role=Membership.Role.VIEWER)
    client.force_login(world.admin)
    rows = _user_rows(client)
    assert rows["alice"] == ("Alpha", "Quản trị viên")
    assert rows["fred"] == ("Alpha Omega", "Chỉ xem Thành viên")  # one line per organisation, in name order
    assert rows["dan"] == ("Omega", "Lái xe")
    assert rows["hn_official"][1] == "Cán bộ quản lý (Thành phố Hà Nội)"
    assert rows["central"][1] == "Cán bộ quản lý (toàn quốc)"
    assert rows["admin"] == ("–", "Quản trị viên hệ thống")


@pytest.mark.django_db
def test_users_list_costs_the_same_queries_for_more_users(client, world):
    client.force_login(world.admin)
    _user_rows(client)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as before:
        _user_rows(client)
    for n in range(5):
        user = factories.UserFactory(username=f"extra{n}")
        factories.MembershipFactory(user=user, organisation=world.omega)
        factories.MembershipFactory(user=user, organisation=world.zeta)
    with CaptureQueriesContext(connection) as after:
        rows = _user_rows(client)
    assert rows["extra4"] == ("Omega Zeta", "Thành viên Thành viên")
    assert len(after) == len(before)


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["province", "ward", "legacyprovince"])
def test_provinces_and_wards_are_view_only_in_the_admin(client, world, model):
    LegacyProvince.objects.create(code=28, name="Tỉnh Hưng Yên", codename="hung_yen", province=world.hanoi)
    obj = {"province": world.hanoi, "ward": world.hanoi_ward, "legacyprovince": LegacyProvince.objects.get()}[model]
    before = {m: m.objects.count() for m in (Province, Ward, LegacyProvince)}
    client.force_login(world.admin)
    assert client.get(reverse(f"admin:gis_{model}_changelist")).status_code == 200
    change_url = reverse(f"admin:gis_{model}_change", args=[obj.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # shown, not editable
    assert client.get(reverse(f"admin:gis_{model}_add")).status_code == 403
    assert client.post(change_url, {"name": "Đổi tên"}).status_code == 403
    assert client.post(reverse(f"admin:gis_{model}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    obj.refresh_from_db()
    assert obj.name != "Đổi tên"
    assert {m: m.objects.count() for m in (Province, Ward, LegacyProvince)} == before


@pytest.mark.django_db
def test_admin_speaks_vietnamese_including_the_login_protection_pages(client, world):
    client.force_login(world.admin)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Kiểm soát đăng nhập" in index and "Bản đồ và địa giới hành chính" in index
    AccessAttempt.objects.create(username="alice", ip_address="10.0.0.1", failures_since_start=2, get_data="", post_data="")
    attempts = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "lần đăng nhập sai" in attempts.lower() and "Trạng thái" in attempts
    user_add = client.get(reverse("admin:accounts_user_add")).content.decode()
    for english in ["Add link", "Toggle theme", "Password-based authentication", "Axes", "Status", "Attempt Remaining"]:
        assert english not in index + attempts + user_add


@pytest.mark.django_db
def test_admin_login_lockout_screen_is_vietnamese(client, world, settings):
    # The administration has no login form of its own: it sends to the portal's (password, then second factor).
    assert client.get(reverse("admin:login") + "?next=/admin/").url == "/login/?next=/admin/"
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "admin", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    wrong = client.post(url, {"username": "admin", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    page = wrong.content.decode()
    assert wrong.status_code == 429
    assert "Tạm khóa đăng nhập" in page and "quản trị viên của tổ chức" in page
    assert "Account locked" not in page
