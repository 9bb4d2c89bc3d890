"""Where is a point?  Point-in-polygon against the 34-province layer, the one geography of the maps and the checks.

The layer (gis/data/provinces.geojson, built by gis/scripts/build_provinces.py) is Natural Earth's admin-1
("Made with Natural Earth") dissolved into the provinces in force since 1 July 2025, with the Hoàng Sa (Paracel)
and Trường Sa (Spratly) archipelagos under Đà Nẵng and Khánh Hòa, simplified by ~450 m. The maps draw it and
these checks read it, so a point the form accepts is a point the map shows inside.

A 1:10m layer simplified is accurate to a few hundred metres, so the checks allow TOLERANCE (~5.5 km) beyond the
drawn border: coastal sites, piers and near islands stay inside. They are validation aids, not boundaries of record.

Pure Python (no GEOS/shapely at run time); the file is read once, on first use.
"""

import json
from functools import lru_cache
from pathlib import Path

LAYER_PATH = Path(__file__).resolve().parent / "data" / "provinces.geojson"
TOLERANCE = 0.05  # degrees


@lru_cache(maxsize=1)
def layer_bytes():
    """The province layer as served to the maps (a GeoJSON FeatureCollection, UTF-8)."""
    return LAYER_PATH.read_bytes()


@lru_cache(maxsize=1)
def _provinces():
    """{code: [(bbox, rings)]} with bbox = (min_lng, min_lat, max_lng, max_lat), rings = [[(lng, lat), ...], ...]."""
    document = json.loads(layer_bytes())
    provinces = {}
    for feature in document["features"]:
        polygons = []
        for polygon in feature["geometry"]["coordinates"]:
            rings = [[(float(x), float(y)) for x, y in ring] for ring in polygon]
            xs = [x for x, _ in rings[0]]
            ys = [y for _, y in rings[0]]
            polygons.append(((min(xs), min(ys), max(xs), max(ys)), rings))
        provinces[int(feature["properties"]["code"])] = polygons
    return provinces


def province_names():
    """{code: name} of the 34 provinces in the layer."""
    return {int(f["properties"]["code"]): f["properties"]["name"] for f in json.loads(layer_bytes())["features"]}


def _crossings(x, y, ring):
    """Even-odd ray casting: does a ray from (x, y) towards +x cross the ring an odd number of times?"""
    inside = False
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
        x1, y1 = x2, y2
    return inside


def _ring_distance2(x, y, ring):
    """The squared distance in degrees from (x, y) to the nearest segment of the ring."""
    best = float("inf")
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        dx, dy = x2 - x1, y2 - y1
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length2))
        px, py = x1 + t * dx - x, y1 + t * dy - y
        best = min(best, px * px + py * py)
        x1, y1 = x2, y2
    return best


def _distance2(x, y, polygons, tolerance):
    """0 inside the polygons, else the squared distance to them when within `tolerance`, else None."""
    best = None
    for (min_x, min_y, max_x, max_y), rings in polygons:
        if not (min_x - tolerance <= x <= max_x + tolerance and min_y - tolerance <= y <= max_y + tolerance):
            continue
        # Exterior and holes together: an odd total of crossings means inside the polygon and outside its holes.
        if sum(_crossings(x, y, ring) for ring in rings) % 2:
            return 0.0
        if tolerance:
            d2 = min(_ring_distance2(x, y, ring) for ring in rings)
            if d2 <= tolerance * tolerance and (best is None or d2 < best):
                best = d2
    return best


def province_at(lat, lng, tolerance=TOLERANCE):
    """The code of the province holding (lat, lng) — or, for a point just off a drawn border (a pier, an islet),
    of the nearest province within `tolerance` — or None (at sea, abroad)."""
    x, y = float(lng), float(lat)
    nearest, best = None, None
    for code, polygons in _provinces().items():
        d2 = _distance2(x, y, polygons, tolerance)
        if d2 == 0.0:
            return code
        if d2 is not None and (best is None or d2 < best):
            nearest, best = code, d2
    return nearest


def point_in_province(lat, lng, code, tolerance=TOLERANCE):
    """True if (lat, lng) lies in the province `code`, or within `tolerance` degrees of its border."""
    polygons = _provinces().get(int(code))
    return bool(polygons) and _distance2(float(lng), float(lat), polygons, tolerance) is not None


def point_in_vietnam(lat, lng, tolerance=TOLERANCE):
    """True if (lat, lng) — degrees, Decimal, float or int — lies in one of the 34 provinces (or near its border)."""
    x, y = float(lng), float(lat)
    return any(_distance2(x, y, polygons, tolerance) is not None for polygons in _provinces().values())
