"""A rejected load still on the truck goes somewhere: back to its generator or to another licensed facility, each a
new manifest linked to the first, signed by the generator, with its own chain; officials see both."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.audit import verify_chains
from accounts.models import AuditEvent
from manifests import selectors, services
from manifests.errors import TransitionError
from manifests.models import FollowUp, Manifest, Status
from tests import factories
from tests.factories import PASSWORD
from tests.manifests.lifecycle import at_status, events, quantities, received_as_declared

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]



@pytest.fixture
def other_facility(chain):
    w = chain
    org = factories.OrganisationFactory(name="Sigma", tax_code="0311111111", is_generator=False, is_facility=True)
    site = factories.SiteFactory(organisation=org, name="Sigma xử lý", ward=w.hcm_ward, latitude="10.9", longitude="106.8")
    permit = factories.PermitFactory(site=site)
    permit.waste_codes.set([w.oil, w.lamps])
    permit.treatment_methods.set([w.recycling])
    w.sigma, w.sigma_site, w.sigma_permit = org, site, permit
    return w


def partly_rejected(w):
    m = at_status(w, Status.DELIVERED)
    first, second = m.lines.order_by("position")
    lines = received_as_declared(m)
    lines[second.pk] = {"rejected": True, "rejection_reason": "Bóng đèn vỡ, không đúng bao gói"}
    return services.receive(w.fred, m, password=PASSWORD, lines=lines)


def test_a_return_brings_the_rejected_lines_back_to_the_generator(chain):
    w = chain
    original = partly_rejected(w)
    assert original.status == Status.RECEIVED and original.has_rejection
    back = services.create_follow_up(w.alice, original, kind=FollowUp.RETURN, password=PASSWORD)
    assert back.origin == original and back.origin_kind == FollowUp.RETURN and back.permit is None
    assert back.status == Status.READY and back.has_official_number and back.generator_signed_by == w.alice
    assert back.facility == w.alpha and back.facility_site == original.generator_site
    [line] = back.lines.all()
    assert line.waste_code == w.lamps and line.quantity_kg == Decimal("40.50") and line.planned_method is None
    # Its own chain: collected where it stands, delivered, received back by the generator, which completes it.
    back = services.pickup(w.dan, back, vehicle=w.truck, quantities=quantities(back))
    back = services.deliver(w.dan, back)
    back = services.receive(w.alice, back, password=PASSWORD, lines=received_as_declared(back))
    assert back.status == Status.COMPLETED and back.completed_by == w.alice
    assert events(back) == ["created", "signed", "picked_up", "delivered", "received"]
    assert "follow_up.created" in events(original)
    assert verify_chains() [1] is None


def test_a_redirect_goes_to_another_licensed_facility_under_its_permit(other_facility):
    w = other_facility
    original = services.receive(w.fred, at_status(w, Status.DELIVERED), password=PASSWORD, lines={}, refuse_reason="Sai mã chất thải")
    with pytest.raises(TransitionError) as refused:
        services.create_follow_up(w.alice, original, kind=FollowUp.REDIRECT, facility_site=w.sigma_site, permit=w.permit, password=PASSWORD)
    assert "permit" in refused.value.errors
    with pytest.raises(TransitionError, match="not permitted"):
        services.create_follow_up(
            w.alice, original, kind=FollowUp.REDIRECT, facility_site=w.sigma_site, permit=w.sigma_permit, planned_method=w.incineration, password=PASSWORD
        )
    onward = services.create_follow_up(
        w.alice, original, kind=FollowUp.REDIRECT, facility_site=w.sigma_site, permit=w.sigma_permit, planned_method=w.recycling, password=PASSWORD
    )
    assert onward.facility == w.sigma and onward.permit == w.sigma_permit and onward.lines.count() == 2
    assert {line.planned_method for line in onward.lines.all()} == {w.recycling}
    # Officials see both; the refusing facility is told, the new one has work.
    for official in (w.hanoi_official, w.central_official):
        assert set(selectors.visible_manifests(official).filter(pk__in=[original.pk, onward.pk])) == {original, onward}
    with pytest.raises(TransitionError, match="already has a follow-up"):
        services.create_follow_up(w.alice, original, kind=FollowUp.RETURN, password=PASSWORD)


def test_only_the_generator_decides_and_only_for_a_rejection(chain):
    w = chain
    original = partly_rejected(w)
    for person in (w.fred, w.dan, w.vera):
        with pytest.raises(PermissionDenied):
            services.create_follow_up(person, original, kind=FollowUp.RETURN, password=PASSWORD)
    with pytest.raises(TransitionError, match="password"):
        services.create_follow_up(w.alice, original, kind=FollowUp.RETURN, password="wrong")
    clean = at_status(w, Status.RECEIVED)
    with pytest.raises(TransitionError, match="Nothing of this manifest was rejected"):
        services.create_follow_up(w.alice, clean, kind=FollowUp.RETURN, password=PASSWORD)
    assert not Manifest.objects.filter(origin__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="follow_up.created").exists()


def test_the_follow_up_page_signs_the_return_and_links_both_manifests(client, chain):
    w = chain
    original = partly_rejected(w)
    client.force_login(w.alice)
    client.cookies["django_language"] = "en"
    detail = client.get(reverse("manifests:detail", args=[original.pk])).content.decode()
    url = reverse("manifests:follow_up", args=[original.pk])
    assert url in detail
    page = client.get(url)
    assert page.status_code == 200 and "Bóng đèn vỡ" in page.content.decode()
    refused = client.post(url, {"kind": "redirect", "password": PASSWORD})
    assert refused.status_code == 200 and refused.context["form"].errors["facility_site"]
    response = client.post(url, {"kind": "return", "password": PASSWORD})
    back = Manifest.objects.get(origin=original)
    assert response.status_code == 302 and response.url == reverse("manifests:detail", args=[back.pk])
    assert back.number in client.get(reverse("manifests:detail", args=[original.pk])).content.decode()
    assert original.number in client.get(response.url).content.decode()
    assert client.get(url).status_code == 302  # decided: back to the manifest
    assert client.get(url, follow=True).status_code == 200
    client.force_login(w.fred)
    assert client.get(url).status_code == 403
