"""Every map page in a real browser, offline: the tile server is unreachable (requests to it are aborted), and the
34 province shapes and the markers are drawn all the same. Screenshots at desktop and phone (390 px) width go to
docs/artifacts/map-*.png."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from manifests.models import Manifest, Status
from tests.manifests.lifecycle import at_status

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_ARTIFACTS = Path(__file__).resolve().parents[2] / "docs" / "artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PROVINCES = "path.hwms-province"


@pytest.fixture
def mapped(chain):
    """Positions for every site, a completed shipment and one delivered with a position 30 km off the facility."""
    w = chain
    cache.clear()  # the maps' figures are cached by scope: ids from an earlier test's database must not show
    type(w.alpha_hn).objects.filter(pk=w.alpha_hn.pk).update(latitude=Decimal("21.0285"), longitude=Decimal("105.8542"))
    w.done = at_status(w, Status.COMPLETED)
    w.delivered = at_status(w, Status.DELIVERED)
    Manifest.objects.filter(pk=w.delivered.pk).update(
        pickup_latitude=Decimal("21.0290"),
        pickup_longitude=Decimal("105.8550"),
        delivery_latitude=Decimal("11.07"),
        delivery_longitude=Decimal("106.7"),
    )
    return w


def open_page(browser, live_server, username, width):
    viewport = DESKTOP if width == "desktop" else PHONE
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    # No internet here, and none assumed: the tile server never answers.
    context.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, username)
    return context, page, errors


def finish(context, page, errors, name):
    """Keep the screenshot, check the page ran without a script error, close."""
    DOCS_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_ARTIFACTS / f"map-{name}.png"), full_page=True)
    assert errors == []
    context.close()


def wait_for_provinces(page, selector):
    # Locator expectations, not wait_for_function: Playwright polls a string predicate with eval, which the CSP forbids.
    expect(page.locator(f"{selector} {PROVINCES}")).to_have_count(34)
    assert page.locator(f"{selector} {PROVINCES}").count() == 34


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_sites_map(browser, live_server, mapped, width):
    context, page, errors = open_page(browser, live_server, "admin", width)
    page.goto(f"{live_server.url}/gis/maps/sites/")
    wait_for_provinces(page, "[data-map=sites]")
    page.wait_for_selector("[data-map=sites][data-markers='4']")
    # Markers, or clusters of them (added in chunks, after the data arrives): drawn on the map.
    page.wait_for_selector("[data-map=sites] .leaflet-marker-icon")
    assert "4" in page.locator("[data-map-status]").inner_text()
    if width == "desktop":
        page.goto(f"{live_server.url}/gis/maps/sites/?kind=transporter")
        page.wait_for_selector("[data-map=sites][data-markers='1']")
        page.locator("[data-map=sites] .site-marker-f").first.click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert "Omega xử lý" in popup.inner_text()
        assert popup.locator("a").get_attribute("href") == f"/organisations/{mapped.omega.pk}/"
    finish(context, page, errors, f"sites-{width}")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_choropleth(browser, live_server, mapped, width):
    context, page, errors = open_page(browser, live_server, "admin", width)
    page.goto(f"{live_server.url}/gis/maps/provinces/?year={timezone.localdate().year}")
    wait_for_provinces(page, "[data-map=choropleth]")
    fills = page.eval_on_selector_all(f"[data-map=choropleth] {PROVINCES}", "paths => paths.map(p => p.getAttribute('fill'))")
    # Hà Nội is shaded (the darkest class: the only value), the other 33 show "no data".
    assert sorted(set(fills)) == ["#a50f15", "#f4f4f4"] and fills.count("#a50f15") == 1
    assert page.locator(".map-legend-box").is_visible()
    assert page.locator("#choropleth-table tbody tr").count() == 1
    finish(context, page, errors, f"choropleth-{width}")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_flows(browser, live_server, mapped, width):
    context, page, errors = open_page(browser, live_server, "central", width)
    page.goto(f"{live_server.url}/gis/maps/flows/")
    wait_for_provinces(page, "[data-map=flows]")
    page.wait_for_selector("[data-map=flows][data-markers='1']")
    assert page.locator("[data-map=flows] path.hwms-flow").count() == 1
    assert page.locator("#flows-table tbody tr").count() == 1
    finish(context, page, errors, f"flows-{width}")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_manifest_map(browser, live_server, mapped, width):
    context, page, errors = open_page(browser, live_server, "alice", width)
    page.goto(f"{live_server.url}/manifests/{mapped.delivered.pk}/")
    wait_for_provinces(page, "[data-map=manifest]")
    assert page.locator("[data-map=manifest]").get_attribute("data-markers") == "4"
    assert page.locator("[data-map=manifest] .leaflet-marker-icon").count() == 4
    assert page.locator("[data-map=manifest] .site-marker-warning").count() == 1
    assert page.locator("[data-map=manifest] path.hwms-route").count() == 1
    page.locator("[data-map=manifest]").scroll_into_view_if_needed()
    finish(context, page, errors, f"manifest-{width}")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_location_picker(browser, live_server, mapped, width):
    w = mapped
    context, page, errors = open_page(browser, live_server, "alice", width)
    page.goto(f"{live_server.url}/sites/{w.alpha_hcm.pk}/")
    wait_for_provinces(page, "[data-map=picker]")
    # The saved position is shown; typing in the fields moves the marker.
    assert page.locator("[data-map=picker] .leaflet-marker-icon").count() == 1
    page.fill("#id_latitude", "21.0285")
    page.fill("#id_longitude", "105.8542")
    page.locator("#id_longitude").dispatch_event("change")
    # Hà Nội's position with the province still Hồ Chí Minh: a warning.
    warning = page.locator("[data-picker-warning]")
    warning.wait_for(state="visible")
    assert "nằm ngoài tỉnh/thành phố đã chọn" in warning.inner_text()  # "outside the chosen province"
    # Searching the ward sets the province (and the ward), and the warning goes.
    page.fill("[data-ward-search]", "Hoàn")
    page.locator("[data-ward-results] button", has_text="Phường Hoàn Kiếm").click()
    expect(page.locator("#id_ward")).to_have_value("70")
    assert page.locator("#id_province").input_value() == "1"
    page.locator("#id_latitude").dispatch_event("change")
    warning.wait_for(state="hidden")
    # A click on the map moves the marker and writes the fields.
    box = page.locator("[data-map=picker]").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#id_latitude")).not_to_have_value("21.0285")
    latitude = float(page.locator("#id_latitude").input_value())
    assert 6 < latitude < 24
    finish(context, page, errors, f"picker-{width}")
