"""Finding 7 in a real browser: the key pages load under the Content-Security-Policy with no violation — the
login page, the home page, a manifest with its map, the sites map and the dashboard with its charts."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_maps import PROVINCES, mapped  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


def browse(browser, live_server, username):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    context.route("**/tile.openstreetmap.org/**", lambda route: route.abort())  # offline: no tiles, no matter
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: console.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    assert page.evaluate("window.__cspViolations") == []
    log_in(page, live_server, username)  # an official goes through the second step too
    return context, page, console


def no_violation(page, console):
    violations = page.evaluate("window.__cspViolations")
    csp_errors = [text for text in console if "Content Security Policy" in text or "Content-Security-Policy" in text]
    assert violations == [] and csp_errors == [], (page.url, violations, csp_errors)


def test_home_and_a_manifest_with_its_map(browser, live_server, mapped):  # noqa: F811
    context, page, console = browse(browser, live_server, "alice")
    no_violation(page, console)
    page.goto(f"{live_server.url}/manifests/{mapped.delivered.pk}/")
    # Locator expectations: Playwright polls a wait_for_function string with eval, which the policy forbids.
    expect(page.locator(f"[data-map=manifest] {PROVINCES}")).to_have_count(34)
    page.wait_for_selector("[data-map=manifest] .leaflet-marker-icon")
    no_violation(page, console)
    assert not [text for text in console if "tile.openstreetmap" not in text and "ERR_FAILED" not in text]
    context.close()


def test_the_sites_map_and_the_dashboard_with_charts(browser, live_server, mapped):  # noqa: F811
    context, page, console = browse(browser, live_server, "central")
    page.goto(f"{live_server.url}/gis/maps/sites/")
    expect(page.locator(f"[data-map=sites] {PROVINCES}")).to_have_count(34)
    page.wait_for_selector("[data-map=sites] .leaflet-marker-icon")
    no_violation(page, console)
    page.goto(f"{live_server.url}/stats/dashboard/")
    page.wait_for_selector("canvas")
    expect(page.locator("canvas[data-chart]").first).to_have_attribute("data-drawn", "1")  # stats-charts.js drew it
    no_violation(page, console)
    context.close()


def test_the_draft_forms_counterparty_search(browser, live_server, mapped, monkeypatch):  # noqa: F811
    """A facility's draft form: the generator site is searched, not listed; the found site is chosen and the form
    saves; no policy violation on the way."""
    from manifests import draft_choices

    w = mapped
    monkeypatch.setattr(draft_choices, "COUNTERPARTY_LIST_LIMIT", 1)  # the live server runs in this process
    context, page, console = browse(browser, live_server, "fred")
    page.goto(f"{live_server.url}/manifests/new/")
    select = page.locator("select[name=generator_site]")
    assert select.locator("option").count() == 1  # the empty choice only
    box = page.locator("input.counterparty-search")
    box.fill("Zeta")
    expect(select.locator("option")).to_have_count(2)
    select.select_option(str(w.zeta_site.pk))
    assert "Zeta HCM" in select.locator("option:checked").inner_text()
    no_violation(page, console)
    context.close()
