"""Issue 3's main journey in a real browser: the generator drafts and hands over, a driver on a phone picks up
with the generator's company code and delivers, the facility receives with a discrepancy and treats, and the
generator downloads the completion certificate. A second, shorter journey: the generator signs with the
password on the sign page and the driver picks up without a code.

Pages stay in Vietnamese (the default); elements are found by id, name and URL, and the few texts checked
are the Vietnamese ones. One screenshot per step goes to test-artifacts/ (chain-NN-*.png, signed-NN-*.png).
"""

import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.audit import verify_chains
from accounts.models import AuditEvent
from manifests.models import Manifest, Status
from tests.factories import PASSWORD

from .conftest import log_in as sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
HANOI = {"latitude": 21.03, "longitude": 105.85, "accuracy": 15}


def log_in(page, live_server, username):
    # Home, or for a driver the list of pickups and deliveries.
    sign_in(page, live_server, username, expect=re.compile(re.escape(live_server.url) + r"/(manifests/driver/)?$"))


def log_out(page, live_server):
    page.locator("form[action='/logout/'] button").first.click()
    page.wait_for_url(f"{live_server.url}/login/")


def desktop(browser):
    return browser.new_context(viewport=DESKTOP, locale="vi-VN", accept_downloads=True)


def phone(browser, **options):
    context = browser.new_context(
        viewport=PHONE,
        locale="vi-VN",
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        geolocation=HANOI,
        **options,
    )
    context.grant_permissions(["geolocation"])
    return context


def shot(page, artifacts, name):
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    # After a full-page screenshot Chromium's compositor keeps a stale scroll offset: the next click far down
    # the page scrolls during mousedown and lands elsewhere. Scrolling once resynchronises it.
    page.evaluate("window.scrollTo(0, 0)")


def no_horizontal_scroll(page, width):
    """Nothing wider than the screen; on failure, the elements that stick out say where."""
    wide = page.evaluate(
        """(width) => Array.from(document.querySelectorAll('body *'))
            .filter((el) => el.getBoundingClientRect().right > width + 1)
            .slice(0, 5).map((el) => el.tagName + '.' + el.className + '#' + el.id + ' ' + (el.textContent || '').trim().slice(0, 60))""",
        width,
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width, (page.url, wide)


def manifest_id(page):
    match = re.search(r"/manifests/(\d+)/$", page.url)
    assert match, page.url
    return int(match.group(1))


def fill_line(page, index, code, description, state, packaging, count, quantity, method="TĐ – Thiêu đốt"):
    """One draft line, with its planned treatment method (chosen by its label)."""
    prefix = f"lines-{index}"
    page.fill(f"[name={prefix}-waste_code]", code)
    page.fill(f"[name={prefix}-description]", description)
    page.select_option(f"[name={prefix}-physical_state]", state)
    page.select_option(f"[name={prefix}-packaging_type]", packaging)
    page.fill(f"[name={prefix}-packaging_count]", str(count))
    page.fill(f"[name={prefix}-quantity_kg]", quantity)
    page.select_option(f"[name={prefix}-planned_method]", label=method)


def fill_parties(page, w):
    page.select_option("#id_generator_site", str(w.alpha_hn.pk))
    page.select_option("#id_facility_site", str(w.omega_site.pk))
    page.select_option("#id_permit", str(w.permit.pk))
    page.select_option("#id_transporter", str(w.omega.pk))
    page.fill("#id_planned_pickup_date", timezone.localdate().isoformat())


def wait_for_position(page):
    """static/js/driver.js fills the hidden position fields from the (fake) geolocation."""
    expect(page.locator("[data-geo=latitude]")).not_to_have_value("")  # not wait_for_function: the CSP forbids its eval


def test_whole_chain_with_the_generator_code_on_the_drivers_phone(browser, live_server, chain, artifacts):
    w = chain
    base = live_server.url

    # 1. The generator drafts the manifest with two lines.
    office = desktop(browser)
    page = office.new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{base}/manifests/new/")
    fill_parties(page, w)
    fill_line(page, 0, "17 02 03", "Dầu thải từ máy nén", "liquid", "drum", 2, "100")
    page.click("[data-add-line]")
    page.wait_for_selector("[name=lines-1-waste_code]")
    fill_line(page, 1, "16 01 06", "Bóng đèn huỳnh quang thải", "solid", "box", 3, "40.5")
    shot(page, artifacts, "chain-01-draft-form")
    page.click("form[data-manifest-form] button[type=submit].primary")
    page.wait_for_url(re.compile(r"/manifests/\d+/$"))
    pk = manifest_id(page)
    manifest = Manifest.objects.get(pk=pk)
    assert manifest.status == Status.DRAFT and not manifest.has_official_number
    number = manifest.number  # the draft's temporary reference
    lines = list(manifest.lines.order_by("position"))
    assert [(line.waste_code.code, line.quantity_kg) for line in lines] == [
        ("17 02 03", Decimal("100")),
        ("16 01 06", Decimal("40.5")),
    ]

    # 2. The draft survives a refresh.
    page.reload()
    assert number in page.locator("h1").inner_text()
    assert page.locator("main").get_by_text("Dầu thải từ máy nén").count() >= 1
    shot(page, artifacts, "chain-02-draft-saved")

    # 3. Handed over for signature on the driver's phone (nobody signs ahead).
    page.click(f"form[action='/manifests/{pk}/seal/'] button")
    page.wait_for_url(f"{base}/manifests/{pk}/")
    manifest = Manifest.objects.get(pk=pk)
    assert manifest.status == Status.SEALED and manifest.has_official_number  # the official number, taken now
    number = manifest.number
    assert number in page.locator("h1").inner_text()
    shot(page, artifacts, "chain-03-sealed")
    log_out(page, live_server)

    # 4. The driver, on a phone, finds the pickup in the list and opens it by number.
    mobile = phone(browser)
    page = mobile.new_page()
    log_in(page, live_server, "dan")
    page.goto(f"{base}/manifests/driver/")
    assert page.locator(f"a[href='/manifests/{pk}/pickup/']").count() == 1
    no_horizontal_scroll(page, PHONE["width"])
    shot(page, artifacts, "chain-04-driver-list")
    page.fill("#id_number", number.lower())
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(f"{base}/manifests/{pk}/pickup/")

    # 5. Vehicle, quantities kept, the generator's code typed on the phone, position from the browser.
    wait_for_position(page)
    page.select_option("#id_vehicle", str(w.truck.pk))
    assert page.input_value(f"#id_line_{lines[0].pk}") == "100"  # the input shows the value as typed back: no thousands, no trailing zeros
    # The person at the gate chooses their name; a mistyped code is refused next to the field; nothing is recorded.
    page.select_option("#id_handover_by", str(w.alice.pk))
    page.fill("#id_handover_code", "000000" if w.code != "000000" else "111111")
    page.click("form[data-driver-form] button[type=submit]")
    page.wait_for_selector("#id_handover_code_error")
    assert Manifest.objects.get(pk=pk).status == Status.SEALED
    wait_for_position(page)
    page.select_option("#id_handover_by", str(w.alice.pk))
    page.fill("#id_handover_code", w.code)
    no_horizontal_scroll(page, PHONE["width"])
    shot(page, artifacts, "chain-05-pickup-form")
    page.click("form[data-driver-form] button[type=submit]")
    page.wait_for_url(f"{base}/manifests/driver/")
    manifest = Manifest.objects.get(pk=pk)
    assert manifest.status == Status.IN_TRANSIT
    assert manifest.generator_signature_method == "handover_code" and manifest.generator_signed_by_id == w.alice.pk
    assert manifest.vehicle_id == w.truck.pk and manifest.driver_id == w.dan.pk
    assert manifest.pickup_latitude == Decimal("21.030000") and manifest.pickup_longitude == Decimal("105.850000")
    shot(page, artifacts, "chain-06-picked-up")

    # 6. Delivery at the facility.
    page.click(f"a[href='/manifests/{pk}/deliver/']")
    page.wait_for_url(f"{base}/manifests/{pk}/deliver/")
    wait_for_position(page)
    no_horizontal_scroll(page, PHONE["width"])
    shot(page, artifacts, "chain-07-deliver-form")
    page.click("form[data-driver-form] button[type=submit]")
    page.wait_for_url(f"{base}/manifests/driver/")
    assert Manifest.objects.get(pk=pk).status == Status.DELIVERED
    shot(page, artifacts, "chain-08-delivered")
    mobile.close()

    # 7. The facility receives: 90 kg instead of 100 (beyond the 5 % tolerance), explained; 40.5 kg as declared.
    plant = desktop(browser)
    page = plant.new_page()
    log_in(page, live_server, "fred")
    page.goto(f"{base}/manifests/incoming/")
    page.click(f"a[href='/manifests/{pk}/receive/']")
    page.wait_for_url(f"{base}/manifests/{pk}/receive/")
    first, second = lines
    page.fill(f"#id_line_{first.pk}_quantity", "90")
    page.fill(f"#id_line_{second.pk}_quantity", "40.5")
    page.fill("#id_password", PASSWORD)  # the receipt is signed by the person recording it
    receive_button = "form:has(input[name=action][value=receive]) button[type=submit]"
    page.click(receive_button)
    # Without a comment the discrepancy is refused, next to the line.
    page.wait_for_selector(f"#id_line_{first.pk}_comment_error")
    assert Manifest.objects.get(pk=pk).status == Status.DELIVERED
    page.fill(f"#id_line_{first.pk}_comment", "Thiếu 10 kg: một phuy bị rò rỉ trên đường.")
    page.fill("#id_password", PASSWORD)
    shot(page, artifacts, "chain-09-receive-discrepancy")
    page.click(receive_button)
    page.wait_for_url(f"{base}/manifests/{pk}/treat/")
    manifest = Manifest.objects.get(pk=pk)
    assert manifest.status == Status.RECEIVED and manifest.has_discrepancy

    # 8. Treatment of both lines by incineration: the manifest is completed.
    for line in lines:
        page.select_option(f"#id_line_{line.pk}_method", str(w.incineration.pk))
        assert page.input_value(f"#id_line_{line.pk}_treated_on") == timezone.localdate().isoformat()
    page.fill("#id_password", PASSWORD)
    shot(page, artifacts, "chain-10-treat")
    page.click("main form button[type=submit].primary")
    page.wait_for_url(f"{base}/manifests/incoming/?show=pending")
    assert Manifest.objects.get(pk=pk).status == Status.COMPLETED
    shot(page, artifacts, "chain-11-completed-facility")
    plant.close()

    # 9. The generator sees the completion and downloads the certificate.
    page = office.new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{base}/manifests/{pk}/")
    assert page.locator("main .badge.badge-ok").first.inner_text() == "Đã hoàn thành xử lý"
    certificate = page.locator(f"a[href='/manifests/{pk}/certificate/']")
    assert certificate.count() == 1
    shot(page, artifacts, "chain-12-completed-generator")
    # The certificate opens in the browser's PDF viewer (Content-Disposition: inline) ...
    with page.expect_response(f"{base}/manifests/{pk}/certificate/") as response_info:
        certificate.click()
    opened = response_info.value
    assert opened.status == 200 and opened.headers["content-type"] == "application/pdf"
    assert f"{number}-certificate.pdf" in opened.headers["content-disposition"]
    # ... which does not hand its bytes to Playwright: fetch the same URL with the generator's session.
    response = page.request.get(f"{base}/manifests/{pk}/certificate/")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    (artifacts / "chain-13-certificate.pdf").write_bytes(pdf)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert number in text and "xác nhận hoàn thành xử lý CTNH" in text and "\n90\n" in text and "40,5" in text
    office.close()

    manifest = Manifest.objects.get(pk=pk)
    assert manifest.status == Status.COMPLETED and manifest.has_discrepancy
    assert manifest.content_hash in text
    actions = list(AuditEvent.objects.filter(chain=f"manifest:{pk}").order_by("seq").values_list("action", flat=True))
    assert actions[0] == "created" and actions[-1] == "completed"
    assert {"sealed", "signed", "picked_up", "delivered", "received"} <= set(actions)
    picked_up = AuditEvent.objects.get(chain=f"manifest:{pk}", action="picked_up")
    assert picked_up.actor_id == w.dan.pk and picked_up.latitude == Decimal("21.030000") and picked_up.accuracy_m is not None
    checked, problem = verify_chains()
    assert problem is None and checked >= len(actions)


def test_generator_signs_with_password_and_driver_picks_up_without_code(browser, live_server, chain, artifacts):
    w = chain
    base = live_server.url

    office = desktop(browser)
    page = office.new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{base}/manifests/new/")
    fill_parties(page, w)
    fill_line(page, 0, "170203", "Dầu thải từ máy nén", "liquid", "drum", 1, "55")
    page.click("button[name=then][value=sign]")
    page.wait_for_url(re.compile(r"/manifests/\d+/sign/$"))
    pk = int(re.search(r"/manifests/(\d+)/sign/$", page.url).group(1))
    # A draft takes its official number by the signature: the page says so instead of showing a hash.
    assert page.locator("[data-content-hash]").count() == 0
    shot(page, artifacts, "signed-01-sign-page")
    # A wrong password is refused next to the field.
    page.fill("#id_password", "not-the-password")
    page.click("main form.stacked button[type=submit]")
    page.wait_for_selector("#id_password_error")
    assert Manifest.objects.get(pk=pk).status == Status.DRAFT
    page.fill("#id_password", PASSWORD)
    page.click("main form.stacked button[type=submit]")
    page.wait_for_url(f"{base}/manifests/{pk}/")
    manifest = Manifest.objects.get(pk=pk)
    assert manifest.status == Status.READY and manifest.has_official_number and len(manifest.content_hash) == 64
    assert manifest.content_hash in page.content() and manifest.number in page.locator("h1").inner_text()
    shown_hash = manifest.content_hash
    shot(page, artifacts, "signed-02-signed")
    office.close()

    mobile = phone(browser)
    page = mobile.new_page()
    log_in(page, live_server, "dan")
    page.goto(f"{base}/manifests/driver/")
    page.click(f"a[href='/manifests/{pk}/pickup/']")
    page.wait_for_url(f"{base}/manifests/{pk}/pickup/")
    wait_for_position(page)
    assert page.locator("#id_handover_code").count() == 0
    no_horizontal_scroll(page, PHONE["width"])
    shot(page, artifacts, "signed-03-pickup-without-code")
    page.click("form[data-driver-form] button[type=submit]")
    page.wait_for_url(f"{base}/manifests/driver/")
    manifest = Manifest.objects.get(pk=pk)
    assert manifest.status == Status.IN_TRANSIT and manifest.generator_signature_method == "password"
    assert manifest.content_hash == shown_hash
    shot(page, artifacts, "signed-04-picked-up")
    mobile.close()
