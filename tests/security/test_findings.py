"""Access bugs the permission matrix found, each with its own test."""

import pytest
from django.urls import reverse

from manifests import verification
from manifests.models import Status
from tests.manifests.lifecycle import at_status

pytestmark = pytest.mark.django_db


def test_a_draft_cancelled_before_it_was_sent_has_no_public_verification_page(chain, client):
    """The QR code printed on a draft's copy opens nothing once the draft is cancelled: it stays private to whoever
    prepared it (the verification page showed its parties and lines to anyone holding the code)."""
    w = chain
    cancelled = at_status(w, Status.CANCELLED)
    assert client.get(reverse("manifests:verify", args=[verification.make_token(cancelled)])).status_code == 404
    sent = at_status(w, Status.READY)
    assert client.get(reverse("manifests:verify", args=[verification.make_token(sent)])).status_code == 200


@pytest.mark.parametrize("persona", ["vera", "hanoi_official", "admin"])
def test_the_handover_code_page_refuses_a_role_too_low_with_403(chain, client, persona):
    """Inside the user's scope, a role too low answers 403 (accounts.policy), not 404 as if Alpha did not exist."""
    w = chain
    client.force_login(getattr(w, persona))
    assert client.get(reverse("manifests:handover_code", args=[w.alpha.pk])).status_code == 403
    client.force_login(w.bob)
    assert client.get(reverse("manifests:handover_code", args=[w.alpha.pk])).status_code == 200
    client.force_login(w.fred)  # Omega is no generator: there is no such page for it
    assert client.get(reverse("manifests:handover_code", args=[w.omega.pk])).status_code == 404
