"""Roadside verification: signed expiring tokens and the public page that shows only what a check needs."""

import re
import time
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from manifests import services, verification
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def ready(w):
    return services.sign(w.alice, w.draft(), PASSWORD)


def picked_up(w):
    m = ready(w)
    return services.pickup(
        w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg - 1 for line in m.lines.all()},
        latitude=Decimal("21.03"), longitude=Decimal("105.85"), accuracy_m=Decimal(12),
    )


def completed(w):
    m = services.deliver(w.dan, picked_up(w))
    lines = list(m.lines.all())
    m = services.receive(w.fred, m, password=PASSWORD, lines={line.pk: {"received_quantity_kg": line.pickup_quantity_kg} for line in lines})
    today = timezone.localdate()
    return services.treat(w.fred, m, password=PASSWORD, lines={line.pk: {"treatment_method": w.incineration, "treated_on": today} for line in lines})


def verify_path(m):
    return reverse("manifests:verify", args=[verification.make_token(m)])


# --- tokens ------------------------------------------------------------------------------------------------


def test_a_token_reads_back_the_manifest_and_version(chain):
    m = ready(chain)
    data = verification.read_token(verification.make_token(m))
    assert (data.manifest_id, data.version) == (m.pk, m.version)


def test_a_tampered_token_is_invalid(chain):
    m = ready(chain)
    token = verification.make_token(m)
    other = f"{m.pk + 1}.1" + token[token.index(":"):]
    for bad in (other, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "", "nonsense", "1.1:abc:def"):
        with pytest.raises(verification.TokenInvalid):
            verification.read_token(bad)


def test_a_token_expires_after_the_configured_days(chain, settings):
    settings.HWMS_VERIFY_TOKEN_MAX_AGE_DAYS = 30
    m = ready(chain)
    token = verification.make_token(m)
    later = time.time() + timedelta(days=29).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert verification.read_token(token).manifest_id == m.pk
    later = time.time() + timedelta(days=31).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=later), pytest.raises(verification.TokenExpired):
        verification.read_token(token)


def test_the_verification_url_is_absolute_on_the_site_url(chain, settings):
    settings.SITE_URL = "https://hwms.example.vn/"
    m = ready(chain)
    url = verification.verify_url(m)
    assert url.startswith("https://hwms.example.vn/manifests/verify/") and url.endswith("/")


# --- the public page ---------------------------------------------------------------------------------------


def test_the_page_shows_number_status_parties_lines_vehicle_and_last_event_without_login(client, chain):
    m = picked_up(chain)
    response = client.get(verify_path(m))
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    html = response.content.decode()
    assert '<meta name="robots" content="noindex' in html
    assert m.number in html
    assert m.get_status_display() in html
    assert "Alpha" in html and "Thành phố Hà Nội" in html and "Omega" in html
    assert "17 02 03" in html and "16 01 06" in html
    assert re.search(r'<td class="num"[^>]*>100</td>', html)  # declared, in the one number format (no trailing zeros)
    assert re.search(r'<td class="num"[^>]*>99</td>', html)  # picked up
    assert "51C-123.45" in html
    assert str(verification.event_label("picked_up")) in html
    assert timezone.localtime(m.picked_up_at).strftime("%d/%m/%Y %H:%M") in html


def test_the_page_discloses_no_people_addresses_or_hashes(client, chain):
    m = picked_up(chain)
    html = client.get(verify_path(m)).content.decode()
    for secret in (
        "alice", "alice@example.vn", "Alice", "dan@example.vn", "Số 1 đường Láng", "Phường Hoàn Kiếm",
        "0101234567", m.content_hash, "21.03", "Dầu thải từ máy nén", m.permit.number,
    ):
        assert secret not in html, secret


def test_an_expired_code_answers_410_with_an_explanation(client, chain, settings):
    settings.HWMS_VERIFY_TOKEN_MAX_AGE_DAYS = 30
    m = ready(chain)
    path = verify_path(m)
    later = time.time() + timedelta(days=31).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.get(path)
    assert response.status_code == 410
    html = response.content.decode()
    assert "expired" in html.lower() or "hết hạn" in html.lower()
    assert m.number not in html


def test_a_tampered_code_answers_404(client, chain):
    m = ready(chain)
    token = verification.make_token(m)
    forged = f"{m.pk}.2" + token[token.index(":"):]
    assert client.get(reverse("manifests:verify", args=[forged])).status_code == 404
    assert client.get(reverse("manifests:verify", args=["garbage"])).status_code == 404


def test_a_draft_is_never_verifiable(client, chain):
    m = chain.draft()
    assert client.get(verify_path(m)).status_code == 404


def test_a_completed_manifest_stays_verifiable_and_the_page_says_when_a_newer_version_exists(client, chain):
    m = completed(chain)
    path = verify_path(m)  # printed for version 1
    line = m.lines.first()
    revision = services.request_revision(chain.alice, m, changes={line.pk: {"received_quantity_kg": "95"}}, comment="Cân lại")
    services.decide_revision(chain.fred, revision, approve=True)
    m.refresh_from_db()
    assert m.version == 2
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert m.get_status_display() in html
    assert "version 1" in html.lower() or "phiên bản 1" in html.lower()


def test_the_drivers_of_the_transporter_get_a_link_to_the_pickup(client, chain):
    m = ready(chain)
    pickup_url = reverse("manifests:pickup", args=[m.pk])
    client.force_login(chain.dan)
    assert pickup_url in client.get(verify_path(m)).content.decode()
    # Not for the generator, nor for outsiders, nor anonymous visitors.
    for user in (chain.alice, chain.zoe, None):
        client.logout()
        if user:
            client.force_login(user)
        assert pickup_url not in client.get(verify_path(m)).content.decode()


def test_no_pickup_link_once_picked_up(client, chain):
    m = picked_up(chain)
    client.force_login(chain.dan)
    assert reverse("manifests:pickup", args=[m.pk]) not in client.get(verify_path(m)).content.decode()


def test_those_who_see_the_manifest_get_a_link_to_its_page(client, chain):
    m = ready(chain)
    detail_url = reverse("manifests:detail", args=[m.pk])
    client.force_login(chain.alice)
    assert f'href="{detail_url}"' in client.get(verify_path(m)).content.decode()
    client.force_login(chain.zoe)
    assert f'href="{detail_url}"' not in client.get(verify_path(m)).content.decode()
