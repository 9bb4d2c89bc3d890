"""Is a point inside Vietnam?  Point-in-polygon against a simplified outline of the country's territory.

The outline (gis/data/vietnam_outline.json, built by gis/scripts/build_outline.py) is Natural Earth's admin-1 land
("Made with Natural Earth") dissolved, buffered by ~0.05° so coastal sites and near islands fall inside, simplified
to a few hundred points, plus the Hoàng Sa (Paracel) and Trường Sa (Spratly) archipelagos. It is a validation aid,
accurate to a few kilometres near land borders; it is not a boundary of record.

Pure Python (no GEOS/shapely at run time); the file is read once, on first use.
"""

import json
from functools import lru_cache
from pathlib import Path

OUTLINE_PATH = Path(__file__).resolve().parent / "data" / "vietnam_outline.json"


@lru_cache(maxsize=1)
def _polygons():
    """[(bbox, rings)] with bbox = (min_lng, min_lat, max_lng, max_lat) and rings = [[(lng, lat), ...], ...]."""
    document = json.loads(OUTLINE_PATH.read_text(encoding="utf-8"))
    geometry = document.get("geometry", document)
    coordinates = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        coordinates = [coordinates]
    polygons = []
    for polygon in coordinates:
        rings = [[(float(x), float(y)) for x, y in ring] for ring in polygon]
        xs = [x for x, _ in rings[0]]
        ys = [y for _, y in rings[0]]
        polygons.append(((min(xs), min(ys), max(xs), max(ys)), rings))
    return polygons


def _crossings(x, y, ring):
    """Even-odd ray casting: does a ray from (x, y) towards +x cross the ring an odd number of times?"""
    inside = False
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
        x1, y1 = x2, y2
    return inside


def point_in_vietnam(lat, lng):
    """True if (lat, lng) — degrees, Decimal, float or int — lies inside Vietnam's outline (holes excluded)."""
    x, y = float(lng), float(lat)
    # Exterior and holes together: an odd total of crossings means inside the polygon and outside its holes.
    return any(
        min_x <= x <= max_x and min_y <= y <= max_y and sum(_crossings(x, y, ring) for ring in rings) % 2
        for (min_x, min_y, max_x, max_y), rings in _polygons()
    )
