"""The statistics in a real browser: a central official opens the national dashboard, drills into a province,
opens the report page from there, generates the province's report PDF and downloads it. Screenshots go to
docs/artifacts/statistics-*.png."""

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.stats.conftest import annual  # noqa: F401 (the fixture)
from tests.stats.test_report_pdfs import year_2025  # noqa: F401 (the fixture)

from .test_foundation import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_ARTIFACTS = Path(__file__).resolve().parents[2] / "docs" / "artifacts"


def shot(page, name):
    DOCS_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_ARTIFACTS / f"statistics-{name}.png"), full_page=True)


def test_a_central_official_drills_into_a_province_and_downloads_its_report(browser, live_server, year_2025, settings, tmp_path):  # noqa: F811
    w = year_2025
    settings.MEDIA_ROOT = tmp_path
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, w.central_official.username)
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav.nav-wide a[href='/stats/']")
    page.wait_for_url(f"{live_server.url}/stats/dashboard/")
    page.fill("#f-year", "2025")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/stats/dashboard/?year=2025*")
    assert "Thành phố Hồ Chí Minh" in page.content()
    shot(page, "01-national-dashboard")

    page.click(f"#t-by_province ~ .table-scroll a[href*='province={w.hanoi.pk}']")
    page.wait_for_url(f"**/stats/dashboard/?*province={w.hanoi.pk}*")
    assert page.locator("h1").inner_text().count("Thành phố Hà Nội") == 1
    shot(page, "02-province-dashboard")

    page.click("main a[href^='/stats/reports/?']")
    page.wait_for_url(f"**/stats/reports/?year=2025&province={w.hanoi.pk}")
    shot(page, "03-report-page")
    page.click("button[name=generate][value=province]")
    page.wait_for_url(f"**/stats/reports/?year=2025&province={w.hanoi.pk}")
    link = page.locator(".report-job a[download]").first
    link.wait_for()  # written in the background; the page polls until the job is done
    assert "3/3" not in page.content() and "1/1" in page.content()
    shot(page, "04-report-written")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "bao-cao-thong-ke-ctnh-2025-ha-noi.pdf"
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Thành phố Hà Nội" in text and "Trang 1/" in text
    assert errors == []
    context.close()
