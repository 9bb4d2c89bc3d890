from decimal import Decimal

import pytest

from gis import geometry
from gis.geometry import point_in_vietnam


@pytest.mark.parametrize(
    ("place", "lat", "lng"),
    [
        ("Hà Nội", "21.0285", "105.8542"),
        ("TP Hồ Chí Minh", "10.776889", "106.700806"),
        ("Đà Nẵng", "16.0544", "108.2022"),
        ("Phú Quốc", "10.22", "103.96"),
        ("Côn Đảo", "8.68", "106.61"),
        ("Hoàng Sa", "16.5", "111.6"),
        ("Trường Sa", "8.64", "111.92"),
        ("Lũng Cú, Hà Giang cũ", "23.36", "105.32"),
        ("Móng Cái", "21.525", "107.966"),
        ("Mũi Cà Mau", "8.6", "104.72"),
        ("Lý Sơn", "15.38", "109.12"),
        ("Bạch Long Vĩ", "20.13", "107.73"),
        ("Điện Biên Phủ", "21.386", "103.023"),
    ],
)
def test_inside(place, lat, lng):
    assert point_in_vietnam(Decimal(lat), Decimal(lng)), place


@pytest.mark.parametrize(
    ("place", "lat", "lng"),
    [
        ("Vientiane", "17.97", "102.63"),
        ("Phnom Penh", "11.56", "104.92"),
        ("Bangkok", "13.7563", "100.5018"),
        ("Guangzhou", "23.13", "113.26"),
        ("Manila", "14.5995", "120.9842"),
        ("sea off Phú Yên", "12.0", "110.5"),
        ("Sanya, Hainan", "18.25", "109.51"),
        ("Kunming", "25.04", "102.71"),
        ("Brooke's Point, Palawan", "8.78", "117.83"),
        ("Kudat, Sabah", "6.88", "116.85"),
        ("Null Island", "0", "0"),
        ("swapped Hà Nội", "105.8542", "21.0285"),
    ],
)
def test_outside(place, lat, lng):
    assert not point_in_vietnam(Decimal(lat), Decimal(lng)), place


def test_accepts_floats_and_ints():
    assert point_in_vietnam(21.0285, 105.8542)
    assert not point_in_vietnam(0, 0)


def test_layer_is_loaded_once():
    geometry._provinces.cache_clear()
    point_in_vietnam(Decimal("21.0"), Decimal("105.8"))
    point_in_vietnam(Decimal("10.7"), Decimal("106.7"))
    info = geometry._provinces.cache_info()
    assert (info.misses, info.hits) == (1, 1)


@pytest.mark.parametrize(
    ("place", "lat", "lng", "code"),
    [
        ("Hà Nội", "21.0285", "105.8542", 1),
        ("Thủ Dầu Một, Bình Dương cũ", "10.98", "106.65", 79),
        ("Côn Đảo, filed under Sóc Trăng by Natural Earth", "8.68", "106.61", 79),
        ("Bạch Long Vĩ", "20.13", "107.73", 31),
        ("Lý Sơn", "15.38", "109.12", 51),
        ("Hội An, Quảng Nam cũ", "15.88", "108.33", 48),
        ("Hoàng Sa", "16.5", "111.6", 48),
        ("Trường Sa", "8.64", "111.92", 56),
        ("Phú Quốc", "10.22", "103.96", 91),
    ],
)
def test_province_at(place, lat, lng, code):
    assert geometry.province_at(Decimal(lat), Decimal(lng)) == code, place
    assert geometry.point_in_province(Decimal(lat), Decimal(lng), code), place


def test_point_in_province_allows_a_margin_beyond_the_border_only():
    # Hà Nội's centre is far from Hải Phòng, and a point at sea is in no province.
    assert not geometry.point_in_province(21.0285, 105.8542, 31)
    assert geometry.province_at(12.0, 110.5) is None
    assert not geometry.point_in_province(21.0285, 105.8542, 999)
