"""A refused permission answers 403 on every manifest page (the draft form included), and a status looks the same
on every page that shows it."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from manifests import services
from manifests.models import Manifest, Status
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_draft_naming_parties_the_user_does_not_act_for_is_refused_with_403(client, chain):
    """Someone in a generator and in a facility is offered every generator and facility site; choosing two
    sites of other companies is refused by the services, like every other refused permission."""
    w = chain
    kappa = factories.OrganisationFactory(name="Kappa", tax_code="0312345678", is_generator=False, is_facility=True)
    factories.SiteFactory(organisation=kappa, name="Kappa xử lý", ward=w.hcm_ward)
    gina = factories.UserFactory(username="gina")
    factories.MembershipFactory(user=gina, organisation=w.zeta, role=Membership.Role.MEMBER)
    factories.MembershipFactory(user=gina, organisation=kappa, role=Membership.Role.MEMBER)
    client.force_login(gina)
    data = {
        "generator_site": w.alpha_hn.pk,
        "facility_site": w.omega_site.pk,
        "permit": w.permit.pk,
        "transporter": w.omega.pk,
        "planned_pickup_date": timezone.localdate().isoformat(),
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-waste_code": "17 02 03",
        "lines-0-description": "Dầu thải",
        "lines-0-physical_state": "liquid",
        "lines-0-packaging_type": "drum",
        "lines-0-packaging_count": "1",
        "lines-0-quantity_kg": "10",
    }
    response = client.post(reverse("manifests:create"), data)
    assert response.status_code == 403
    assert Manifest.objects.count() == 0


def badge(manifest):
    return render_to_string("manifests/partials/status_badge.html", {"manifest": manifest})


def test_one_badge_partial_colours_each_status_once(chain):
    colours = {status: badge(Manifest(status=status)) for status in Status.values}
    assert 'badge badge-ok"' in colours[Status.COMPLETED]
    assert 'badge badge-danger"' in colours[Status.REJECTED] and 'badge badge-danger"' in colours[Status.CANCELLED]
    for status in (Status.IN_TRANSIT, Status.DELIVERED, Status.SEALED, Status.READY, Status.RECEIVED):
        assert 'badge badge-warn"' in colours[status]


def test_a_manifest_in_transit_has_the_same_badge_on_the_list_the_driver_page_and_the_facility_page(client, chain):
    w = chain
    m = services.sign(w.alice, w.draft(), PASSWORD)
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in m.lines.all()})
    expected = badge(m).strip()
    pages = [
        (w.alice, reverse("manifests:list")),
        (w.dan, reverse("manifests:driver_list")),
        (w.fred, reverse("manifests:incoming")),
        (w.alice, reverse("manifests:detail", args=[m.pk])),
    ]
    for user, url in pages:
        client.force_login(user)
        assert expected in client.get(url).content.decode(), url
