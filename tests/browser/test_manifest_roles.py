"""Shorter journeys of issue 3 by role, in a real browser: an official reads the discrepancy list (on a phone
too), facility staff prepare a manifest on the generator's behalf and the generator signs it, and a revision of
a completed manifest is proposed by the generator and approved by the facility.

The states before each journey are reached through manifests.services (the whole chain in the browser is in
test_manifest_chain.py). Screenshots go to test-artifacts/roles-*.png.
"""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.audit import verify_chains
from manifests import services
from manifests.models import Manifest, Revision, Status
from tests.factories import PASSWORD

from .test_manifest_chain import DESKTOP, PHONE, fill_line, log_in, log_out, no_horizontal_scroll, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def completed_with_discrepancy(w):
    """Alpha Hà Nội → Omega: line 1 received 90 kg of 100 with a comment, both lines incinerated."""
    manifest = services.sign(w.alice, w.draft(), PASSWORD)
    lines = list(manifest.lines.order_by("position"))
    manifest = services.pickup(w.dan, manifest, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in lines})
    manifest = services.deliver(w.dan, manifest)
    manifest = services.receive(
        w.fred,
        manifest, password=PASSWORD,
        lines={
            lines[0].pk: {"received_quantity_kg": Decimal("90"), "comment": "Thiếu 10 kg"},
            lines[1].pk: {"received_quantity_kg": Decimal("40.5")},
        },
    )
    today = timezone.localdate()
    manifest = services.treat(
        w.fred, manifest, password=PASSWORD, lines={line.pk: {"treatment_method": w.incineration, "treated_on": today} for line in lines}
    )
    assert manifest.status == Status.COMPLETED and manifest.has_discrepancy
    return manifest, lines


def test_official_reads_the_discrepancy_list(browser, live_server, chain, artifacts):
    w = chain
    manifest, _ = completed_with_discrepancy(w)
    quiet = services.sign(w.alice, w.draft(), PASSWORD)  # no discrepancy: not in the list
    base = live_server.url

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    log_in(page, live_server, "hn_official")
    page.goto(f"{base}/manifests/oversight/discrepancies/")
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1
    assert manifest.number in rows.first.inner_text()
    assert quiet.number not in page.locator("main").inner_text()
    shot(page, artifacts, "roles-01-official-discrepancies")
    page.click(f"main a[href='/manifests/{manifest.pk}/']")
    page.wait_for_url(f"{base}/manifests/{manifest.pk}/")
    # Read-only: the official may download the documents but has no transition to make.
    buttons = page.locator("main .actions").first
    assert buttons.locator(f"a[href='/manifests/{manifest.pk}/certificate/']").count() == 1
    assert buttons.locator("form").count() == 0
    for url in ("edit", "sign", "pickup", "receive", "treat", "cancel", "revisions/new"):
        assert page.locator(f"main a[href='/manifests/{manifest.pk}/{url}/']").count() == 0
    assert "Thiếu 10 kg" in page.locator("main").inner_text()
    shot(page, artifacts, "roles-02-official-detail")
    context.close()

    # The same list on a phone: the table scrolls inside its frame, the page does not.
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    log_in(page, live_server, "hn_official")
    page.goto(f"{base}/manifests/oversight/discrepancies/")
    no_horizontal_scroll(page, PHONE["width"])
    shot(page, artifacts, "roles-03-official-discrepancies-390")
    page.goto(f"{base}/manifests/{manifest.pk}/")
    no_horizontal_scroll(page, PHONE["width"])
    shot(page, artifacts, "roles-04-official-detail-390")
    context.close()


def test_facility_prepares_on_behalf_and_the_generator_signs(browser, live_server, chain, artifacts):
    w = chain
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()

    log_in(page, live_server, "fred")
    page.goto(f"{base}/manifests/new/")
    # Facility staff choose among the generators' sites; the facility side is their own.
    page.select_option("#id_generator_site", str(w.alpha_hn.pk))
    assert page.locator("#id_facility_site option[value]:not([value=''])").count() == 1
    page.select_option("#id_facility_site", str(w.omega_site.pk))
    page.select_option("#id_permit", str(w.permit.pk))
    page.select_option("#id_transporter", str(w.omega.pk))
    # No "save and sign" for facility staff: the generator signs.
    assert page.locator("button[name=then][value=sign]").count() == 0
    fill_line(page, 0, "16 01 06", "Bóng đèn huỳnh quang thải", "solid", "box", 4, "12.5")
    page.click("form[data-manifest-form] button[type=submit].primary")
    page.wait_for_url(re.compile(r"/manifests/\d+/$"))
    pk = int(re.search(r"/manifests/(\d+)/$", page.url).group(1))
    manifest = Manifest.objects.get(pk=pk)
    assert manifest.status == Status.DRAFT and manifest.prepared_by_id == w.omega.pk and manifest.generator_id == w.alpha.pk
    assert page.locator(f"a[href='/manifests/{pk}/sign/']").count() == 0
    page.click(f"form[action='/manifests/{pk}/seal/'] button")
    page.wait_for_url(f"{base}/manifests/{pk}/")
    assert Manifest.objects.get(pk=pk).status == Status.SEALED
    shot(page, artifacts, "roles-05-facility-prepared")
    log_out(page, live_server)

    log_in(page, live_server, "alice")
    page.goto(f"{base}/manifests/{pk}/")
    assert page.locator("main dt", has_text="Tổ chức lập chứng từ").locator("xpath=following-sibling::dd[1]").inner_text() == "Omega"
    page.click(f"main a[href='/manifests/{pk}/sign/']")
    page.wait_for_url(f"{base}/manifests/{pk}/sign/")
    shown_hash = page.locator("[data-content-hash]").inner_text().strip()
    page.fill("#id_password", PASSWORD)
    shot(page, artifacts, "roles-06-generator-signs")
    page.click("main form.stacked button[type=submit]")
    page.wait_for_url(f"{base}/manifests/{pk}/")
    manifest = Manifest.objects.get(pk=pk)
    assert manifest.status == Status.READY and manifest.content_hash == shown_hash
    assert manifest.generator_signed_by_id == w.alice.pk
    shot(page, artifacts, "roles-07-generator-signed")
    context.close()


def test_revision_proposed_by_the_generator_and_approved_by_the_facility(browser, live_server, chain, artifacts):
    w = chain
    manifest, lines = completed_with_discrepancy(w)
    pk = manifest.pk
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()

    log_in(page, live_server, "alice")
    page.goto(f"{base}/manifests/{pk}/")
    page.click(f"main a[href='/manifests/{pk}/revisions/new/']")
    page.wait_for_url(f"{base}/manifests/{pk}/revisions/new/")
    page.fill(f"#id_line_{lines[0].pk}_received_quantity_kg", "95")
    page.fill("#id_comment", "Cân lại tại cơ sở xử lý: 95 kg.")
    shot(page, artifacts, "roles-08-revision-form")
    page.click("main form.stacked button[type=submit].primary")
    page.wait_for_url(f"{base}/manifests/{pk}/")
    revision = Revision.objects.get(manifest_id=pk)
    assert revision.state == Revision.State.PENDING
    assert page.locator("#revision").count() == 1
    # The proposer does not decide its own revision.
    assert page.locator(f"form[action='/manifests/revisions/{revision.pk}/decide/']").count() == 0
    shot(page, artifacts, "roles-09-revision-pending")
    log_out(page, live_server)

    log_in(page, live_server, "fred")
    page.goto(f"{base}/manifests/{pk}/")
    decide = page.locator(f"form[action='/manifests/revisions/{revision.pk}/decide/']")
    decide.locator("textarea[name=comment]").fill("Đồng ý, phiếu cân đính kèm.")
    shot(page, artifacts, "roles-10-revision-decision")
    decide.locator("button[name=decision][value=approve]").click()
    page.wait_for_url(f"{base}/manifests/{pk}/")
    revision.refresh_from_db()
    manifest.refresh_from_db()
    assert revision.state == Revision.State.APPROVED and manifest.version == 2
    line = manifest.lines.get(pk=lines[0].pk)
    assert line.received_quantity_kg == Decimal("95")
    assert page.locator("#revision").count() == 0
    shot(page, artifacts, "roles-11-revision-approved")
    context.close()
    checked, problem = verify_chains()
    assert problem is None and checked > 0
