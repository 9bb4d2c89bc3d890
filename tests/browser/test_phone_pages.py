"""Issue 8, phone pages: the whole chain walked on a 390 px wide phone by every party, a screenshot of each page
(test-artifacts/phone-NN-*.png), nothing wider than the screen, and axe-core (static/vendor/axe-core) on the
driver's and the facility's pages: no "serious" or "critical" violation.

Each step of the chain is one function below (draft, sign, pickup, delivery, receipt, treatment): when a step
changes (a handover code at the gate, a password at receipt), only its function changes.
"""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from manifests import verification
from manifests.models import Manifest, Status
from tests.factories import PASSWORD

from .test_manifest_chain import (
    PHONE,
    fill_line,
    fill_parties,
    log_in,
    log_out,
    no_horizontal_scroll,
    phone,
    shot,
    wait_for_position,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


# --- checks on every phone page -------------------------------------------------------------------------


def axe_violations(page):
    """axe-core's violations on the page as (rule, impact, help, first elements)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))
            }));
        }"""
    )


class PhonePages:
    """Checks and numbers the screenshots of the phone pages of one walk."""

    def __init__(self, artifacts):
        self.artifacts, self.count = artifacts, 0

    def check(self, page, name, axe=False):
        no_horizontal_scroll(page, PHONE["width"])
        self.count += 1
        if axe:
            violations = axe_violations(page)
            # Every finding is kept beside the screenshot; only serious and critical ones fail the walk.
            (self.artifacts / f"phone-{self.count:02d}-{name}-axe.json").write_text(json.dumps(violations, indent=1))
            blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
            assert not blocking, (page.url, blocking)
        shot(page, self.artifacts, f"phone-{self.count:02d}-{name}")


# --- the steps of the chain, one function each ------------------------------------------------------------


def draft(page, base, w, pages):
    """The generator drafts on the phone; a wrong code first, refused with the error summary on top."""
    page.goto(f"{base}/manifests/new/")
    fill_parties(page, w)
    fill_line(page, 0, "99 99 99", "Dầu thải từ máy nén", "liquid", "drum", 2, "100")
    page.click("button[name=then][value=sign]")
    page.wait_for_selector("[data-error-summary]")
    # Focused at the top of the page, and its link leads to the field.
    assert page.evaluate("document.activeElement.matches('[data-error-summary]')")
    assert page.evaluate("document.querySelector('[data-error-summary]').getBoundingClientRect().top") < PHONE["height"]
    pages.check(page, "draft-refused")
    page.click("[data-error-summary] a[href='#id_lines-0-waste_code']")
    assert page.evaluate("document.activeElement.id") == "id_lines-0-waste_code"
    # The code's name shows beside it as soon as it is typed.
    page.fill("#id_lines-0-waste_code", "170203")
    expect(page.locator("#id_lines-0-waste_code_name")).to_have_text(re.compile(r"\S"))  # not wait_for_function (CSP)
    assert page.inner_text("#id_lines-0-waste_code_name") == w.oil.name_vi
    pages.check(page, "draft-form")
    page.click("button[name=then][value=sign]")
    page.wait_for_url(re.compile(r"/manifests/\d+/sign/$"))
    return int(re.search(r"/manifests/(\d+)/sign/$", page.url).group(1))


def sign(page, base, pk, pages):
    pages.check(page, "sign")
    page.fill("#id_password", PASSWORD)
    page.click("main form.stacked button[type=submit]")
    page.wait_for_url(f"{base}/manifests/{pk}/")
    assert Manifest.objects.get(pk=pk).status == Status.READY
    pages.check(page, "signed-detail")


def driver_form(page, base, pk, action, status, pages, fill=lambda page: None):
    """Open the pickup or delivery of the manifest from the driver's list, fill it, confirm: back on the list."""
    page.click(f"a[href='/manifests/{pk}/{action}/']")
    page.wait_for_url(f"{base}/manifests/{pk}/{action}/")
    wait_for_position(page)
    fill(page)
    pages.check(page, action, axe=True)
    page.click("form[data-driver-form] button[type=submit]")
    page.wait_for_url(f"{base}/manifests/driver/")
    assert Manifest.objects.get(pk=pk).status == status


def pick_up(page, base, pk, w, pages):
    """The driver lands on the list, sees what waste and how much, and confirms the pickup."""
    assert page.url == f"{base}/manifests/driver/"
    card = page.locator("article.card", has=page.locator(f"a[href='/manifests/{pk}/pickup/']"))
    assert "17 02 03" in card.inner_text() and "kg" in card.inner_text()
    pages.check(page, "driver-list", axe=True)
    driver_form(
        page, base, pk, "pickup", Status.IN_TRANSIT, pages, lambda page: page.select_option("#id_vehicle", str(w.truck.pk))
    )
    pages.check(page, "driver-list-in-transit", axe=True)


def deliver(page, base, pk, pages):
    driver_form(page, base, pk, "deliver", Status.DELIVERED, pages)


def receive(page, base, pk, quantities, pages):
    """The facility opens the incoming list (what waste, how much) and records the receipt."""
    page.goto(f"{base}/manifests/incoming/")
    row = page.locator("tr", has=page.locator(f"a[href='/manifests/{pk}/receive/']"))
    assert "17 02 03" in row.inner_text() and "kg" in row.inner_text()
    pages.check(page, "incoming", axe=True)
    page.click(f"a[href='/manifests/{pk}/receive/']")
    page.wait_for_url(f"{base}/manifests/{pk}/receive/")
    pages.check(page, "receive", axe=True)
    for line_pk, quantity in quantities.items():
        page.fill(f"#id_line_{line_pk}_quantity", quantity)
    page.fill("#id_password", PASSWORD)  # signed by the person receiving
    page.click("form:has(input[name=action][value=receive]) button[type=submit]")
    page.wait_for_url(f"{base}/manifests/{pk}/treat/")
    assert Manifest.objects.get(pk=pk).status == Status.RECEIVED


def treat(page, base, pk, line_pks, method, pages):
    pages.check(page, "treat", axe=True)
    for line_pk in line_pks:
        page.select_option(f"#id_line_{line_pk}_method", str(method.pk))
    page.fill("#id_password", PASSWORD)  # completion signed by a named person
    page.click("main form button[type=submit].primary")
    page.wait_for_url(f"{base}/manifests/incoming/?show=pending")
    assert Manifest.objects.get(pk=pk).status == Status.COMPLETED
    pages.check(page, "incoming-pending", axe=True)


def verify_publicly(page, manifest, base, pages):
    page.goto(f"{base}{verification.verify_path(manifest)}")
    assert manifest.number in page.locator("h1").inner_text()
    pages.check(page, "verification", axe=True)


# --- the walk ---------------------------------------------------------------------------------------------


def test_the_chain_on_a_390_px_phone(browser, live_server, chain, artifacts):
    w = chain
    base = live_server.url
    pages = PhonePages(artifacts)
    context = phone(browser, bypass_csp=True)
    page = context.new_page()

    log_in(page, live_server, "alice")
    pk = draft(page, base, w, pages)
    sign(page, base, pk, pages)
    manifest = Manifest.objects.get(pk=pk)
    verify_publicly(page, manifest, base, pages)
    log_out(page, live_server)

    log_in(page, live_server, "dan")
    pick_up(page, base, pk, w, pages)
    deliver(page, base, pk, pages)
    log_out(page, live_server)

    log_in(page, live_server, "fred")
    lines = list(manifest.lines.order_by("position"))
    receive(page, base, pk, {line.pk: str(line.quantity_kg) for line in lines}, pages)
    treat(page, base, pk, [line.pk for line in lines], w.incineration, pages)
    page.goto(f"{base}/manifests/{pk}/")
    pages.check(page, "completed-detail")
    verify_publicly(page, Manifest.objects.get(pk=pk), base, pages)
    context.close()
    assert Manifest.objects.get(pk=pk).declared_kg == Decimal("100")


def test_axe_is_really_run(browser):
    """The check above is not a silent no-op: axe finds what a page without labels and alternatives lacks."""
    context = phone(browser, bypass_csp=True)
    page = context.new_page()
    page.set_content('<html><body><img src="data:,"><input type="text"></body></html>')
    found = {v["id"]: v["impact"] for v in axe_violations(page)}
    context.close()
    assert found.get("image-alt") == "critical" and found.get("label") == "critical"
