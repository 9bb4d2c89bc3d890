"""Bugs found in the browser review, each with the test that failed before the fix."""


import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from manifests import services
from tests import factories
from tests.factories import PASSWORD


def completed(w):
    m = services.sign(w.alice, w.draft(), PASSWORD)
    lines = list(m.lines.all())
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in lines})
    m = services.receive(w.fred, m, lines={line.pk: {"received_quantity_kg": line.quantity_kg} for line in lines})
    today = timezone.localdate()
    return services.treat(w.fred, m, lines={line.pk: {"treatment_method": w.incineration, "treated_on": today} for line in lines}), lines


@pytest.mark.django_db
def test_an_approved_revision_beyond_the_tolerance_is_a_discrepancy(chain):
    w = chain
    m, lines = completed(w)
    assert not m.has_discrepancy
    revision = services.request_revision(w.alice, m, changes={lines[0].pk: {"received_quantity_kg": "140"}}, comment="Cân lại tại cơ sở")
    services.decide_revision(w.fred, revision, approve=True)
    m.refresh_from_db()
    line = m.lines.get(pk=lines[0].pk)
    assert m.version == 2 and m.has_discrepancy
    assert line.discrepancy and line.discrepancy_comment == "Cân lại tại cơ sở"


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


