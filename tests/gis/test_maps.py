"""The maps: the province layer, the sites GeoJSON (scope, filters, content, cache), the choropleth and flows
(their numbers are stats.queries' numbers), a manifest's map, the ward search and the location picker."""

import gzip
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from vietnam_provinces import Province as PackageProvince

from gis import geometry
from gis.views import data
from manifests.models import Manifest, Status
from stats import queries, rollups
from stats.models import PartyFlow, WasteYear
from tests import factories
from tests.manifests.lifecycle import at_status

SITES = reverse("gis:sites_geojson")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


# --- the layer ---------------------------------------------------------------------------------------------


def layer():
    return json.loads(geometry.layer_bytes())


def test_the_layer_has_the_34_provinces_of_today_once_each():
    features = layer()["features"]
    codes = [f["properties"]["code"] for f in features]
    today = {getattr(p.code, "value", p.code) for p in PackageProvince.iter_all()}
    assert len(codes) == 34 and set(codes) == today
    assert all(f["geometry"]["type"] == "MultiPolygon" and f["properties"]["name"] for f in features)


def test_the_layer_is_small_and_says_where_it_comes_from():
    assert len(geometry.layer_bytes()) < 1_500_000
    assert "Natural Earth" in layer()["attribution"]


def test_the_layer_rings_are_closed_and_inside_the_region():
    for feature in layer()["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert ring[0] == ring[-1] and len(ring) >= 4, feature["properties"]["name"]
                assert all(100 < x < 120 and 5 < y < 25 for x, y in ring)


def test_the_layer_geometry_is_valid():
    shapely = pytest.importorskip("shapely")  # build-time dependency (requirements-dev.txt)
    from shapely.geometry import shape

    shapes = [shape(f["geometry"]) for f in layer()["features"]]
    assert all(s.is_valid and not s.is_empty for s in shapes)
    # Provinces do not overlap beyond the rounding to 4 decimals (in all, under 1 km²).
    union = shapely.union_all(shapes)
    assert abs(union.area - sum(s.area for s in shapes)) < 1e-4


@pytest.mark.parametrize(("place", "lat", "lng", "code"), [("Hoàng Sa", 16.53, 111.61, 48), ("Trường Sa", 8.64, 111.92, 56)])
def test_the_archipelagos_are_in_their_provinces(place, lat, lng, code):
    assert geometry.province_at(lat, lng, tolerance=0) == code, place
    feature = next(f for f in layer()["features"] if f["properties"]["code"] == code)
    # The province's own polygon holds them (not only the margin of the checks).
    assert any(geometry._crossings(lng, lat, polygon[0]) for polygon in feature["geometry"]["coordinates"])


def test_the_layer_endpoint_serves_the_file(client, db):
    response = client.get(reverse("gis:province_layer"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert len(json.loads(response.content)["features"]) == 34
    assert "max-age=86400" in response["Cache-Control"]


# --- sites ----------------------------------------------------------------------------------------------------


@pytest.fixture
def placed(world):
    """The world with every site placed, and an expired permit at Zeta's site."""
    w = world
    type(w.alpha_hn).objects.filter(pk=w.alpha_hn.pk).update(latitude=Decimal("21.0285"), longitude=Decimal("105.8542"))
    w.omega_permit = factories.PermitFactory(site=w.omega_site)
    w.zeta.is_facility = True
    w.zeta.save()
    factories.PermitFactory(
        site=w.zeta_site,
        valid_from=timezone.localdate() - timedelta(days=800),
        valid_until=timezone.localdate() - timedelta(days=1),
    )
    return w


def sites(client, user, **params):
    client.force_login(user)
    response = client.get(SITES, params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    return json.loads(response.content)


def names(collection):
    return {f["properties"]["name"] for f in collection["features"]}


def test_sites_need_a_login(client, placed):
    assert client.get(SITES).status_code == 302


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", {"Alpha Hà Nội", "Alpha HCM", "Omega xử lý", "Zeta HCM"}),
        ("central_official", {"Alpha Hà Nội", "Alpha HCM", "Omega xử lý", "Zeta HCM"}),
        ("hanoi_official", {"Alpha Hà Nội"}),
        # Enterprises: their own sites and the treatment facilities.
        ("alice", {"Alpha Hà Nội", "Alpha HCM", "Omega xử lý", "Zeta HCM"}),
        ("bob", {"Alpha Hà Nội", "Omega xử lý", "Zeta HCM"}),
        ("fred", {"Omega xử lý", "Zeta HCM"}),
        ("nobody", set()),
    ],
)
def test_sites_follow_the_access_policy(client, placed, persona, expected):
    assert names(sites(client, getattr(placed, persona))) == expected


def test_facilities_outside_the_scope_are_shown_without_a_link(client, placed):
    collection = sites(client, placed.bob)
    links = {f["properties"]["name"]: f["properties"]["link"] for f in collection["features"]}
    assert links == {"Alpha Hà Nội": True, "Omega xử lý": False, "Zeta HCM": False}
    assert collection["organisations"][str(placed.alpha.pk)] == "Alpha"


def test_a_site_feature_carries_what_the_popup_shows(client, placed):
    collection = sites(client, placed.admin)
    omega = next(f for f in collection["features"] if f["id"] == placed.omega_site.pk)
    assert omega["geometry"] == {"type": "Point", "coordinates": [106.7, 10.8]}
    assert omega["properties"] == {
        "name": "Omega xử lý",
        "org": placed.omega.pk,
        "kinds": "tf",
        "province": 79,
        "permit": "valid",
        "link": True,
    }


def test_sites_without_a_position_are_counted_not_drawn(client, placed):
    type(placed.alpha_hn).objects.filter(pk=placed.alpha_hn.pk).update(latitude=None, longitude=None)
    collection = sites(client, placed.admin)
    assert "Alpha Hà Nội" not in names(collection)
    client.force_login(placed.admin)
    assert client.get(reverse("gis:sites_map")).context["unplaced"] == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "facility"}, {"Omega xử lý", "Zeta HCM"}),
        ({"kind": "transporter"}, {"Omega xử lý"}),
        ({"kind": "generator"}, {"Alpha Hà Nội", "Alpha HCM", "Zeta HCM"}),
        ({"province": "1"}, {"Alpha Hà Nội"}),
        ({"permit": "valid"}, {"Omega xử lý"}),
        ({"permit": "expired"}, {"Zeta HCM"}),
        ({"permit": "none"}, {"Alpha Hà Nội", "Alpha HCM"}),
        ({"kind": "facility", "province": "79", "permit": "valid"}, {"Omega xử lý"}),
        # Malformed values are ignored, never an error.
        ({"kind": "x", "province": "1a", "permit": "?", "waste_code": "abc"}, {"Alpha Hà Nội", "Alpha HCM", "Omega xử lý", "Zeta HCM"}),
        ({"province": "9" * 30}, {"Alpha Hà Nội", "Alpha HCM", "Omega xử lý", "Zeta HCM"}),
    ],
)
def test_sites_filters(client, placed, params, expected):
    assert names(sites(client, placed.admin, **params)) == expected


def test_the_waste_code_filter_finds_permits_and_generated_waste(client, chain, django_capture_on_commit_callbacks):
    w = chain
    type(w.alpha_hn).objects.filter(pk=w.alpha_hn.pk).update(latitude=Decimal("21.0285"), longitude=Decimal("105.8542"))
    with django_capture_on_commit_callbacks(execute=True):  # the rollups kept by the task after each transition
        at_status(w, Status.READY, lines=[w.line(w.lamps, "10")])
        # A draft does not count as waste handed over.
        at_status(w, Status.DRAFT, lines=[w.line(w.oil, "10")], site=w.alpha_hcm)
    type(w.alpha_hcm).objects.filter(pk=w.alpha_hcm.pk).update(latitude=Decimal("10.8"), longitude=Decimal("106.7"))
    # Omega's permit lists 17 02 03 and 16 01 06; Alpha Hà Nội handed 16 01 06 over.
    assert names(sites(client, w.admin, waste_code="160106")) == {"Omega xử lý", "Alpha Hà Nội"}
    assert names(sites(client, w.admin, waste_code="17 02 03")) == {"Omega xử lý"}
    assert names(sites(client, w.admin, waste_code="19 06 01")) == set()


def test_sites_are_cached_per_scope_and_filters(client, placed, django_assert_max_num_queries):
    first = sites(client, placed.alice)
    type(placed.alpha_hcm).objects.filter(pk=placed.alpha_hcm.pk).update(name="Renamed")
    # The same scope and filters: from the cache, without a query for the sites.
    assert sites(client, placed.alice) == first
    # Another scope, or other filters, are computed apart.
    assert "Renamed" in names(sites(client, placed.admin))
    assert "Renamed" in names(sites(client, placed.alice, kind="generator"))
    assert data.scope_key(placed.alice) != data.scope_key(placed.bob) != data.scope_key(placed.hanoi_official)


def test_sites_are_gzipped_when_the_browser_accepts_it(client, placed):
    client.force_login(placed.admin)
    response = client.get(SITES, headers={"Accept-Encoding": "gzip, deflate"})
    assert response["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(response.content))["features"]) == 4


def test_the_sites_page_renders_without_inline_script(client, placed):
    client.force_login(placed.alice)
    response = client.get(reverse("gis:sites_map"), {"kind": "facility"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-map="sites"' in body and 'id="map-config"' in body and 'id="sites-map-data"' in body
    assert_no_inline_script(body)
    assert response.context["map_data"]["query"] == {"kind": "facility"}


def assert_no_inline_script(body):
    """Every <script> has a src or is a JSON data block (json_script)."""
    import re

    for tag in re.findall(r"<script\b[^>]*>", body):
        assert "src=" in tag or 'type="application/json"' in tag, tag


# --- choropleth and flows --------------------------------------------------------------------------------------


@pytest.fixture
def shipped(chain):
    """One completed manifest Alpha Hà Nội → Omega (100 kg of 17 02 03, 40.5 kg of 16 01 06), one in transit
    (25 kg of 16 01 06), a draft and a cancelled one (neither counts)."""
    w = chain
    w.done = at_status(w, Status.COMPLETED)
    w.moving = at_status(w, Status.IN_TRANSIT, lines=[w.line(w.lamps, "25")])
    at_status(w, Status.DRAFT)
    at_status(w, Status.CANCELLED)
    w.year = timezone.localdate().year
    rollups.rebuild()  # the country's map reads the rollups (kept by Celery after each commit)
    return w


def test_the_country_map_reads_the_rollups_and_they_equal_the_raw_rule(shipped):
    w = shipped
    for direction, chapter in (("generated", None), ("generated", "16"), ("treated", None)):
        from_rollups = queries.province_totals(w.central_official, w.year, chapter, direction)
        assert from_rollups == queries._raw_totals(w.central_official, w.year, chapter, direction) and from_rollups
    # Read from the rollups, not the raw rows: emptied rollups give an empty country map.
    WasteYear.objects.all().delete()
    assert queries.province_totals(w.central_official, w.year) == {}


def test_province_totals_and_flows_count_what_the_rules_say(shipped):
    w = shipped
    assert queries.province_totals(w.admin, w.year) == {1: Decimal("165.50")}
    assert queries.province_totals(w.admin, w.year, direction="treated") == {79: Decimal("140.50")}
    assert queries.province_totals(w.admin, w.year, chapter="16") == {1: Decimal("65.50")}
    assert queries.flows(w.admin, w.year) == [(1, w.omega_site.pk, Decimal("165.50"))]
    assert queries.province_totals(w.admin, w.year - 1) == {}
    with pytest.raises(ValueError):
        queries.province_totals(w.admin, w.year, direction="sideways")


def test_province_totals_follow_the_access_policy(shipped):
    w = shipped
    assert queries.province_totals(w.hanoi_official, w.year) == {1: Decimal("165.50")}
    assert queries.province_totals(w.zoe, w.year) == {}
    assert queries.flows(w.zoe, w.year) == []
    assert queries.province_totals(w.fred, w.year, direction="treated") == {79: Decimal("140.50")}


@pytest.mark.parametrize("persona", ["admin", "hanoi_official", "alice", "zoe"])
@pytest.mark.parametrize("params", [{}, {"direction": "treated"}, {"chapter": "16"}, {"chapter": "17", "direction": "treated"}])
def test_the_choropleth_shows_the_numbers_of_the_query(client, shipped, persona, params):
    w, user = shipped, getattr(shipped, persona)
    client.force_login(user)
    response = client.get(reverse("gis:choropleth"), params)
    assert response.status_code == 200
    expected = queries.province_totals(user, w.year, chapter=params.get("chapter"), direction=params.get("direction", "generated"))
    page = response.context["data"]
    # The table and the map data: both exactly the query's numbers.
    assert {row["code"]: row["kg"] for row in page["rows"]} == expected
    assert {int(code): Decimal(kg) for code, kg in page["map"]["totals"].items()} == expected
    body = response.content.decode()
    mapped = json.loads(body.split('id="choropleth-data" type="application/json">')[1].split("</script>")[0])
    assert mapped == page["map"]
    assert_no_inline_script(body)


@pytest.mark.parametrize("persona", ["admin", "hanoi_official", "fred", "zoe"])
@pytest.mark.parametrize("params", [{}, {"chapter": "16"}])
def test_the_flows_show_the_numbers_of_the_query(client, shipped, persona, params):
    w, user = shipped, getattr(shipped, persona)
    client.force_login(user)
    response = client.get(reverse("gis:flows"), params)
    assert response.status_code == 200
    expected = queries.flows(user, w.year, chapter=params.get("chapter"))
    page = response.context["data"]
    assert [(row["province"], row["site_id"], row["kg"]) for row in page["rows"]] == expected
    assert [(line["from"], Decimal(line["kg"])) for line in page["map"]["lines"]] == [(p, kg) for p, _s, kg in expected]
    assert_no_inline_script(response.content.decode())


def test_the_choropleth_table_is_in_the_page(client, shipped):
    client.force_login(shipped.admin)
    body = client.get(reverse("gis:choropleth")).content.decode()
    row = body.split('<tr data-province="1" data-kg="')[1]
    assert Decimal(row.split('"')[0]) == Decimal("165.50")
    assert "165,50" in row.split("</tr>")[0]  # Vietnamese decimal comma


def test_bad_statistics_parameters_fall_back(client, shipped):
    client.force_login(shipped.admin)
    for params in ({"year": "abc"}, {"year": "99999999999999999999"}, {"chapter": "1; drop"}, {"direction": "x"}):
        response = client.get(reverse("gis:choropleth"), params)
        assert response.status_code == 200
        assert response.context["filters"] == data.StatsFilters(year=shipped.year)


def test_the_figures_are_cached_per_scope(shipped):
    w = shipped
    filters = data.StatsFilters(year=w.year)
    assert data.province_totals(w.admin, filters) == {1: Decimal("165.50")}
    # The rollups emptied behind the versions' back (no recompute moved them): only a scope not yet cached sees it.
    WasteYear.objects.all().delete()
    PartyFlow.objects.all().delete()
    assert data.province_totals(w.admin, filters) == {1: Decimal("165.50")}  # cached
    assert data.province_totals(w.alice, filters) == {}  # another scope, computed now


def test_legend_breaks():
    assert data.legend_breaks([]) == []
    assert data.legend_breaks([Decimal("5")]) == [Decimal("5")]
    values = [Decimal(v) for v in range(1, 11)]
    assert data.legend_breaks(values) == [2, 4, 6, 8, 10]
    assert data.legend_breaks([Decimal(0), Decimal(3), Decimal(3)]) == [3]


def test_the_province_dashboard_url_takes_the_first_url_that_exists(monkeypatch):
    from django.urls import NoReverseMatch

    def only(existing):
        def fake_reverse(name, args=()):
            if name not in existing:
                raise NoReverseMatch(name)
            return existing[name].format(*args)

        return fake_reverse

    monkeypatch.setattr(data, "reverse", only({"stats:province": "/stats/provinces/{}/", "stats:dashboard": "/stats/"}))
    assert data.province_dashboard_url(1, 2026) == "/stats/provinces/1/?year=2026"
    monkeypatch.setattr(data, "reverse", only({"stats:dashboard": "/stats/"}))
    assert data.province_dashboard_url(1, 2026) == "/stats/?province=1&year=2026"
    # The statistics pages are built apart: with no URL for them yet, no link (and no error).
    monkeypatch.setattr(data, "reverse", only({}))
    assert data.province_dashboard_url(1, 2026) == ""


# --- a manifest's map -----------------------------------------------------------------------------------------


def test_the_manifest_map_shows_the_route_and_warns_of_a_far_position(client, chain):
    w = chain
    type(w.alpha_hn).objects.filter(pk=w.alpha_hn.pk).update(latitude=Decimal("21.0285"), longitude=Decimal("105.8542"))
    m = at_status(w, Status.DELIVERED)
    # Pickup at the generator's gate (~100 m away); delivery recorded 30 km from the facility.
    Manifest.objects.filter(pk=m.pk).update(
        pickup_latitude=Decimal("21.0290"),
        pickup_longitude=Decimal("105.8550"),
        delivery_latitude=Decimal("11.07"),
        delivery_longitude=Decimal("106.7"),
    )
    client.force_login(w.alice)
    response = client.get(reverse("manifests:detail", args=[m.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    route = json.loads(body.split('id="manifest-map-data" type="application/json">')[1].split("</script>")[0])
    kinds = [(marker["kind"], marker.get("warning", False)) for marker in route["markers"]]
    assert kinds == [("generator", False), ("pickup", False), ("delivery", True), ("facility", False)]
    assert len(route["warnings"]) == 1 and "Omega xử lý" in route["warnings"][0]
    assert 'data-map="manifest"' in body
    assert_no_inline_script(body)


def test_a_manifest_without_positions_says_so(client, chain):
    m = at_status(chain, Status.READY)
    type(chain.omega_site).objects.filter(pk__in=[chain.omega_site.pk, chain.alpha_hn.pk]).update(latitude=None, longitude=None)
    client.force_login(chain.alice)
    body = client.get(reverse("manifests:detail", args=[m.pk])).content.decode()
    assert 'data-map="manifest"' not in body


# --- the location picker ------------------------------------------------------------------------------------------


def test_the_ward_search_finds_wards_by_name(client, world):
    client.force_login(world.alice)
    url = reverse("gis:ward_search")
    assert client.get(url, {"q": "Sài"}).json()["results"] == [
        {"code": 26734, "name": "Phường Sài Gòn", "province": 79, "province_name": "Thành phố Hồ Chí Minh"}
    ]
    assert client.get(url, {"q": "Phường", "province": "1"}).json()["results"][0]["code"] == 70
    assert client.get(url, {"q": "P"}).json()["results"] == []
    assert client.get(url, {"q": "Phường", "province": "x" * 50}).status_code == 200


def test_the_site_form_has_the_location_picker(client, world):
    client.force_login(world.alice)
    response = client.get(reverse("accounts:site_edit", args=[world.alpha_hcm.pk]))
    body = response.content.decode()
    assert 'data-map="picker"' in body and "data-ward-search" in body
    assert 'name="latitude"' in body and 'name="longitude"' in body  # still typed by keyboard users
    assert_no_inline_script(body)


def test_the_flows_list_the_largest_and_sum_the_rest(monkeypatch, shipped):
    w = shipped
    monkeypatch.setattr(data, "MAX_FLOWS", 1)
    rows = [(1, w.omega_site.pk, Decimal("100")), (79, w.omega_site.pk, Decimal("30")), (1, w.zeta_site.pk, Decimal("5"))]
    monkeypatch.setattr(data, "flows", lambda user, filters: rows)
    page = data.flows_data(w.admin, data.StatsFilters(year=w.year))
    assert [(r["province"], r["kg"]) for r in page["rows"]] == [(1, Decimal("100"))]
    assert page["rest"] == {"count": 2, "kg": Decimal("35")}
    assert page["total"] == Decimal("135")
    assert len(page["map"]["lines"]) == 1
