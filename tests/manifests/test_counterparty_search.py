"""The security test's "also seen": a facility's draft form listed every generator site of the country, a
generator's every facility and transporter. Long party lists are now searched (manifests:counterparties) over
the user's PERMITTED choices only — facility sites with a permit in force, licensed transporters, active generator
sites for a facility preparing on a generator's behalf — at most COUNTERPARTY_RESULTS at a time; few choices stay a
plain select that works without JavaScript."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from manifests import draft_choices
from manifests.models import Manifest
from tests import factories
from tests.manifests.test_views_generator import draft_data

pytestmark = pytest.mark.django_db

URL = reverse("manifests:counterparties")


def search(client, role, q="", **extra):
    return client.get(URL, {"role": role, "q": q, **extra})


def values(response):
    assert response.status_code == 200, response.status_code
    return [result["value"] for result in response.json()["results"]]


@pytest.fixture
def others(chain):
    """A facility whose permit has expired, a transporter without a transport permit, a second generator."""
    w = chain
    w.lapsed = factories.PermitFactory(
        site__name="Lò đốt Omicron", site__organisation__name="Omicron", site__organisation__tax_code="0108888888",
        valid_until=timezone.localdate() - timedelta(days=1),
    ).site
    w.unlicensed = factories.OrganisationFactory(name="Omega Vận tải chui", tax_code="0109999999", is_generator=False, is_transporter=True)
    return w


def test_a_generator_finds_only_facilities_with_a_permit_in_force(client, others):
    w = others
    client.force_login(w.alice)
    assert values(search(client, "facility_site", "Om")) == [w.omega_site.pk]  # not Omicron (permit expired)
    assert values(search(client, "facility_site", "0301")) == [w.omega_site.pk]  # by tax code
    assert values(search(client, "facility_site", "Zeta")) == []  # a generator, not a facility


def test_a_generator_finds_only_licensed_transporters_and_itself(client, others):
    w = others
    client.force_login(w.alice)
    assert values(search(client, "transporter", "Omega")) == [w.omega.pk]
    assert values(search(client, "transporter", "Alpha")) == [w.alpha.pk]  # self-transport
    assert values(search(client, "transporter", "Zeta")) == []


def test_a_generator_picks_among_its_own_sites_only(client, others):
    w = others
    client.force_login(w.alice)
    assert sorted(values(search(client, "generator_site", "Alpha"))) == sorted([w.alpha_hn.pk, w.alpha_hcm.pk])
    assert values(search(client, "generator_site", "Zeta")) == []
    client.force_login(w.bob)  # limited to the Hà Nội site
    assert values(search(client, "generator_site", "Alpha")) == [w.alpha_hn.pk]


def test_a_facility_finds_any_active_generator_site_and_only_its_own_facility(client, others):
    w = others
    client.force_login(w.fred)
    assert values(search(client, "generator_site", "Zeta")) == [w.zeta_site.pk]
    assert values(search(client, "facility_site", "Om")) == [w.omega_site.pk]
    w.zeta_site.active = False
    w.zeta_site.save()
    assert values(search(client, "generator_site", "Zeta")) == []


def test_results_are_bounded_and_need_two_characters(client, others):
    w = others
    for number in range(draft_choices.COUNTERPARTY_RESULTS + 5):
        factories.SiteFactory(organisation=w.zeta, name=f"Kho số {number}", ward=w.hcm_ward)
    client.force_login(w.fred)
    assert len(values(search(client, "generator_site", "Kho"))) == draft_choices.COUNTERPARTY_RESULTS
    assert values(search(client, "generator_site", "K")) == []
    assert values(search(client, "generator_site", "K" * 5000)) == []  # cut, not an error


def test_the_permits_of_one_chosen_facility_site(client, others):
    w = others
    client.force_login(w.alice)
    response = search(client, "permit", site=w.omega_site.pk)
    assert values(response) == [w.permit.pk] and response.json()["results"][0]["site"] == w.omega_site.pk
    assert values(search(client, "permit", site=w.lapsed.pk)) == []  # no permit in force
    assert search(client, "permit", site="9" * 30).status_code == 404
    assert search(client, "permit").status_code == 404


@pytest.mark.parametrize("persona", ["vera", "dan", "central_official", "nobody"])
def test_who_may_not_prepare_a_manifest_searches_nothing(client, others, persona):
    client.force_login(getattr(others, persona))
    assert search(client, "facility_site", "Om").status_code == 404


def test_anonymous_and_unknown_lists(client, others):
    assert search(client, "facility_site", "Om").status_code == 302
    client.force_login(others.alice)
    assert search(client, "organisation", "Om").status_code == 404
    assert search(client, "", "Om").status_code == 404
    assert client.post(URL, {"role": "facility_site"}).status_code == 405


def test_a_long_list_is_searched_and_a_short_one_listed(client, others, monkeypatch):
    w = others
    monkeypatch.setattr(draft_choices, "COUNTERPARTY_LIST_LIMIT", 1)
    client.force_login(w.fred)
    form = client.get(reverse("manifests:create")).context["form"]
    html = str(form["generator_site"])
    assert "data-counterparty-search" in html and "role=generator_site" in html
    assert w.zeta_site.name not in html and w.alpha_hn.name not in html  # only the chosen one would be listed
    own = str(form["facility_site"])
    assert "data-counterparty-search" not in own and w.omega_site.name in own  # one choice: a plain select
    # A site found by the search is accepted on submission (the form checks the whole permitted set).
    data = draft_data(w, generator_site=w.zeta_site.pk)
    response = client.post(reverse("manifests:create"), data)
    assert response.status_code == 302
    made = Manifest.objects.get(generator_site=w.zeta_site)
    assert made.prepared_by == w.omega
    # After an error, the chosen site is still shown.
    data["planned_pickup_date"] = ""
    again = client.post(reverse("manifests:create"), data)
    assert again.status_code == 200 and w.zeta_site.name in str(again.context["form"]["generator_site"])


def test_a_member_of_a_generator_and_a_facility_gets_both(client, others):
    w = others
    Membership.objects.create(user=w.alice, organisation=w.omega, role=Membership.Role.MEMBER)
    client.force_login(w.alice)
    assert values(search(client, "generator_site", "Zeta")) == [w.zeta_site.pk]
