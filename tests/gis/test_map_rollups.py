"""The maps read the rollups at national scope and stay fresh: the flows from the site-grain flow rollup (equal to
the raw rule), the sites' waste-code filter from the generator × code rollup, the sites GeoJSON built by
PostgreSQL (the same collection as the Python fallback) and cached under a version that a saved site, organisation
or permit moves."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from gis.views import data
from manifests import services
from manifests.models import Status
from stats import queries, rollups
from stats.models import FlowSite, GeneratorSiteCode, PartyFlow, PartyIntake, ProvinceIntake
from tests import factories
from tests.manifests.lifecycle import at_status

SITES = reverse("gis:sites_geojson")


def sites(client, user, **params):
    client.force_login(user)
    response = client.get(SITES, params)
    assert response.status_code == 200
    return json.loads(response.content)


def names(collection):
    return {f["properties"]["name"] for f in collection["features"]}


@pytest.fixture
def flowing(chain, django_capture_on_commit_callbacks):
    """Manifests to Omega from Hà Nội (two codes of two chapters) and from HCM, one in transit, a cancelled one;
    the rollups kept by the task after each transition."""
    w = chain
    with django_capture_on_commit_callbacks(execute=True):
        at_status(w, Status.COMPLETED)
        at_status(w, Status.IN_TRANSIT, lines=[w.line(w.lamps, "25")])
        at_status(w, Status.COMPLETED, site=w.alpha_hcm, lines=[w.line(w.oil, "7")])
        at_status(w, Status.CANCELLED)
    w.year = timezone.localdate().year
    return w


def test_the_national_flows_read_the_site_rollup_and_equal_the_raw_rule(flowing):
    w = flowing
    for chapter in (None, "16", "17", "19"):
        from_rollups = queries.flows(w.central_official, w.year, chapter)
        raw = sorted(
            ((int(p), int(s), Decimal(kg)) for p, s, kg in queries._raw_flows(w.central_official, w.year, chapter) if kg),
            key=lambda row: (-row[2], row[0], row[1]),
        )
        assert from_rollups == raw
    assert queries.flows(w.central_official, w.year) == [(1, w.omega_site.pk, Decimal("165.50")), (79, w.omega_site.pk, Decimal("7.00"))]
    assert rollups.differences(["flow_site"]) == {}
    assert queries.flows(w.hanoi_official, w.year) == [(1, w.omega_site.pk, Decimal("165.50"))]  # a province: its manifests
    assert queries.flows(w.alice, w.year) == [(1, w.omega_site.pk, Decimal("165.50")), (79, w.omega_site.pk, Decimal("7.00"))]
    FlowSite.objects.all().delete()  # read from the rollup, not from the raw rows
    assert queries.flows(w.central_official, w.year) == []
    assert queries.flows(w.hanoi_official, w.year) == []
    assert queries.flows(w.alice, w.year) != []  # an enterprise: the rollup by parties


def raw_flows(user, year, chapter):
    rows = ((int(p), int(s), Decimal(kg)) for p, s, kg in queries._raw_flows(user, year, chapter) if kg)
    return sorted(rows, key=lambda row: (-row[2], row[0], row[1]))


@pytest.mark.parametrize("persona", ["hanoi_official", "hcm_official"])
def test_a_provincial_officials_map_reads_the_pairs_of_provinces_and_equals_the_raw_rule(flowing, persona):
    """A province's manifests are those generated in it or sent to a facility in it: the rows of the rollups
    by pair of provinces with the province at either end (FlowSite, ProvinceIntake), never the raw lines."""
    w = flowing
    w.hcm_official = factories.JurisdictionFactory(user=factories.UserFactory(username="hcm_official"), province=w.hcm).user
    user = getattr(w, persona)
    assert queries._rollup_province(user) == (1 if persona == "hanoi_official" else 79)
    for chapter in (None, "16", "17", "19"):
        assert queries.flows(user, w.year, chapter) == raw_flows(user, w.year, chapter)
        for direction in queries.DIRECTIONS:
            raw = queries._raw_totals(user, w.year, chapter, direction)
            assert queries.province_totals(user, w.year, chapter, direction) == raw
    # Hà Nội's official sees what Hà Nội generated (sent to HCM); HCM's also what HCM generated and received.
    expected = {"hanoi_official": {1: Decimal("165.50")}, "hcm_official": {1: Decimal("165.50"), 79: Decimal("7.00")}}
    assert queries.province_totals(user, w.year) == expected[persona]
    assert rollups.differences(["flow_site", "province_intake"]) == {}


def test_the_treated_map_by_chapter_reads_the_pairs_of_provinces_for_the_country(flowing):
    w = flowing
    for chapter in ("16", "17"):
        assert queries.province_totals(w.central_official, w.year, chapter, "treated") == queries._raw_totals(
            w.central_official, w.year, chapter, "treated"
        )
    assert queries.province_totals(w.central_official, w.year, "16", "treated") != {}
    ProvinceIntake.objects.all().delete()
    assert queries.province_totals(w.central_official, w.year, "16", "treated") == {}


def both(w):
    """A member of the generator and of the facility: each manifest still counted once."""
    user = factories.UserFactory(username="both")
    factories.MembershipFactory(user=user, organisation=w.alpha)
    factories.MembershipFactory(user=user, organisation=w.omega)
    return user


def official_and_member(w):
    """A provincial official who is also a member of an organisation: no pair of provinces holds that scope."""
    factories.MembershipFactory(user=w.hanoi_official, organisation=w.zeta)
    policy.forget_scope(w.hanoi_official)
    assert queries._rollup_province(w.hanoi_official) is None
    return w.hanoi_official


def test_an_enterprises_map_reads_the_rollups_by_parties_and_equals_the_raw_rule(flowing, django_capture_on_commit_callbacks):
    """Each persona in turn, on one world (building it costs more than the checks)."""
    w = flowing
    with django_capture_on_commit_callbacks(execute=True):
        at_status(w, Status.RECEIVED, site=w.alpha_hcm, lines=[w.line(w.oil, "11")])  # outside bob's site
    for persona in ["alice", "bob", "vera", "fred", "dan", "zoe", "nobody", both, official_and_member]:
        user = persona(w) if callable(persona) else getattr(w, persona)
        for chapter in (None, "16", "17", "19"):
            assert queries.flows(user, w.year, chapter) == raw_flows(user, w.year, chapter), (persona, chapter)
            for direction in queries.DIRECTIONS:
                raw = queries._raw_totals(user, w.year, chapter, direction)
                assert queries.province_totals(user, w.year, chapter, direction) == raw, (persona, chapter, direction)
    assert rollups.differences(["party_flow", "party_intake"]) == {}


def test_the_enterprises_figures_come_from_the_rollups_by_parties(flowing):
    w = flowing
    assert queries.province_totals(w.alice, w.year) == {1: Decimal("165.50"), 79: Decimal("7.00")}
    assert queries.province_totals(w.bob, w.year) == {1: Decimal("165.50")}  # limited to the Hà Nội site
    assert queries.province_totals(w.fred, w.year, direction="treated") != {}
    PartyFlow.objects.all().delete()
    PartyIntake.objects.all().delete()
    assert queries.province_totals(w.alice, w.year) == {}
    assert queries.flows(w.alice, w.year) == []
    assert queries.province_totals(w.fred, w.year, direction="treated") == {}


def test_the_flows_page_shows_the_rollup_for_the_country(client, flowing):
    w = flowing
    client.force_login(w.central_official)
    page = client.get(reverse("gis:flows"), {"year": w.year}).context["data"]
    assert [(row["province"], row["site_id"], row["kg"]) for row in page["rows"]] == queries.flows(w.central_official, w.year)


def test_the_site_flow_rollup_survives_a_task_delivered_twice_and_out_of_order(chain, django_capture_on_commit_callbacks):
    w = chain
    with django_capture_on_commit_callbacks() as callbacks:
        at_status(w, Status.COMPLETED)
        at_status(w, Status.READY, site=w.alpha_hcm, lines=[w.line(w.oil, "7")])
    assert len(callbacks) >= 5
    for callback in [*reversed(callbacks), *callbacks]:
        callback()
    assert rollups.differences(["flow_site", "generator_code"]) == {}
    assert queries.flows(w.central_official, timezone.localdate().year) == queries.flows(w.admin, timezone.localdate().year)
    assert FlowSite.objects.count() == 3  # Hà Nội: chapters 16 and 17; HCM: chapter 16


def test_the_waste_code_filter_follows_the_rollup_and_a_new_handover(client, chain, django_capture_on_commit_callbacks):
    w = chain
    type(w.alpha_hn).objects.filter(pk=w.alpha_hn.pk).update(latitude=Decimal("21.0285"), longitude=Decimal("105.8542"))
    type(w.alpha_hcm).objects.filter(pk=w.alpha_hcm.pk).update(latitude=Decimal("10.8"), longitude=Decimal("106.7"))
    assert names(sites(client, w.admin, waste_code="16 01 06")) == {"Omega xử lý"}  # licensed for it
    with django_capture_on_commit_callbacks(execute=True):
        at_status(w, Status.READY, site=w.alpha_hcm, lines=[w.line(w.lamps, "3")])
    # The cached answer for the code is not served: the recompute moved the version it is keyed on.
    assert names(sites(client, w.admin, waste_code="16 01 06")) == {"Omega xử lý", "Alpha HCM"}
    assert set(queries.sites_with_waste_code("16 01 06").values_list("site", flat=True)) == {w.alpha_hcm.pk}


def test_the_waste_code_filter_is_recomputed_only_when_a_site_hands_a_code_over_for_the_first_time(chain, django_capture_on_commit_callbacks):
    w = chain

    def site_codes():
        return queries.version(figures=False, site_codes=True)

    with django_capture_on_commit_callbacks(execute=True):
        at_status(w, Status.READY, site=w.alpha_hcm, lines=[w.line(w.lamps, "3")])
    first = site_codes()
    with django_capture_on_commit_callbacks(execute=True):
        again = at_status(w, Status.READY, site=w.alpha_hcm, lines=[w.line(w.lamps, "4")])  # a code handed over before
    assert site_codes() == first and queries.version() != first
    with django_capture_on_commit_callbacks(execute=True):
        at_status(w, Status.READY, site=w.alpha_hcm, lines=[w.line(w.oil, "5")])  # a new code for the site
    second = site_codes()
    assert second != first
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(w.alice, again, reason="Nhầm số lượng")  # the code stays: the first manifest still has it
    assert site_codes() == second
    pairs = GeneratorSiteCode.objects.filter(site=w.alpha_hcm).values_list("waste_code", "lines")
    assert sorted(pairs) == sorted([(w.lamps.pk, 1), (w.oil.pk, 1)])
    assert rollups.differences(["generator_site_code"]) == {}


def test_a_saved_site_or_permit_is_on_the_map_at_once(client, world):
    w = world
    type(w.alpha_hn).objects.filter(pk=w.alpha_hn.pk).update(latitude=Decimal("21.0285"), longitude=Decimal("105.8542"))
    before = sites(client, w.admin)
    assert "Alpha Hà Nội" in names(before)
    site = type(w.alpha_hn).objects.get(pk=w.alpha_hn.pk)
    site.name = "Alpha Long Biên"
    site.save()  # an edit through the forms or the admin: its signal moves the version
    assert "Alpha Long Biên" in names(sites(client, w.admin))
    factories.PermitFactory(site=w.zeta_site)
    zeta = next(f for f in sites(client, w.admin)["features"] if f["id"] == w.zeta_site.pk)
    assert zeta["properties"]["permit"] == "valid"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the features are built by PostgreSQL only there")
@pytest.mark.parametrize("persona", ["admin", "hanoi_official", "alice", "bob", "fred", "nobody"])
@pytest.mark.parametrize("params", [{}, {"kind": "facility"}, {"permit": "valid"}, {"waste_code": "17 02 03"}])
def test_postgresql_builds_the_same_collection_as_python(chain, persona, params):
    w = chain
    type(w.alpha_hn).objects.filter(pk=w.alpha_hn.pk).update(latitude=Decimal("21.0285"), longitude=Decimal("105.8542"))
    type(w.zeta_site).objects.filter(pk=w.zeta_site.pk).update(name='Zeta "kho" \\ 1')  # quoted in JSON
    factories.PermitFactory(site=w.zeta_site, valid_until=timezone.localdate().replace(year=2000), valid_from=timezone.localdate().replace(year=1999))
    user, filters = getattr(w, persona), data.SiteFilters.from_query(params)
    built = json.loads(data.sites_geojson(user, filters))
    vendor = connection.vendor
    connection.vendor = "python"  # the fallback of the other databases
    try:
        fallback = json.loads(data.sites_geojson(user, filters))
    finally:
        connection.vendor = vendor
    key = lambda feature: feature["id"]  # noqa: E731
    assert sorted(built["features"], key=key) == sorted(fallback["features"], key=key)
    assert built["organisations"] == fallback["organisations"]
