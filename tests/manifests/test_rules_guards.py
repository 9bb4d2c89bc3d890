"""Rules that mutation testing showed unguarded (docs/testing.md, "Mutation testing"): each test here kills a
mutant that survived the whole suite before it was written.

- the site limit of a membership in `cancel`, in revision requests and in revision decisions;
- the "active organisation" filter of the policy: the members of a deactivated organisation lose every right;
- "only the organisation that prepared this draft may change it";
- inactive or wrong-kind parties on a draft;
- the notifications of an approved revision."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from accounts import policy
from accounts.models import AuditEvent, Membership, Organisation, Site, User
from manifests import rules, selectors, services
from manifests.models import Notification, Revision, Status
from tests import factories
from tests.factories import PASSWORD
from tests.manifests.lifecycle import ACTIONS, at_status, events, first_line, quantities

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def fresh(user):
    """The user as a new request sees it (the policy caches the scope on the user object)."""
    return User.objects.get(pk=user.pk)


# --- the site limit of a membership -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SEALED, Status.READY], ids=lambda s: s.value)
def test_a_member_limited_to_one_site_cannot_cancel_another_sites_manifest(chain, status):
    """bob is limited to Alpha's Hà Nội site: a manifest of Alpha's HCM site is not his to cancel, at any status
    where cancelling is possible; alice (no limit) may."""
    w = chain
    m = at_status(w, status, site=w.alpha_hcm)
    before = events(m)
    assert rules.may(w.bob, m, "cancel") == (False, True)
    with pytest.raises(PermissionDenied):
        services.cancel(w.bob, m, "Kế hoạch thay đổi")
    m.refresh_from_db()
    assert m.status == status and events(m) == before
    assert services.cancel(w.alice, m, "Kế hoạch thay đổi").status == Status.CANCELLED


def test_a_member_limited_to_one_site_cancels_that_sites_manifest(chain):
    w = chain
    m = at_status(w, Status.READY)  # Hà Nội site
    assert services.cancel(w.bob, m, "Kế hoạch thay đổi").status == Status.CANCELLED
    assert AuditEvent.objects.filter(chain=m.chain).last().actor == w.bob


def test_a_member_limited_to_one_site_cannot_request_a_revision_of_another_sites_manifest(chain):
    w = chain
    m = at_status(w, Status.COMPLETED, site=w.alpha_hcm)
    assert rules.may(w.bob, m, "request_revision") == (False, True)
    with pytest.raises(PermissionDenied):
        ACTIONS["request_revision"](w, w.bob, m)
    assert not Revision.objects.filter(manifest=m).exists()
    # Within his site he may.
    own = at_status(w, Status.COMPLETED)
    assert ACTIONS["request_revision"](w, w.bob, own).requested_by == w.bob


def test_a_member_limited_to_one_site_cannot_decide_a_revision_of_another_sites_manifest(chain):
    w = chain
    m = at_status(w, Status.COMPLETED, site=w.alpha_hcm)
    revision = ACTIONS["request_revision"](w, w.fred, m)
    assert rules.deciding_party(w.bob, m, revision) is None
    with pytest.raises(PermissionDenied):
        services.decide_revision(w.bob, revision, approve=True)
    revision.refresh_from_db()
    assert revision.state == Revision.State.PENDING and revision.decisions.count() == 1
    assert rules.deciding_party(w.alice, m, revision) == w.alpha.pk
    services.decide_revision(w.alice, revision, approve=True)
    revision.refresh_from_db()
    assert revision.state == Revision.State.APPROVED


def test_a_member_limited_to_one_site_decides_for_that_site(chain):
    w = chain
    m = at_status(w, Status.COMPLETED)
    revision = ACTIONS["request_revision"](w, w.fred, m)
    services.decide_revision(w.bob, revision, approve=False, comment="Không đúng")
    revision.refresh_from_db()
    assert revision.state == Revision.State.REFUSED


# --- a deactivated organisation -----------------------------------------------------------------------------


def deactivate(organisation):
    Organisation.objects.filter(pk=organisation.pk).update(active=False)


def test_the_members_of_a_deactivated_organisation_lose_every_right(chain):
    w = chain
    m = at_status(w, Status.SEALED)
    deactivate(w.alpha)
    alice, vera = fresh(w.alice), fresh(w.vera)
    assert policy.role_in(alice, w.alpha) is None
    assert policy.organisations_with(alice, "generator") == []
    assert list(policy.visible_sites(alice)) == list(policy.actable_sites(alice)) == []
    assert list(policy.visible_organisations(vera)) == []
    assert not selectors.visible_manifests(alice).filter(pk=m.pk).exists()
    assert rules.may(alice, m, "sign") == (False, True)
    with pytest.raises(PermissionDenied):
        services.sign(alice, m, PASSWORD)
    with pytest.raises(PermissionDenied):
        w.draft(alice)
    # The other parties keep theirs.
    assert selectors.visible_manifests(fresh(w.fred)).filter(pk=m.pk).exists()


def test_the_drivers_of_a_deactivated_transporter_cannot_pick_up(chain):
    w = chain
    m = at_status(w, Status.READY)
    deactivate(w.omega)
    dan = fresh(w.dan)
    assert policy.role_in(dan, w.omega) is None
    with pytest.raises(PermissionDenied):
        services.pickup(dan, m, vehicle=w.truck, quantities=quantities(m))
    m.refresh_from_db()
    assert m.status == Status.READY


def test_a_deactivated_organisation_of_a_user_does_not_hide_the_others(chain):
    """The filter is per membership: alice, also a member of an active organisation, keeps that one."""
    w = chain
    factories.MembershipFactory(user=w.alice, organisation=w.zeta, role=Membership.Role.VIEWER)
    deactivate(w.alpha)
    alice = fresh(w.alice)
    assert policy.scope_for(alice).roles == {w.zeta.pk: Membership.Role.VIEWER}


# --- only the preparer changes a draft ----------------------------------------------------------------------

PREPARER_ONLY = "Only the organisation that prepared this draft may change it."


def test_the_generator_cannot_change_a_draft_the_facility_prepared(chain):
    w = chain
    m = w.draft(w.fred)
    assert m.prepared_by == w.omega
    with pytest.raises(PermissionDenied, match=PREPARER_ONLY):
        ACTIONS["update_draft"](w, w.alice, m)
    with pytest.raises(PermissionDenied, match=PREPARER_ONLY):
        services.append_lines(w.alice, m, [w.line()], previewed_version=services.draft_version(m))
    m.refresh_from_db()
    assert m.lines.count() == 2 and events(m) == ["created"]
    ACTIONS["update_draft"](w, w.fred, m)
    assert events(m) == ["created", "draft.saved"]


def test_the_facility_cannot_change_a_draft_the_generator_prepared(chain):
    w = chain
    m = w.draft(w.alice)
    with pytest.raises(PermissionDenied, match=PREPARER_ONLY):
        ACTIONS["update_draft"](w, w.fred, m)
    assert events(m) == ["created"]


def test_a_member_of_both_organisations_cannot_make_the_facilitys_draft_the_generators(chain):
    """Someone in both Alpha and Omega edits a draft Omega prepared: the sites make Alpha the preparer, and the
    draft does not change hands."""
    w = chain
    both = factories.UserFactory(username="both")
    factories.MembershipFactory(user=both, organisation=w.alpha, role=Membership.Role.MEMBER)
    factories.MembershipFactory(user=both, organisation=w.omega, role=Membership.Role.MEMBER)
    m = w.draft(w.fred)
    with pytest.raises(PermissionDenied, match=PREPARER_ONLY):
        ACTIONS["update_draft"](w, both, m)
    m.refresh_from_db()
    assert m.prepared_by == w.omega and events(m) == ["created"]


# --- inactive or wrong-kind parties -------------------------------------------------------------------------


def draft_errors(w, actor=None, **parties):
    values = {"generator_site": w.alpha_hn, "facility_site": w.omega_site, "permit": w.permit, "transporter": w.omega}
    values.update(parties)
    # As a request reads them: the sites with their organisations as they are now.
    for name in ("generator_site", "facility_site"):
        values[name] = Site.objects.select_related("organisation").get(pk=values[name].pk)
    with pytest.raises(services.TransitionError) as excinfo:
        services.create_draft(actor or w.alice, planned_pickup_date=timezone.localdate(), lines=[w.line()], **values)
    return excinfo.value.errors


def test_an_inactive_generator_site_is_refused(chain):
    w = chain
    w.alpha_hn.active = False
    w.alpha_hn.save()
    # The facility prepares (alice no longer acts at an inactive site).
    assert set(draft_errors(w, w.fred)) == {"generator_site"}


def test_a_site_of_an_organisation_that_is_not_a_generator_is_refused(chain):
    w = chain
    carrier = factories.OrganisationFactory(name="Tàu", tax_code="0401234567", is_generator=False, is_transporter=True)
    depot = factories.SiteFactory(organisation=carrier, ward=w.hcm_ward)
    assert set(draft_errors(w, w.fred, generator_site=depot)) == {"generator_site"}


def test_the_facility_cannot_name_itself_as_generator_unless_it_generates(chain):
    w = chain
    with pytest.raises(services.TransitionError, match="Choose a generator site") as excinfo:
        services.create_draft(
            w.fred, generator_site=w.omega_site, facility_site=w.omega_site, permit=w.permit, transporter=w.omega,
            planned_pickup_date=timezone.localdate(), lines=[w.line()],
        )  # fmt: skip
    assert excinfo.value.field == "generator_site" and excinfo.value.message == "Choose a generator site."


def test_a_site_of_an_organisation_that_is_not_a_facility_is_refused(chain):
    w = chain
    errors = draft_errors(w, facility_site=w.zeta_site)
    assert set(errors) == {"facility_site", "permit"}


def test_an_inactive_facility_site_is_refused(chain):
    w = chain
    w.omega_site.active = False
    w.omega_site.save()
    assert set(draft_errors(w)) == {"facility_site"}


def carrier(w, active=True):
    """A licensed transporter of its own (Omega both transports and treats)."""
    tau = factories.OrganisationFactory(name="Tàu", tax_code="0401234567", is_generator=False, is_transporter=True, active=active)
    licence = factories.PermitFactory(site=factories.SiteFactory(organisation=tau, ward=w.hcm_ward), covers_transport=True)
    licence.vehicles.set([factories.VehicleFactory(organisation=tau, plate="43C-111.11")])
    return tau


def test_a_licensed_transporter_is_accepted_and_an_inactive_one_refused(chain):
    w = chain
    tau = carrier(w)
    m = services.create_draft(
        w.alice, generator_site=w.alpha_hn, facility_site=w.omega_site, permit=w.permit, transporter=tau,
        planned_pickup_date=timezone.localdate(), lines=[w.line()],
    )  # fmt: skip
    assert m.transporter == tau
    Organisation.objects.filter(pk=tau.pk).update(active=False)
    tau.refresh_from_db()
    assert draft_errors(w, transporter=tau) == {"transporter": "This organisation is not active."}


def test_a_deactivated_facility_organisation_is_refused(chain):
    """The site is still active, its organisation no longer is: it may not be named to receive waste."""
    w = chain
    deactivate(w.omega)
    assert "facility_site" in draft_errors(w, transporter=carrier(w))


def test_a_deactivated_generator_organisation_is_refused(chain):
    """The facility prepares for a generator whose organisation was deactivated (its site still active)."""
    w = chain
    deactivate(w.alpha)
    assert set(draft_errors(w, w.fred)) == {"generator_site"}


def test_an_organisation_that_does_not_transport_is_refused_as_transporter(chain):
    w = chain
    errors = draft_errors(w, transporter=w.zeta)
    assert set(errors) == {"transporter"} and "Zeta" in errors["transporter"]


def test_a_transporter_without_a_transport_permit_is_refused(chain):
    w = chain
    w.permit.covers_transport = False
    w.permit.save()
    assert set(draft_errors(w)) == {"transporter"}


def test_a_transporter_is_refused_for_want_of_its_own_permit_while_others_hold_one(chain):
    """Omega's permit covers transport: it licenses Omega, not an unlicensed carrier named on the draft."""
    w = chain
    assert w.permit.covers_transport
    unlicensed = factories.OrganisationFactory(name="Xe", tax_code="0409876543", is_generator=False, is_transporter=True)
    factories.SiteFactory(organisation=unlicensed, ward=w.hcm_ward)
    errors = draft_errors(w, transporter=unlicensed)
    assert set(errors) == {"transporter"} and "Xe" in errors["transporter"]


def test_each_refused_party_is_told_why_next_to_its_field(chain):
    """The exact words of every refusal of _check_parties and _transport_refusal (what the form shows)."""
    w = chain
    Organisation.objects.filter(pk=w.alpha.pk).update(is_generator=False, is_transporter=True)  # alice still acts there
    outsider = factories.OrganisationFactory(name="Xe", tax_code="0409876543", is_generator=False, is_transporter=True)
    with pytest.raises(services.TransitionError) as excinfo:
        services.create_draft(
            w.alice, generator_site=Site.objects.select_related("organisation").get(pk=w.alpha_hn.pk),
            facility_site=Site.objects.select_related("organisation").get(pk=w.zeta_site.pk), permit=w.permit,
            transporter=outsider, planned_pickup_date=timezone.localdate(), lines=[w.line()],
        )  # fmt: skip
    assert excinfo.value.message == "Please correct the errors below."
    assert excinfo.value.errors == {
        "generator_site": "This site is not an active generator site.",
        "facility_site": "This site is not an active treatment facility.",
        "permit": "The permit does not belong to the receiving facility site.",
        "transporter": "Xe holds no environmental permit in force that covers hazardous waste transport: "
        "choose a licensed transporter, or your own organisation.",
    }


def test_preparing_for_sites_that_are_not_ones_own_is_refused_with_the_rule(chain):
    w = chain
    with pytest.raises(PermissionDenied) as excinfo:
        services.create_draft(
            w.zoe, generator_site=w.alpha_hn, facility_site=w.omega_site, permit=w.permit, transporter=w.omega,
            planned_pickup_date=timezone.localdate(), lines=[w.line()],
        )  # fmt: skip
    assert str(excinfo.value) == "You may prepare manifests only for your own sites or for your own facility."


def test_the_generator_may_carry_its_own_waste(chain):
    w = chain
    m = services.create_draft(
        w.alice, generator_site=w.alpha_hn, facility_site=w.omega_site, permit=w.permit, transporter=w.alpha,
        planned_pickup_date=timezone.localdate(), lines=[w.line()],
    )  # fmt: skip
    assert m.transporter == w.alpha


# --- the approved revision's notifications ------------------------------------------------------------------


def notified(manifest, kind):
    return sorted(Notification.objects.filter(manifest=manifest, kind=kind).values_list("user__username", flat=True))


def test_an_approved_revision_notifies_every_partys_followers(chain):
    w = chain
    m = at_status(w, Status.COMPLETED)
    revision = services.request_revision(
        w.alice, m, changes={first_line(m).pk: {"received_quantity_kg": "99"}}, comment="Cân lại"
    )
    # The request goes to the other party (Omega's followers, not its driver).
    assert notified(m, Notification.Kind.REVISION_REQUESTED) == ["fred"]
    assert notified(m, Notification.Kind.REVISION_DECIDED) == []
    services.decide_revision(w.fred, revision, approve=True)
    # The decision goes to every party: Alpha's followers (bob's site is this manifest's) and Omega's.
    assert notified(m, Notification.Kind.REVISION_DECIDED) == ["alice", "bob", "fred", "vera"]
    # Within tolerance: no discrepancy notice.
    assert notified(m, Notification.Kind.DISCREPANCY) == []


def test_an_approved_revision_that_creates_a_discrepancy_tells_the_officials(chain):
    w = chain
    m = at_status(w, Status.COMPLETED)
    revision = services.request_revision(
        w.fred, m, changes={first_line(m).pk: {"received_quantity_kg": "140"}}, comment="Cân lại"
    )
    services.decide_revision(w.alice, revision, approve=True)
    assert notified(m, Notification.Kind.DISCREPANCY) == ["alice", "bob", "fred", "hn_official", "vera"]


def test_a_refused_revision_notifies_the_parties_and_nobody_of_a_discrepancy(chain):
    w = chain
    m = at_status(w, Status.COMPLETED)
    revision = services.request_revision(
        w.fred, m, changes={first_line(m).pk: {"received_quantity_kg": "140"}}, comment="Cân lại"
    )
    services.decide_revision(w.alice, revision, approve=False, comment="Không đúng")
    assert notified(m, Notification.Kind.REVISION_DECIDED) == ["alice", "bob", "fred", "vera"]
    assert notified(m, Notification.Kind.DISCREPANCY) == []
