"""The grains added for the dashboards and maps: the silent generators' lists (SilentGenerator) equal the rule the
dashboard used to compute on every view, after a rebuild and as kept by the task (delivered twice and out of
order); the site-grain flows (FlowSite) and the generator × code rollup equal the raw GROUP BY."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from manifests.models import Manifest, Status
from stats import rollups, selectors
from stats.models import FlowSite, GeneratorYear, SilentGenerator
from tests.manifests.lifecycle import at_status

pytestmark = pytest.mark.django_db


def anti_join(year, province=None):
    """The silent generators as the dashboard computed them before the table: [(generator, kg)], largest first."""
    earlier = GeneratorYear.objects.filter(year__gte=year - 2, year__lt=year, declared_kg__gt=0)
    this_year = GeneratorYear.objects.filter(year=year)
    if province:
        earlier, this_year = earlier.filter(province=province), this_year.filter(province=province)
    rows = earlier.exclude(generator__in=this_year.values("generator")).values("generator").annotate(kg=Sum("declared_kg"))
    return sorted(((r["generator"], r["kg"]) for r in rows), key=lambda row: (-row[1], row[0]))


def stored(year, province=None):
    rows = SilentGenerator.objects.filter(year=year)
    rows = rows.filter(province=province) if province else rows.filter(province__isnull=True)
    return sorted(((r.generator_id, r.declared_kg) for r in rows), key=lambda row: (-row[1], row[0]))


def handed_over_a_year_earlier(manifest):
    """The manifest as if handed over a year before (the rollups rebuilt by the caller)."""
    Manifest.objects.filter(pk=manifest.pk).update(generator_signed_at=manifest.generator_signed_at - timedelta(days=366))


@pytest.fixture
def years(chain):
    """Alpha handed waste over last year at its Hà Nội site (140.50 kg), this year only at its HCM site."""
    w = chain
    handed_over_a_year_earlier(at_status(w, Status.READY))
    at_status(w, Status.READY, site=w.alpha_hcm, lines=[w.line(w.oil, "10")])
    rollups.rebuild()
    w.year = timezone.localdate().year
    return w


def test_the_silent_lists_equal_the_anti_join(years):
    w = years
    for year in range(w.year - 2, w.year + 4):
        for province in (None, w.hanoi.pk, w.hcm.pk):
            assert stored(year, province) == anti_join(year, province), (year, province)
    # Alpha filed this year (in HCM): not silent in the country, silent in Hà Nội.
    assert stored(w.year) == [] and stored(w.year, w.hanoi.pk) == [(w.alpha.pk, Decimal("140.50"))]
    # Next year, nothing filed yet: silent everywhere, with both years' declarations in the country's list.
    assert stored(w.year + 1) == [(w.alpha.pk, Decimal("150.50"))]
    assert rollups.differences(["silent"]) == {}


def test_the_dashboard_lists_the_silent_generators_of_the_table(years):
    w = years
    table = selectors.silent_generators(selectors.Filters(year=w.year, province=w.hanoi.pk))
    assert table.rows == [["Alpha", Decimal("140.50")]] and table.note == "1"
    assert selectors.silent_generators(selectors.Filters(year=w.year)).rows == []
    assert selectors.silent_generators(selectors.Filters(year=w.year + 1), limit=0).note == "0+"


def test_a_handover_takes_the_generator_off_the_list_at_once(years, django_capture_on_commit_callbacks):
    w = years
    with django_capture_on_commit_callbacks(execute=True):
        at_status(w, Status.READY)  # Alpha Hà Nội files this year
    assert stored(w.year, w.hanoi.pk) == []
    assert rollups.differences() == {}


def test_the_new_grains_survive_a_task_delivered_twice_and_out_of_order(chain, django_capture_on_commit_callbacks):
    w = chain
    with django_capture_on_commit_callbacks() as callbacks:
        at_status(w, Status.COMPLETED)
        at_status(w, Status.IN_TRANSIT, site=w.alpha_hcm, lines=[w.line(w.lamps, "3")])
    for callback in [*reversed(callbacks), *callbacks]:  # the stale ones after the last, then every one again
        callback()
    assert rollups.differences(["generator_year", "generator_code", "flow_site", "silent"]) == {}
    assert FlowSite.objects.filter(province=w.hanoi.pk).aggregate(kg=Sum("declared_kg"))["kg"] == Decimal("140.50")
    # Nothing filed before this year: no list holds Alpha for this year; next year's do.
    year = timezone.localdate().year
    assert not SilentGenerator.objects.filter(year=year).exists()
    assert set(SilentGenerator.objects.filter(year=year + 1).values_list("province", flat=True)) == {None, w.hanoi.pk, w.hcm.pk}


def test_check_rollups_finds_a_wrong_silent_row(years):
    SilentGenerator.objects.filter(province__isnull=True).update(declared_kg=1)
    assert "silent" in rollups.differences()
    rollups.rebuild(["silent"])
    assert rollups.differences() == {}
