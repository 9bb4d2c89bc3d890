"""The demo command of `make run`: refuses production, loads every role, a manifest per step, idempotent."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.audit import verify_chains
from accounts.models import Jurisdiction, Membership, Organisation, Site, User
from manifests.models import Manifest, Status


@pytest.fixture
def reference_data(db):
    call_command("load_reference_data", stdout=io.StringIO())


def test_it_refuses_to_run_with_debug_off(reference_data, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo_data")
    assert not User.objects.exists()


def test_it_loads_every_role_and_a_manifest_per_step_once(reference_data, settings, capsys):
    settings.DEBUG = True
    call_command("load_demo_data")
    call_command("load_demo_data")
    output = capsys.readouterr().out
    for username in ["dn_quantri", "dn_nhanvien", "dn_xem", "laixe", "xuly", "canbo_hanoi", "canbo_tw", "quantri"]:
        assert username in output
        assert User.objects.get(username=username).check_password(settings.HWMS_DEMO_PASSWORD)
    assert set(Membership.objects.values_list("role", flat=True)) == {"admin", "member", "viewer", "driver"}
    assert Jurisdiction.objects.filter(province__isnull=True).count() == 1
    statuses = sorted(Manifest.objects.values_list("status", flat=True))
    assert statuses == sorted([Status.DRAFT, Status.SEALED, Status.READY, Status.IN_TRANSIT, Status.RECEIVED, Status.COMPLETED])
    assert Manifest.objects.filter(has_discrepancy=True).count() == 1
    assert verify_chains()[1] is None


def test_demo_officials_and_administrator_get_a_printed_second_factor(reference_data, settings, capsys):
    from django_otp.plugins.otp_static.models import StaticToken

    from accounts import two_factor

    settings.DEBUG = True
    call_command("load_demo_data")
    first = capsys.readouterr().out
    call_command("load_demo_data")
    output = capsys.readouterr().out
    for username in ["canbo_hanoi", "canbo_tw", "quantri"]:
        user = User.objects.get(username=username)
        device = two_factor.authenticator(user)
        key = two_factor.secret(device)
        # The key stays from one run to the next (an app set up once keeps working); recovery codes are new.
        assert f"{username}: key {key}" in output and f"{username}: key {key}" in first
        assert device.config_url in output
        codes = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
        assert len(codes) == settings.HWMS_RECOVERY_CODE_COUNT
        printed = output.split(f"{username}: key {key}  recovery codes ")[1].split()[0:3]
        assert {code.strip(",") for code in printed} <= codes
    assert not two_factor.has_device(User.objects.get(username="dn_quantri"))


def test_demo_sites_lie_in_the_commune_or_ward_of_their_industrial_park(reference_data, settings):
    settings.DEBUG = True
    call_command("load_demo_data", stdout=io.StringIO())
    wards = {site.name: (site.ward.name, site.province.name) for site in Site.objects.select_related("ward", "province")}
    assert wards["Nhà máy Sao Mai Hà Nội"] == ("Xã Thiên Lộc", "Thành phố Hà Nội")  # KCN Thăng Long, former Đông Anh
    assert wards["Khu xử lý Môi trường Xanh Hiệp Phước"] == ("Xã Hiệp Phước", "Thành phố Hồ Chí Minh")  # former Nhà Bè
    assert wards["Nhà máy Sao Mai Bắc Ninh"] == ("Phường Phương Liễu", "Bắc Ninh")
    assert wards["Kho Sao Mai Hải Phòng"] == ("Phường Đông Hải", "Thành phố Hải Phòng")
    assert wards["Trạm trung chuyển Môi trường Xanh Đồng Nai"] == ("Xã Nhơn Trạch", "Đồng Nai")
    assert all(site.ward.province_id == site.province_id for site in Site.objects.select_related("ward"))
    assert all(org.phone and org.address for org in Organisation.objects.all())


def test_demo_pickups_are_recorded_at_the_generator_site(reference_data, settings):
    settings.DEBUG = True
    call_command("load_demo_data", stdout=io.StringIO())
    picked_up = Manifest.objects.filter(pickup_latitude__isnull=False).select_related("generator_site")
    assert picked_up.count() == 3
    for manifest in picked_up:
        site = manifest.generator_site
        assert (manifest.pickup_latitude, manifest.pickup_longitude) == (site.latitude, site.longitude)
