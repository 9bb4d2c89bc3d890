"""The home page composes each app's summary for the user's role; error pages are the portal's own."""

import pytest
from django.urls import reverse

from accounts.models import Membership
from tests import factories


@pytest.mark.django_db
def test_the_home_page_offers_new_manifest_only_to_who_may_create(client, world):
    carrier = factories.OrganisationFactory(name="Carrier", tax_code="0107777777", is_generator=False, is_transporter=True)
    boss = factories.UserFactory(username="carrier_admin")
    factories.MembershipFactory(user=boss, organisation=carrier, role=Membership.Role.ADMIN)
    client.force_login(boss)
    page = client.get("/").content.decode()
    assert reverse("manifests:create") not in page
    assert reverse("manifests:driver_list") in page
    assert client.get(reverse("manifests:create")).status_code == 403
    client.force_login(world.alice)
    assert reverse("manifests:create") in client.get("/").content.decode()


@pytest.mark.django_db
def test_error_pages_are_the_portals_own(client, world, settings):
    settings.DEBUG = False
    client.force_login(world.zoe)
    response = client.get(reverse("manifests:detail", args=[999999]))
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


