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


def test_outline_is_loaded_once_and_small():
    geometry._polygons.cache_clear()
    point_in_vietnam(Decimal("21.0"), Decimal("105.8"))
    point_in_vietnam(Decimal("10.7"), Decimal("106.7"))
    info = geometry._polygons.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    points = sum(len(ring) for _bbox, rings in geometry._polygons() for ring in rings)
    assert 100 < points < 600
