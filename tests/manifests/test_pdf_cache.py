"""The copy of record printed again within the minute comes from the cache, under a digest of everything it prints:
a changed manifest, line, party, language or verification token is never served from an older copy."""

import pytest
from django.urls import reverse

from manifests import pdf, selectors, services
from tests.factories import PASSWORD

from .test_pdf import in_transit, ready, text_of

pytestmark = pytest.mark.django_db


def download(client, m):
    response = client.get(reverse("manifests:pdf", args=[m.pk]))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    return response.content


def test_the_same_copy_downloaded_again_is_served_from_the_cache(client, chain, monkeypatch):
    m = ready(chain)
    client.force_login(chain.alice)
    first = download(client, m)
    monkeypatch.setattr(pdf, "render_manifest_pdf", lambda *args, **kwargs: pytest.fail("rendered again"))
    assert download(client, m) == first
    # Another party gets the same copy: nothing in it depends on who downloads it.
    client.force_login(chain.fred)
    assert download(client, m) == first


def test_a_changed_manifest_line_or_party_is_never_served_from_an_older_copy(client, chain):
    m = ready(chain)
    client.force_login(chain.alice)
    before = download(client, m)
    m = in_transit(chain)  # status, vehicle, quantities at pickup, the driver's signature block
    _, text = text_of(download(client, m))
    assert "51C-123.45" in text and "Đang vận chuyển" in text
    assert download(client, m) != before
    line = m.lines.order_by("position").first()
    type(line).objects.filter(pk=line.pk).update(description="Mô tả mới của dòng")  # the manifest's row unchanged
    type(chain.omega).objects.filter(pk=chain.omega.pk).update(name="Omega đổi tên")
    _, text = text_of(download(client, m))
    assert "Mô tả mới của dòng" in text and "Omega đổi tên" in text


def test_each_language_token_and_minute_has_its_own_copy(client, chain, settings, monkeypatch):
    m = ready(chain)
    client.force_login(chain.alice)
    _, vietnamese = text_of(download(client, m))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _, english = text_of(download(client, m))
    assert "Quét để xác minh" in vietnamese and "Scan to verify" in english and "Scan to verify" not in vietnamese
    manifest = selectors.get_manifest_for_user(chain.alice, m.pk)
    printed = pdf.Printed.load(manifest)
    key = pdf.manifest_pdf_key(manifest, printed)
    printed.url = printed.url.replace("/verify/", "/verify/x")  # the next hour's token
    assert pdf.manifest_pdf_key(manifest, printed) != key
    printed = pdf.Printed.load(manifest)
    assert pdf.manifest_pdf_key(manifest, printed) == key
    monkeypatch.setattr(pdf, "format_datetime", lambda value: "another minute")
    assert pdf.manifest_pdf_key(manifest, printed) != key


def test_a_signature_changes_the_copy(client, chain):
    m = chain.draft()
    client.force_login(chain.alice)
    _, draft_text = text_of(download(client, m))
    services.sign(chain.alice, m, PASSWORD)
    _, signed_text = text_of(download(client, m))
    assert "UNSIGNED" not in signed_text and "CHƯA KÝ" not in signed_text and signed_text != draft_text


def test_the_key_reads_only_what_was_loaded(chain, django_assert_num_queries):
    m = in_transit(chain)
    manifest = selectors.get_manifest_for_user(chain.alice, m.pk)
    printed = pdf.Printed.load(manifest)
    with django_assert_num_queries(0):
        pdf.manifest_pdf_key(manifest, printed)
