"""Annual reports in a real browser: an enterprise prepares, signs and submits its report; an official finds it
in the register. Screenshots are kept as artifacts."""

import pytest
from playwright.sync_api import expect

from manifests.models import Status
from tests.factories import PASSWORD
from tests.stats.annual_data import line, local, manifest
from tests.stats.conftest import annual  # noqa: F401

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_year(browser, live_server, username, menu_href, year="2025"):
    """A new Vietnamese page, logged in, on the menu entry `menu_href` showing `year`."""
    page = browser.new_page(locale="vi-VN")
    log_in(page, live_server, username)
    page.wait_for_url(f"{live_server.url}/")
    page.click(f"nav.nav-wide a[href='{menu_href}']")
    page.select_option("#id_year", year)
    page.click("form.year-picker button[type=submit]")
    return page


def test_an_enterprise_submits_and_an_official_finds_the_report(browser, live_server, annual, artifacts):  # noqa: F811
    w = annual
    manifest(w, local(2025, 3, 1), [line(w.oil, "100", received="97.5", planned=w.incineration)], status=Status.RECEIVED)
    page = open_year(browser, live_server, "alice", "/stats/annual-reports/")
    page.click(f"a[href='/stats/annual-reports/site/{w.alpha_hn.pk}/2025/']")
    expect(page.locator("main")).to_contain_text("Omega")  # once the page is there (content() mid-navigation is "")
    page.fill("#id_entry-0-stored_kg", "12.5")
    page.select_option("#id_form", "05.B")
    page.fill("#id_password", PASSWORD)
    page.screenshot(path=str(artifacts / "annual-prepare.png"), full_page=True)
    page.click("form.annual-report-form button.primary")
    page.wait_for_url(f"{live_server.url}/stats/annual-reports/*/")
    assert "97,5" in page.content() and "12,5" in page.content()  # the one number format
    page.screenshot(path=str(artifacts / "annual-detail.png"), full_page=True)
    page.close()

    page = open_year(browser, live_server, "hn_official", "/stats/annual-reports/register/")
    page.screenshot(path=str(artifacts / "annual-register.png"), full_page=True)
    page.click("a[href^='/stats/annual-reports/register/1/']")
    page.click(f"text={w.alpha_hn.name}")
    page.wait_for_url(f"{live_server.url}/stats/annual-reports/*/")
    with page.expect_download() as download:
        page.click("a[href$='/xlsx/']")
    assert download.value.suggested_filename.endswith("-v1.xlsx")
    page.close()
