"""The officials' dashboard in cached sections: a repeated view is served from the cache, and never stale — a
recompute or rebuild of the rollups, or a saved organisation, moves the version counters the sections are keyed on
(in the transaction of the change). The six breakdowns of one scan equal the GROUP BYs they replace."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from manifests.models import Status
from stats import rollups, selectors
from stats.models import RollupVersion
from tests.manifests.lifecycle import at_status

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("stats:dashboard")


@pytest.fixture
def figures(chain):
    w = chain
    at_status(w, Status.COMPLETED)
    at_status(w, Status.COMPLETED, site=w.alpha_hcm)
    rollups.rebuild()
    w.year = timezone.localdate().year
    return w


def view(client, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(DASHBOARD, params or {})
    assert response.status_code == 200
    return response, len(captured)


def test_a_repeated_view_is_served_from_the_cache(client, figures):
    client.force_login(figures.central_official)
    first, cold = view(client)
    second, warm = view(client)
    assert warm <= cold - 10  # the sections' queries are gone; the counters are one query
    assert second.context["tables_html"] == first.context["tables_html"]  # the page differs only by its CSRF token
    assert [t.rows for t in second.context["tables"]] == [t.rows for t in first.context["tables"]]


def test_the_dashboard_is_fresh_after_a_manifest_changes(client, figures, django_capture_on_commit_callbacks):
    w = figures
    client.force_login(w.central_official)
    before, _ = view(client)
    assert before.context["totals"]["declared_kg"] == Decimal("281.00")
    with django_capture_on_commit_callbacks(execute=True):  # the recompute task after each transition
        at_status(w, Status.READY, lines=[w.line(w.lamps, "9")])
    after, _ = view(client)
    assert after.context["totals"]["declared_kg"] == Decimal("290.00")
    assert after.context["by_name"]["by_code"].rows != before.context["by_name"]["by_code"].rows
    # A province's view after the change, and the other province's is unchanged.
    client.force_login(w.hanoi_official)
    assert view(client)[0].context["totals"]["declared_kg"] == Decimal("149.50")


def test_the_dashboard_is_fresh_after_a_rebuild(client, figures):
    w = figures
    client.force_login(w.central_official)
    view(client)
    type(w.alpha).objects.filter(pk=w.alpha.pk).update(name="Alpha (bulk)")  # no signal: the cache may keep it…
    rollups.rebuild()  # …until the next rebuild, which moves every counter
    assert view(client)[0].context["by_name"]["top_generators"].rows[0][0] == "Alpha (bulk)"


def test_a_renamed_organisation_shows_at_once(client, figures):
    w = figures
    client.force_login(w.central_official)
    assert view(client)[0].context["by_name"]["top_generators"].rows[0][0] == "Alpha"
    w.alpha.name = "Alpha Việt Nam"
    w.alpha.save()
    assert view(client)[0].context["by_name"]["top_generators"].rows[0][0] == "Alpha Việt Nam"


def test_each_province_and_filter_has_its_own_sections(client, figures):
    w = figures
    client.force_login(w.central_official)
    country, _ = view(client)
    assert len(country.context["by_name"]["by_province"].rows) == 2
    client.force_login(w.hanoi_official)
    hanoi, _ = view(client)
    assert [row[0] for row in hanoi.context["by_name"]["by_province"].rows] == ["Thành phố Hà Nội"]
    client.force_login(w.central_official)
    chapter, _ = view(client, {"chapter": "16"})
    assert chapter.context["totals"]["declared_kg"] == Decimal("81.00")
    assert view(client)[0].context["totals"]["declared_kg"] == Decimal("281.00")


def test_the_counters_move_with_the_rollups_in_the_same_transaction(chain, django_capture_on_commit_callbacks):
    w = chain
    year = timezone.localdate().year
    names = [rollups.ANY, rollups.year_scope(year), rollups.year_scope(year, w.hanoi.pk), rollups.year_scope(year, w.hcm.pk)]
    start = rollups.versions(names)
    with django_capture_on_commit_callbacks(execute=True):
        at_status(w, Status.READY)  # Hà Nội's generator, HCM's facility: both provinces' views change
    moved = rollups.versions(names)
    assert all(moved[name] > start[name] for name in names)
    assert rollups.versions([rollups.year_scope(year - 1)]) == {rollups.year_scope(year - 1): 0}
    rebuild = rollups.versions([rollups.REBUILD])[rollups.REBUILD]
    rollups.rebuild(["manifest_month"])
    assert RollupVersion.objects.get(scope=rollups.REBUILD).value == rebuild + 1


@pytest.mark.parametrize(
    "params",
    [{}, {"province": 1}, {"chapter": "16"}, {"method": "incineration"}, {"province": 79, "chapter": "17", "method": "incineration"}],
)
def test_the_breakdowns_of_one_scan_equal_one_group_by_each(figures, params):
    w = figures
    if params.get("method"):
        params = {**params, "method": w.incineration.pk}
    filters = selectors.Filters(year=w.year, **params)
    found = selectors._dimension_sums(filters)
    for _name, key in selectors.DIMENSIONS:
        one_by_one = selectors._waste_rows(filters).values(key).annotate(**selectors._sums(*selectors.KG_FIELDS)).order_by()
        expected = {row[key]: tuple(row[k] for k in selectors.KG_FIELDS) for row in one_by_one}
        assert {row[key]: tuple(row[k] for k in selectors.KG_FIELDS) for row in found[key]} == expected
        assert expected or params  # the unfiltered year has figures in every breakdown


def test_the_table_body_escapes_every_value_and_formats_the_numbers():
    from datetime import date

    from django.utils import translation

    from stats.templatetags.stats_format import table_body

    table = selectors.Table(
        "t",
        "T",
        [("label", "L", "text"), ("kg", "kg", "kg"), ("n", "n", "count"), ("p", "%", "percent"), ("d", "d", "date"), ("x", "x", "text")],
        [["<b>&\"", Decimal("1234.5"), 3, Decimal("12.34"), date(2026, 1, 2), "a<b"], [None, None, None, None, None, None]],
        links=["?a=1&b=<2>"],
    )
    with translation.override("vi"):
        html = str(table_body(table))
    assert html == (
        '<tbody><tr><th scope="row"><a href="?a=1&amp;b=&lt;2&gt;">&lt;b&gt;&amp;&quot;</a></th><td class="num">1.234</td>'
        '<td class="num">3</td><td class="num">12,3 %</td><td class="num">02/01/2026</td><td class="num">a&lt;b</td></tr>'
        '<tr><th scope="row">—</th><td class="num"></td><td class="num"></td><td class="num"></td><td class="num"></td>'
        '<td class="num"></td></tr></tbody>'
    )
