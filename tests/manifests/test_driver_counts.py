"""The driver's section badges count every manifest of the section, not only the twenty listed."""

import pytest
from django.urls import reverse

from manifests import services
from manifests.views import driver as driver_views
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_badges_count_beyond_the_listed_manifests(client, chain, monkeypatch):
    w = chain
    monkeypatch.setattr(driver_views, "SECTION_LIMIT", 2)
    for _ in range(3):
        services.sign(w.alice, w.draft(), PASSWORD)
    client.force_login(w.dan)
    response = client.get(reverse("manifests:driver_list"))
    assert len(response.context["to_pick_up"]) == 2 and response.context["truncated"]
    assert response.context["counts"]["to_pick_up"] == (3, False)
    assert '<span class="badge">3</span>' in response.content.decode()
