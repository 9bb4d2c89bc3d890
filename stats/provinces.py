"""Today's 34 provinces for records that name one of the 63 pre-2025 provinces.

Manifests never hold an old code: Manifest.province is a foreign key to gis.Province (the 34 units in force
since 1 July 2025), copied from the generator site at creation, so the rollups group by today's units as they
are. Records from before the reform name old provinces: the former QLCTNH code of a generator
(`<old province code>.<6 digits>.T`, kept on Site.legacy_code) and any history imported with an old province
code. Those go through `present_province_id`, which reads gis.LegacyProvince (the mapping of
Resolution 202/2025/QH15 loaded by `load_geography`).
"""

import re

from gis.models import LegacyProvince

LEGACY_GENERATOR_CODE = re.compile(r"^\s*(\d{1,2})\.\d+\.T\s*$", re.IGNORECASE)


def present_province_id(legacy_code):
    """Today's province code for a pre-2025 province code, or None when the code is unknown."""
    return LegacyProvince.objects.filter(code=int(legacy_code)).values_list("province_id", flat=True).first()


def province_of_legacy_generator_code(text):
    """Today's province of a generator from its former QLCTNH code ("89.000025.T" → An Giang), or None."""
    match = LEGACY_GENERATOR_CODE.match(text or "")
    return present_province_id(match.group(1)) if match else None
