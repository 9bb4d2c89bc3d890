"""Who reads which manifest (accounts.policy.manifest_q), who reads the completion certificate, which of the
user's organisations count for a kind: persona tables over the `world` fixture, fast enough for mutation testing
(docs/testing.md), where these rules had no test of their own among the rule tests."""

import pytest

from accounts import policy
from manifests import rules, selectors, services
from manifests.models import Status
from tests.factories import PASSWORD
from tests.manifests.lifecycle import PERSONAS, at_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def manifests(chain):
    """Alpha's manifests at its two sites, at the statuses where the rule changes, and one the facility prepared."""
    w = chain
    found = {
        "draft_hn": w.draft(),
        "draft_hcm": w.draft(site=w.alpha_hcm),
        "draft_by_omega": w.draft(w.fred),
        "cancelled_draft": services.cancel(w.alice, w.draft(), "Nhầm"),
        "sealed_hn": services.seal(w.alice, w.draft()),
        "sealed_hcm": services.seal(w.alice, w.draft(site=w.alpha_hcm)),
        "cancelled_after_sealing": services.cancel(w.alice, services.seal(w.alice, w.draft()), "Kế hoạch thay đổi"),
    }
    assert found["cancelled_draft"].number.startswith(policy.DRAFT_REFERENCE_PREFIX)
    assert not found["cancelled_after_sealing"].number.startswith(policy.DRAFT_REFERENCE_PREFIX)
    return found


PAST_DRAFT = {"sealed_hn", "sealed_hcm", "cancelled_after_sealing"}
ALPHA_PRIVATE = {"draft_hn", "draft_hcm", "cancelled_draft"}
READS = {
    # Alpha's admin and viewer: everything of Alpha but the draft Omega prepares for it.
    "alice": ALPHA_PRIVATE | PAST_DRAFT,
    "vera": ALPHA_PRIVATE | PAST_DRAFT,
    # bob, limited to the Hà Nội site: only that site's.
    "bob": {"draft_hn", "cancelled_draft", "sealed_hn", "cancelled_after_sealing"},
    # Omega (facility and transporter), any role: its own draft and everything past the draft.
    "fred": {"draft_by_omega"} | PAST_DRAFT,
    "dan": {"draft_by_omega"} | PAST_DRAFT,
    "zoe": set(),
    "nobody": set(),
    # Officials: past the draft, in their province (generator's or facility's: HCM sites send to HCM).
    "hanoi_official": {"sealed_hn", "cancelled_after_sealing"},
    "central_official": PAST_DRAFT,
    "admin": PAST_DRAFT,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_which_manifest(chain, manifests, persona):
    user = getattr(chain, persona)
    visible = set(selectors.visible_manifests(user).values_list("pk", flat=True))
    assert {name for name, m in manifests.items() if m.pk in visible} == READS[persona]


def test_a_provincial_official_reads_by_the_facilitys_province_too(chain):
    """A manifest from Hà Nội to an HCM facility is read by HCM's officials as well."""
    from tests import factories

    w = chain
    hcm_official = factories.JurisdictionFactory(user=factories.UserFactory(username="hcm_official"), province=w.hcm).user
    m = services.seal(w.alice, w.draft())
    assert m.province_id == w.hanoi.pk and m.facility_province_id == w.hcm.pk
    assert selectors.visible_manifests(hcm_official).filter(pk=m.pk).exists()


CERTIFICATE = {
    "alice": "alpha", "bob": "alpha", "vera": "alpha", "fred": "omega",
    "dan": None, "zoe": None, "nobody": None,  # a driver is not a reader of the certificate
    "hanoi_official": rules.READER, "central_official": rules.READER, "admin": rules.READER,
}  # fmt: skip


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_the_completion_certificate(chain, persona):
    w = chain
    m = at_status(w, Status.COMPLETED)
    expected = CERTIFICATE[persona]
    expected = getattr(w, expected).pk if isinstance(expected, str) else expected
    assert rules.acting_organisation(getattr(w, persona), m, "certificate") == expected
    assert rules.may(getattr(w, persona), m, "certificate") == (expected is not None, True)


def test_may_tells_the_role_and_the_status_apart(chain):
    w = chain
    m = w.draft()
    assert rules.may(w.alice, m, "sign") == (True, True)
    assert rules.may(w.zoe, m, "sign") == (False, True)
    assert rules.may(w.alice, m, "pickup") == (False, False)
    signed = services.sign(w.alice, m, PASSWORD)
    assert rules.may(w.alice, signed, "sign") == (True, False)
    assert rules.may(w.dan, signed, "pickup") == (True, True)
    assert rules.acting_organisation(w.dan, signed, "pickup") == w.omega.pk


def test_organisations_of_a_kind_and_role(chain):
    w = chain
    assert policy.organisations_with(w.alice, "generator") == [w.alpha]
    assert policy.organisations_with(w.alice, "facility") == []
    assert policy.organisations_with(w.fred, "facility") == [w.omega]
    assert policy.organisations_with(w.fred, "transporter") == [w.omega]
    assert policy.organisations_with(w.fred, "generator") == []
    assert policy.organisations_with(w.vera, "generator") == [w.alpha]
    assert policy.organisations_with(w.vera, "generator", policy.ACT_ROLES) == []
    assert policy.organisations_with(w.dan, "transporter", policy.TRANSPORT_ROLES) == [w.omega]
    assert policy.organisations_with(w.dan, "facility", policy.ACT_ROLES) == []
    assert policy.organisations_with(w.nobody, "generator") == []


def test_the_parties_of_a_manifest_count_once(chain):
    """A facility that transports is one party; a separate transporter is a third, with no site of its own."""
    from tests import factories

    w = chain
    m = w.draft()
    assert rules.parties(m) == [w.alpha.pk, w.omega.pk]
    assert rules.party_candidates(m) == [(w.alpha.pk, w.alpha_hn.pk), (w.omega.pk, w.omega_site.pk)]
    carrier = factories.OrganisationFactory(name="Tàu", tax_code="0401234567", is_generator=False, is_transporter=True)
    m.transporter = carrier
    assert rules.parties(m) == [w.alpha.pk, carrier.pk, w.omega.pk]
    assert rules.party_candidates(m)[1] == (carrier.pk, None)


def test_a_refusal_by_status_names_the_status_in_the_readers_words(chain):
    from django.utils import translation

    w = chain
    m = at_status(w, Status.COMPLETED)
    with translation.override("en"), pytest.raises(services.TransitionError) as excinfo:
        rules.check(w.alice, m, "sign")
    assert excinfo.value.message == "This manifest is now “Completed”; the action is no longer possible."


def test_the_sites_a_user_acts_at_are_read_once_per_request_until_forgotten(chain, django_assert_num_queries):
    """Every action button of a list asks acts_at: one query for the request, not one per manifest; a change of
    membership within the request is seen once the scope is forgotten."""
    from accounts.models import User

    w = chain
    bob = User.objects.get(pk=w.bob.pk)
    assert policy.acts_at(bob, w.alpha_hn.pk) and not policy.acts_at(bob, w.alpha_hcm.pk)
    with django_assert_num_queries(0):
        assert policy.acts_at(bob, w.alpha_hn.pk) and not policy.acts_at(bob, w.alpha_hcm.pk)
    bob.memberships.get().sites.set([w.alpha_hcm])
    assert policy.acts_at(bob, w.alpha_hn.pk)  # still the request's answer
    policy.forget_scope(bob)
    assert policy.acts_at(bob, w.alpha_hcm.pk) and not policy.acts_at(bob, w.alpha_hn.pk)


def test_a_separate_transporter_reads_what_it_carries_once_past_the_draft(chain):
    """Omega both treats and transports, so the table above cannot tell the transporter's rule apart: here a
    third organisation carries. Its members (not limited to a site: the transport has none) read the manifest once
    it is sealed, never the draft."""
    from django.utils import timezone

    from accounts.models import Membership
    from tests import factories

    w = chain
    carrier = factories.OrganisationFactory(name="Tàu", tax_code="0401234567", is_generator=False, is_transporter=True)
    depot = factories.SiteFactory(organisation=carrier, ward=w.hcm_ward)
    factories.PermitFactory(site=depot, covers_transport=True)
    tina = factories.MembershipFactory(user=factories.UserFactory(username="tina"), organisation=carrier, role=Membership.Role.DRIVER).user
    draft = services.create_draft(
        w.alice, generator_site=w.alpha_hn, facility_site=w.omega_site, permit=w.permit, transporter=carrier,
        planned_pickup_date=timezone.localdate(), lines=[w.line()],
    )  # fmt: skip
    assert not selectors.visible_manifests(tina).filter(pk=draft.pk).exists()
    sealed = services.seal(w.alice, draft)
    assert selectors.visible_manifests(tina).filter(pk=sealed.pk).exists()
    assert not selectors.visible_manifests(w.zoe).filter(pk=sealed.pk).exists()


def test_a_user_with_several_memberships_or_an_office_and_a_membership_keeps_each(chain, manifests):
    """Each membership adds to what a user reads, and so does an official's province: none replaces another."""
    from accounts.models import Membership, User
    from tests import factories

    w = chain
    factories.MembershipFactory(user=w.alice, organisation=w.zeta, role=Membership.Role.VIEWER)
    factories.MembershipFactory(user=w.hanoi_official, organisation=w.omega, role=Membership.Role.VIEWER)

    def reads(user):
        visible = set(selectors.visible_manifests(User.objects.get(pk=user.pk)).values_list("pk", flat=True))
        return {name for name, m in manifests.items() if m.pk in visible}

    assert reads(w.alice) == READS["alice"]
    # Omega's viewer reads Omega's draft and, as Hà Nội's official, nothing more than the parties already do.
    assert reads(w.hanoi_official) == {"draft_by_omega"} | PAST_DRAFT
