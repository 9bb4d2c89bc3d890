"""The facility's incoming page and the driver's list read the manifests' own columns through their partial
indexes, not through the access policy's OR: they must still show exactly what the rule (policy.manifest_q) lets
the user read, section by section and in the same order. The officials' home figures come from the cache and
follow every change of the registry."""

import pytest
from django.urls import reverse

from accounts.models import Membership
from manifests import selectors
from manifests.models import Manifest, Status
from manifests.views import driver as driver_views
from manifests.views import facility as facility_views
from tests import factories
from tests.manifests.lifecycle import at_status

pytestmark = pytest.mark.django_db

NEWEST_FIRST = ("-created_at", "-id")


@pytest.fixture
def busy(chain):
    """Two manifests at every status; one of each status moved to a second Omega site, which a member limited to
    the first site must not see on the incoming page."""
    w = chain
    w.omega_annex = factories.SiteFactory(organisation=w.omega, name="Omega kho phụ", ward=w.hcm_ward)
    w.limited = factories.UserFactory(username="omega_first_site")
    membership = factories.MembershipFactory(user=w.limited, organisation=w.omega, role=Membership.Role.MEMBER)
    membership.sites.set([w.omega_site])
    for status in Status:
        at_status(w, status)
        moved = at_status(w, status, site=w.alpha_hcm)
        Manifest.objects.filter(pk=moved.pk).update(facility_site=w.omega_annex)
    return w


def page_ids(client, user, url, params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("persona", ["fred", "limited", "alice", "dan", "central_official"])
@pytest.mark.parametrize("show", ["coming", "pending"])
def test_the_incoming_page_lists_what_the_rule_lets_the_user_read_at_their_facility_sites(client, busy, persona, show):
    w = busy
    user = getattr(w, persona)
    statuses = facility_views.COMING if show == "coming" else facility_views.PENDING
    sites = list(facility_views.facility_sites(user))
    expected = (
        selectors.visible_manifests(user)
        .filter(facility_site__in=sites, status__in=statuses)
        .order_by(*NEWEST_FIRST)
        .values_list("pk", flat=True)
    )
    response = page_ids(client, user, reverse("manifests:incoming"), {"show": show})
    assert [m.pk for m in response.context["page"].items] == list(expected)
    counts = {status: count for status, _label, count in response.context["counts"]}
    for status in facility_views.COMING + facility_views.PENDING:
        visible = selectors.visible_manifests(user).filter(facility_site__in=sites, status=status).count()
        assert counts[status] == (visible, False)
    if persona == "limited":
        assert expected and not Manifest.objects.filter(pk__in=list(expected), facility_site=w.omega_annex).exists()


@pytest.mark.parametrize("persona", ["dan", "fred", "alice", "zoe"])
def test_the_driver_sections_are_what_the_rule_lets_the_user_read(client, busy, persona):
    user = getattr(busy, persona)
    response = page_ids(client, user, reverse("manifests:driver_list"), {})
    sections = {
        "to_pick_up": driver_views.driver_manifests(user)
        .filter(status__in=driver_views.TO_PICK_UP)
        .order_by("planned_pickup_date", "number"),
        "to_deliver": driver_views.driver_manifests(user).filter(status=Status.IN_TRANSIT).order_by("picked_up_at", "number"),
    }
    for name, expected in sections.items():
        assert [m.pk for m in response.context[name]] == list(expected.values_list("pk", flat=True)), name
        assert response.context["counts"][name] == (expected.count(), False)
    delivered = driver_views.driver_manifests(user).filter(delivered_at__isnull=False)
    assert {m.pk for m in response.context["delivered_today"]} == set(delivered.values_list("pk", flat=True))
    assert bool(response.context["to_pick_up"]) == (persona in ("dan", "fred"))


def test_the_officials_home_figures_follow_new_and_removed_sites_and_organisations(client, chain):
    w = chain
    client.force_login(w.central_official)

    def figures():
        return client.get(reverse("home")).context["official"]

    before = figures()
    assert before["site_count"] == 4 and before["organisation_count"] == 3
    assert figures() == before  # from the cache
    newcomer = factories.OrganisationFactory(name="Nova", tax_code="0311111111", is_generator=False, is_facility=True)
    site = factories.SiteFactory(organisation=newcomer, name="Nova xử lý", ward=w.hcm_ward)
    after = figures()
    assert (after["organisation_count"], after["site_count"], after["facility_count"]) == (4, 5, before["facility_count"] + 1)
    site.delete()
    assert figures()["site_count"] == 4
    client.force_login(w.hanoi_official)
    assert figures()["site_count"] == 1  # Alpha's Hà Nội site: the key holds the jurisdiction
