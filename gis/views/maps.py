"""Map pages and their endpoints: the province layer, sites, the provincial choropleth, flows, the ward search.

Thin views: what is shown comes from gis.views.data (the access policy and stats.queries). Pages hand their
script data through json_script or these endpoints; no inline script (a strict CSP comes later).
"""

import gzip

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET

from ..geometry import layer_bytes, province_names
from ..models import Ward
from . import data
from .wards import _province_code

GEOJSON = "application/geo+json"
WARD_SEARCH_LIMIT = 20


@require_GET
def province_layer(request):
    """The 34-province layer (static data shipped with the project): cacheable by the browser for a day."""
    response = HttpResponse(layer_bytes(), content_type=GEOJSON)
    patch_cache_control(response, public=True, max_age=86400)
    return response


def _organisation_url():
    return reverse("accounts:organisation_detail", args=[data.ID_PLACEHOLDER])


@login_required
def sites_map(request):
    filters = data.SiteFilters.from_query(request.GET)
    context = {
        "filters": filters,
        "kinds": data.KINDS,
        "permit_statuses": data.PERMIT_STATUSES,
        "provinces": sorted(province_names().items(), key=lambda item: item[1]),
        "unplaced": data.sites_without_position(request.user),
        "map_data": {
            "sites_url": reverse("gis:sites_geojson"),
            "query": filters.query(),
            "organisation_url": _organisation_url(),
            "placeholder": str(data.ID_PLACEHOLDER),
        },
    }
    return render(request, "gis/sites_map.html", context)


@login_required
@require_GET
def sites_geojson(request):
    """The sites the user may see on the map, filtered, as GeoJSON (cached per scope and filters)."""
    compressed = data.cached_sites_geojson(request.user, data.SiteFilters.from_query(request.GET))
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(compressed, content_type=GEOJSON)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(compressed), content_type=GEOJSON)
    patch_vary_headers(response, ["Accept-Encoding", "Cookie"])
    patch_cache_control(response, private=True, max_age=60)
    return response


def _stats_context(request):
    filters = data.StatsFilters.from_query(request.GET)
    return filters, {
        "filters": filters,
        "years": data.years(),
        "chapters": data.chapters(),
        "directions": data.DIRECTIONS,
    }


@login_required
def choropleth(request):
    filters, context = _stats_context(request)
    context["data"] = data.choropleth_data(request.user, filters)
    return render(request, "gis/choropleth.html", context)


@login_required
def flows(request):
    filters, context = _stats_context(request)
    context["data"] = data.flows_data(request.user, filters)
    return render(request, "gis/flows.html", context)


@login_required
@require_GET
def ward_search(request):
    """Wards whose name contains ?q= (at least 2 characters), optionally in ?province=, for the location picker:
    [{code, name, province, province_name}]. The wards have no coordinates: picking one frames its province."""
    query = request.GET.get("q", "").strip()[:60]
    if len(query) < 2:
        return JsonResponse({"results": []})
    wards = Ward.objects.filter(name__icontains=query).select_related("province").order_by("province_id", "name")
    province = _province_code(request.GET.get("province"))
    if province:
        wards = wards.filter(province_id=province)
    results = [
        {"code": ward.code, "name": ward.name, "province": ward.province_id, "province_name": ward.province.name}
        for ward in wards[:WARD_SEARCH_LIMIT]
    ]
    return JsonResponse({"results": results})

