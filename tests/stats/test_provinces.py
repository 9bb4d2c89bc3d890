"""Records of the 63 pre-2025 provinces roll up into today's 34. Manifests hold today's codes only (a foreign key
to gis.Province); old codes come from the generators' former QLCTNH codes and imported history."""

import pytest

from gis.models import LegacyProvince
from stats.provinces import present_province_id, province_of_legacy_generator_code
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_pre_2025_province_code_maps_to_the_province_it_merged_into():
    an_giang = factories.ProvinceFactory(code=91, name="An Giang", codename="an_giang", division_type="tỉnh")
    LegacyProvince.objects.create(code=89, name="An Giang (cũ)", codename="an_giang_cu", province=an_giang)
    LegacyProvince.objects.create(code=91, name="Kiên Giang", codename="kien_giang", province=an_giang)
    assert present_province_id(89) == present_province_id("91") == 91
    assert province_of_legacy_generator_code("89.000025.T") == 91
    assert province_of_legacy_generator_code(" 91.123456.t ") == 91
    assert province_of_legacy_generator_code("2519/GPMT-UBND") is None
    assert present_province_id(2) is None


def test_the_mapping_fixture_holds_63_old_provinces_onto_34():
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).resolve().parents[2] / "gis" / "data" / "legacy_provinces.json").read_text())
    rows = data["provinces"]
    assert len(rows) == 63 and len({row["province"] for row in rows}) == 34
    assert {row["code"]: row["province"] for row in rows}[2] == 8  # Hà Giang → Tuyên Quang
