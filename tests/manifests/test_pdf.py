"""The PDF copy of record and the completion certificate: Vietnamese text, hash, QR code, who may download."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from manifests import pdf, selectors, services, verification
from manifests.content import content_hash, manifest_content
from manifests.models import Status
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


# --- helpers -------------------------------------------------------------------------------------------


def ready(w):
    return services.sign(w.alice, w.draft(), PASSWORD)


def in_transit(w):
    m = ready(w)
    return services.pickup(w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in m.lines.all()})


def completed(w):
    m = services.deliver(w.dan, in_transit(w))
    first, second = m.lines.order_by("position")
    m = services.receive(
        w.fred,
        m,
        lines={
            first.pk: {"received_quantity_kg": Decimal(90), "comment": "Thiếu 10 kg"},
            second.pk: {"received_quantity_kg": second.quantity_kg},
        },
    )
    today = timezone.localdate()
    return services.treat(w.fred, m, lines={line.pk: {"treatment_method": w.incineration, "treated_on": today} for line in (first, second)})


def text_of(content):
    reader = PdfReader(io.BytesIO(content))
    # Cells wrap: compare with the whitespace collapsed.
    return reader, " ".join(" ".join(page.extract_text() for page in reader.pages).split())


# --- the document itself -----------------------------------------------------------------------------------


def test_the_copy_of_record_shows_vietnamese_text_with_diacritics_and_the_signed_hash(chain):
    m = completed(chain)
    with translation.override("vi"):
        content = pdf.render_manifest_pdf(m)
    assert content.startswith(b"%PDF")
    reader, text = text_of(content)
    assert len(reader.pages) == 1
    assert "CHỨNG TỪ CHẤT THẢI NGUY HẠI" in text
    assert m.number in text
    assert "Alpha" in text and "0101234567" in text
    assert "Thành phố Hà Nội" in text
    assert "17 02 03" in text and "16 01 06" in text
    assert "Dầu thải từ máy nén" in text
    assert "Bóng đèn huỳnh quang thải" in text
    assert "Thiêu đốt" in text
    assert "Thiếu 10 kg" in text  # the discrepancy comment
    assert "51C-123.45" in text
    assert "UNSIGNED DRAFT" not in text
    assert m.content_hash in text
    # Vietnamese number format: 140,50 kg in total.
    assert "140,50" in text


def test_the_copy_of_record_follows_the_active_language(chain):
    m = completed(chain)
    with translation.override("en"):
        _, text = text_of(pdf.render_manifest_pdf(m))
    assert "CHỨNG TỪ CHẤT THẢI NGUY HẠI" in text  # the legal title stays
    assert "Scan to verify" in text
    assert "Handover signed by the generator" in text
    assert "140.50" in text


def test_an_unsigned_draft_is_marked_and_hashed_from_its_current_content(chain):
    m = chain.draft()
    with translation.override("en"):
        _, text = text_of(pdf.render_manifest_pdf(m))
    assert "UNSIGNED DRAFT" in text
    assert content_hash(manifest_content(m)) in text
    assert "Scan to verify" not in text  # drafts are never verifiable


def test_the_qr_code_encodes_the_verification_url(chain, monkeypatch, settings):
    settings.SITE_URL = "https://hwms.example.vn"
    m = ready(chain)
    seen = []
    original = pdf.QRCode.__init__

    def spy(self, data, *args, **kwargs):
        seen.append(data)
        original(self, data, *args, **kwargs)

    monkeypatch.setattr(pdf.QRCode, "__init__", spy)
    pdf.render_manifest_pdf(m)
    assert len(seen) == 1
    url = seen[0]
    assert url.startswith("https://hwms.example.vn/manifests/verify/")
    token = url.rsplit("/", 2)[-2]
    assert verification.read_token(token).manifest_id == m.pk


def test_the_certificate_shows_received_quantities_treatment_and_hash(chain):
    m = completed(chain)
    with translation.override("vi"):
        reader, text = text_of(pdf.render_certificate_pdf(m))
    assert len(reader.pages) == 1
    assert "CHỨNG TỪ CHẤT THẢI NGUY HẠI" in text
    assert m.number in text and "Alpha" in text
    assert "TĐ – Thiêu đốt" in text
    assert "90,00" in text and "40,50" in text
    assert timezone.localdate().strftime("%d/%m/%Y") in text
    assert m.content_hash in text


def test_the_certificate_is_refused_before_completion(chain):
    with pytest.raises(pdf.NotCompleted):
        pdf.render_certificate_pdf(in_transit(chain))


# --- the views ---------------------------------------------------------------------------------------------


def test_a_party_downloads_the_pdf_inline_named_after_the_number(client, chain):
    m = ready(chain)
    for user in (chain.alice, chain.fred, chain.dan, chain.hanoi_official, chain.admin):
        client.force_login(user)
        response = client.get(reverse("manifests:pdf", args=[m.pk]))
        assert response.status_code == 200, user
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'inline; filename="{m.number}.pdf"'
        assert "no-store" in response["Cache-Control"]
        assert response.content.startswith(b"%PDF")


def test_the_pdf_is_not_found_outside_the_scope(client, chain):
    m = ready(chain)
    client.force_login(chain.zoe)
    assert client.get(reverse("manifests:pdf", args=[m.pk])).status_code == 404
    # A draft is seen only by the organisation preparing it.
    draft = chain.draft()
    client.force_login(chain.fred)
    assert client.get(reverse("manifests:pdf", args=[draft.pk])).status_code == 404


def test_the_pdf_needs_a_login(client, chain):
    m = ready(chain)
    response = client.get(reverse("manifests:pdf", args=[m.pk]))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_generator_facility_and_officials_download_the_certificate(client, chain):
    m = completed(chain)
    url = reverse("manifests:certificate", args=[m.pk])
    for user in (chain.alice, chain.vera, chain.fred, chain.hanoi_official, chain.central_official, chain.admin):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, user
        assert response["Content-Disposition"] == f'inline; filename="{m.number}-certificate.pdf"'
    _, text = text_of(response.content)
    assert "Thiêu đốt" in text


def test_the_certificate_is_not_for_drivers_nor_outsiders(client, chain):
    m = completed(chain)
    url = reverse("manifests:certificate", args=[m.pk])
    client.force_login(chain.dan)  # drives for Omega: sees the manifest, has no certificate
    assert client.get(url).status_code == 403
    client.force_login(chain.zoe)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("step", ["draft", "ready", "in_transit"])
def test_there_is_no_certificate_before_completion(client, chain, step):
    m = {"draft": lambda w: w.draft(), "ready": ready, "in_transit": in_transit}[step](chain)
    assert m.status != Status.COMPLETED
    client.force_login(chain.alice)
    assert client.get(reverse("manifests:certificate", args=[m.pk])).status_code == 404


def test_a_rejected_shipment_prints_the_reason(chain):
    m = services.deliver(chain.dan, in_transit(chain))
    m = services.receive(chain.fred, m, lines={}, refuse_reason="Thùng rò rỉ")
    assert m.status == Status.REJECTED
    with translation.override("en"):
        _, text = text_of(pdf.render_manifest_pdf(m))
    assert "Whole shipment rejected: Thùng rò rỉ" in text
    assert "Rejected: Thùng rò rỉ" in text


def test_a_long_manifest_continues_on_further_pages(chain):
    m = chain.draft(lines=[chain.line(quantity=f"{n}.00") for n in range(1, 61)])
    with translation.override("en"):
        reader, text = text_of(pdf.render_manifest_pdf(m))
    pages = len(reader.pages)
    assert pages >= 2
    assert f"Page 1 of {pages}" in text and f"Page 2 of {pages}" in text
    assert content_hash(manifest_content(m)) in text


def test_the_pdf_follows_the_language_the_user_chose(client, chain, settings):
    m = ready(chain)
    client.force_login(chain.alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _, text = text_of(client.get(reverse("manifests:pdf", args=[m.pk])).content)
    assert "Scan to verify" in text and "CHỨNG TỪ CHẤT THẢI NGUY HẠI" in text


def test_the_copy_of_record_needs_few_queries(chain, django_assert_max_num_queries):

    m = completed(chain)
    manifest = selectors.get_manifest_for_user(chain.alice, m.pk)
    with django_assert_max_num_queries(4):
        pdf.render_manifest_pdf(manifest)


# --- the copy of record through the cache ------------------------------------------------------------------


@pytest.fixture
def pdf_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def download(client, m):
    response = client.get(reverse("manifests:pdf", args=[m.pk]))
    assert response.status_code == 200
    return response.content


def test_the_same_copy_downloaded_again_is_served_from_the_cache(client, chain, pdf_cache, monkeypatch):
    m = ready(chain)
    client.force_login(chain.alice)
    first = download(client, m)
    monkeypatch.setattr(pdf, "render_manifest_pdf", lambda *args, **kwargs: pytest.fail("rendered again"))
    assert download(client, m) == first
    # Another party gets the same copy (nothing in it depends on who downloads it).
    client.force_login(chain.fred)
    assert download(client, m) == first


def test_a_changed_manifest_is_never_served_from_a_stale_copy(client, chain, pdf_cache):
    m = ready(chain)
    client.force_login(chain.alice)
    before = download(client, m)
    # A transition: status, vehicle, pickup quantities.
    m = in_transit(chain)
    _, text = text_of(download(client, m))
    assert "51C-123.45" in text and "Đang vận chuyển" in text
    after_pickup = download(client, m)
    assert after_pickup != before
    # A line changed without touching the manifest's row, and a party renamed: both show at once.
    line = m.lines.order_by("position").first()
    type(line).objects.filter(pk=line.pk).update(description="Mô tả mới của dòng")
    type(chain.omega).objects.filter(pk=chain.omega.pk).update(name="Omega đổi tên")
    _, text = text_of(download(client, m))
    assert "Mô tả mới của dòng" in text and "Omega đổi tên" in text


def test_each_language_and_hour_has_its_own_copy(client, chain, pdf_cache, settings):
    m = ready(chain)
    client.force_login(chain.alice)
    _, vietnamese = text_of(download(client, m))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _, english = text_of(download(client, m))
    assert "Quét để kiểm tra" in vietnamese or "CHỨNG TỪ" in vietnamese
    assert "Scan to verify" in english and "Scan to verify" not in vietnamese
    manifest = selectors.get_manifest_for_user(chain.alice, m.pk)
    printed = pdf.Printed.load(manifest)
    key = pdf.manifest_pdf_key(manifest, printed)
    printed.url = printed.url.replace(":", ":x", 1)  # another token: the next hour's
    assert pdf.manifest_pdf_key(manifest, printed) != key
