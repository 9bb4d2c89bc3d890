import json
from io import StringIO

import pytest
from django.core.management import call_command
from vietnam_provinces import Province as VPProvince

from gis.management.commands.load_geography import LEGACY_FIXTURE
from gis.models import LegacyProvince, Province, Ward


def load():
    out, err = StringIO(), StringIO()
    call_command("load_geography", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot():
    return (
        list(Province.objects.order_by("code").values_list()),
        list(Ward.objects.order_by("code").values_list()),
        list(LegacyProvince.objects.order_by("code").values_list()),
    )


@pytest.fixture
def loaded(db):
    load()


def test_loads_34_provinces_3321_wards_63_legacy_provinces(db):
    out, err = load()
    assert Province.objects.count() == 34
    assert Ward.objects.count() == 3321
    assert LegacyProvince.objects.count() == 63
    assert "34 provinces, 3321 wards, 63 legacy provinces (3418 created, 0 updated)" in out
    assert err == ""


def test_running_twice_changes_nothing(loaded):
    before = snapshot()
    out, _ = load()
    assert snapshot() == before
    assert "(0 created, 0 updated)" in out
    assert (Province.objects.count(), Ward.objects.count(), LegacyProvince.objects.count()) == (34, 3321, 63)


def test_rows_edited_in_the_database_are_restored(loaded):
    before = snapshot()
    Ward.objects.filter(code=70).update(name="Sai tên", province_id=79)
    Province.objects.filter(code=1).update(division_type="tỉnh")
    LegacyProvince.objects.filter(code=74).update(province_id=75)
    out, _ = load()
    assert "(0 created, 3 updated)" in out
    assert snapshot() == before


def test_rows_the_data_no_longer_lists_are_kept_and_reported(loaded):
    Ward.objects.create(code=99999, name="Xã cũ", codename="xa_cu", division_type="xã", province_id=1)
    _, err = load()
    assert Ward.objects.filter(code=99999).exists()
    assert "1 wards in the database are not in the data" in err


def test_fields_match_the_package(loaded):
    hanoi = Province.objects.get(code=1)
    assert (hanoi.name, hanoi.codename, hanoi.division_type) == ("Thành phố Hà Nội", "ha_noi", "thành phố trung ương")
    assert Province.objects.get(code=46).name == "Thành phố Huế"
    hoan_kiem = Ward.objects.get(code=70)
    assert (hoan_kiem.name, hoan_kiem.division_type, hoan_kiem.province_id) == ("Phường Hoàn Kiếm", "phường", 1)
    assert Ward.objects.filter(province_id=79).count() == 168
    assert set(Ward.objects.values_list("division_type", flat=True)) == {"xã", "phường", "đặc khu"}
    provinces_with_wards = set(Ward.objects.values_list("province_id", flat=True).distinct())
    assert provinces_with_wards == set(Province.objects.values_list("code", flat=True))


# (old code, old name, today's code, today's name). Loading takes ~0.3 s, hence one test over the table.
LEGACY_CASES = [
    (74, "Bình Dương", 79, "Thành phố Hồ Chí Minh"),
    (77, "Bà Rịa - Vũng Tàu", 79, "Thành phố Hồ Chí Minh"),
    (79, "Thành phố Hồ Chí Minh", 79, "Thành phố Hồ Chí Minh"),
    (2, "Hà Giang", 8, "Tuyên Quang"),
    (49, "Quảng Nam", 48, "Thành phố Đà Nẵng"),
    (1, "Thành phố Hà Nội", 1, "Thành phố Hà Nội"),
    (46, "Thành phố Huế", 46, "Thành phố Huế"),
    (17, "Hoà Bình", 25, "Phú Thọ"),
    (26, "Vĩnh Phúc", 25, "Phú Thọ"),
    (35, "Hà Nam", 37, "Ninh Bình"),
    (36, "Nam Định", 37, "Ninh Bình"),
    (62, "Kon Tum", 51, "Quảng Ngãi"),
    # Codes were reused: match by name, not by code.
    (52, "Bình Định", 52, "Gia Lai"),
    (64, "Gia Lai", 52, "Gia Lai"),
    (80, "Long An", 80, "Tây Ninh"),
    (72, "Tây Ninh", 80, "Tây Ninh"),
    (44, "Quảng Bình", 44, "Quảng Trị"),
    (45, "Quảng Trị", 44, "Quảng Trị"),
    (67, "Đắk Nông", 68, "Lâm Đồng"),
    (60, "Bình Thuận", 68, "Lâm Đồng"),
    (94, "Sóc Trăng", 92, "Thành phố Cần Thơ"),
    (91, "Kiên Giang", 91, "An Giang"),
    (89, "An Giang", 91, "An Giang"),
    (4, "Cao Bằng", 4, "Cao Bằng"),
]


def test_legacy_provinces_map_to_todays_province(loaded):
    stored = {
        lp.code: (lp.code, lp.name, lp.province.code, lp.province.name)
        for lp in LegacyProvince.objects.select_related("province")
    }
    assert [stored[case[0]] for case in LEGACY_CASES] == LEGACY_CASES


def test_every_province_receives_at_least_one_legacy_province(loaded):
    sizes = {p.code: p.legacy_provinces.count() for p in Province.objects.all()}
    assert min(sizes.values()) == 1
    assert sum(sizes.values()) == 63
    assert sizes[79] == 3 and sizes[25] == 3 and sizes[37] == 3 and sizes[92] == 3 and sizes[8] == 2
    assert sum(1 for n in sizes.values() if n == 1) == 11  # unchanged provinces


def test_legacy_fixture_is_consistent_with_the_pinned_package():
    document = json.loads(LEGACY_FIXTURE.read_text(encoding="utf-8"))
    assert "GPL-3.0-or-later" in document["licence"]
    rows = document["provinces"]
    assert len(rows) == 63
    assert len({r["code"] for r in rows}) == 63
    assert len({r["codename"] for r in rows}) == 63
    assert {r["province"] for r in rows} == {int(p.code) for p in VPProvince.iter_all()}


def test_loading_drops_the_cached_province_choices(loaded):
    from django.core.cache import cache

    from gis.choices import CACHE_KEY, province_choices

    cache.set(CACHE_KEY, [(1, "stale")])
    Province.objects.filter(code=1).update(name="Renamed behind the cache")  # no signal
    load()
    assert (1, "Thành phố Hà Nội") in province_choices()
