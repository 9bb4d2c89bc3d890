"""Two-factor sign-in in a real browser: an official without an authenticator enrols on first sign-in, keeps the
recovery codes, and reaches the portal; the next sign-in asks for the code."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from tests.factories import PASSWORD

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_official_enrols_on_first_sign_in_then_signs_in_with_the_app(browser, live_server, world, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/sites/")
    page.fill("#id_username", "hn_official")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/two-factor/setup/?next=%2Fsites%2F")
    assert page.locator(".qr svg").is_visible()
    # What a phone would scan: the key typed by hand gives the same codes.
    device = TOTPDevice.objects.get(user=world.hanoi_official, confirmed=False)
    assert page.locator("code.secret").inner_text() == two_factor.secret(device)
    page.screenshot(path=str(artifacts / "two-factor-setup-390.png"), full_page=True)
    # Any other page sends back here until the enrolment is done.
    page.goto(f"{live_server.url}/manifests/")
    page.wait_for_url(f"{live_server.url}/account/two-factor/setup/?next=%2Fmanifests%2F")
    page.fill("#id_code", two_factor.current_code(device))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/two-factor/recovery-codes/?next=%2Fmanifests%2F")
    assert page.locator(".recovery-codes li").count() == 10
    page.screenshot(path=str(artifacts / "two-factor-recovery-codes-390.png"), full_page=True)
    page.locator("main a.button.primary").click()
    page.wait_for_url(f"{live_server.url}/manifests/")
    page.locator("form[action='/logout/'] button").first.click()
    page.wait_for_url(f"{live_server.url}/login/")
    # The next time: password, then the code from the app (the shared helper computes it from the device's key).
    log_in(page, live_server, "hn_official")
    assert not errors
    context.close()
