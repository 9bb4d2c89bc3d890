"""The gis pages.

- wards: the ward list of the site form (geography only);
- maps: the map pages and their GeoJSON endpoints. They read the access policy and the statistics, which sit
  above gis in the layer order: tests/test_layers.py lets gis/views (and only it) import accounts.policy,
  catalog's code normaliser and chapters, and stats.queries, as DESIGN.md ("GIS") provides.
"""

from .maps import choropleth, flows, province_layer, sites_geojson, sites_map, ward_search
from .wards import ward_options

__all__ = ["choropleth", "flows", "province_layer", "sites_geojson", "sites_map", "ward_options", "ward_search"]
