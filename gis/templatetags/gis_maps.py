"""Template tags of the maps: the configuration every map script reads, and the data of a manifest's map.

`manifest_map` reads a manifest's attributes only (gis sits below the manifests app and does not import it).
"""

import math

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ..geometry import TOLERANCE

register = template.Library()
EARTH_RADIUS_M = 6371008.8


@register.simple_tag
def map_config():
    """Tiles, view, the province layer's address and the words the map scripts show (handed over by json_script)."""
    leaflet = settings.LEAFLET_CONFIG
    return {
        "tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION},
        "center": list(leaflet["DEFAULT_CENTER"]),
        "zoom": leaflet["DEFAULT_ZOOM"],
        "province_layer_url": reverse("gis:province_layer"),
        "layer_attribution": _("Provinces: made with Natural Earth; Hoàng Sa and Trường Sa (Việt Nam)"),
        "tolerance": TOLERANCE,
        "words": {
            "g": _("Waste generator"),
            "t": _("Transporter's base"),
            "f": _("Treatment facility"),
            "valid": _("Permit in force"),
            "expired": _("Permit expired"),
            "none": _("No permit"),
            "open": _("Open the organisation"),
            "loading": _("Loading the sites…"),
            "loaded": _("%(count)s sites on the map."),
            "failed": _("The sites could not be loaded."),
            "kg": _("kg"),
            "no_data": _("No data"),
            "legend": _("Quantity (kg)"),
            "outside": _("This position lies outside the chosen province. Check the coordinates or the province."),
            "outside_vietnam": _("This position lies outside Vietnam."),
            "marker": _("Site position: drag to move"),
            "no_results": _("No commune or ward found."),
        },
    }


def distance_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _site_point(site):
    if site is None or site.latitude is None or site.longitude is None:
        return None
    return float(site.latitude), float(site.longitude)


def _recorded(manifest, prefix):
    lat, lng = getattr(manifest, f"{prefix}_latitude", None), getattr(manifest, f"{prefix}_longitude", None)
    return None if lat is None or lng is None else (float(lat), float(lng))


@register.simple_tag
def manifest_map(manifest):
    """The points of a manifest's map: generator site, pickup and delivery positions, facility site.

    A recorded position farther than HWMS_POSITION_WARNING_METRES from the site it should be at (pickup: the
    generator's site; delivery: the facility's) carries a warning. Returns {"markers": [...], "warnings": [...]}.
    """
    limit = settings.HWMS_POSITION_WARNING_METRES
    generator, facility = manifest.generator_site, manifest.facility_site
    sites = {"generator": _site_point(generator), "facility": _site_point(facility)}
    markers, warnings = [], []
    if sites["generator"]:
        markers.append({"kind": "generator", "point": sites["generator"], "label": _("Generator: %(site)s") % {"site": generator.name}})
    for prefix, site_kind, label in (
        ("pickup", "generator", _("Pickup position recorded by the driver")),
        ("delivery", "facility", _("Delivery position recorded by the driver")),
    ):
        point = _recorded(manifest, prefix)
        if point is None:
            continue
        marker = {"kind": prefix, "point": point, "label": label, "warning": False}
        if sites[site_kind]:
            metres = distance_m(*point, *sites[site_kind])
            marker["distance_m"] = round(metres)
            if metres > limit:
                marker["warning"] = True
                site = generator if site_kind == "generator" else facility
                text = _("%(what)s lies %(km)s km from the site %(site)s.") % {
                    "what": label,
                    "km": number_format(metres / 1000, 1),
                    "site": site.name,
                }
                marker["label"] = text
                warnings.append(text)
        markers.append(marker)
    if sites["facility"]:
        markers.append({"kind": "facility", "point": sites["facility"], "label": _("Facility: %(site)s") % {"site": facility.name}})
    return {"markers": markers, "warnings": warnings}
