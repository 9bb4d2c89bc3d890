"""Revisions of a completed manifest: every party approves, the proposal becomes the next version, a refusal changes nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from accounts.models import Membership
from manifests import services
from manifests.models import ManifestSnapshot, Revision, Status
from tests import factories
from tests.factories import PASSWORD
from tests.manifests.lifecycle import at_status, events, first_line, quantities, received_as_declared, treatment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English whatever the Vietnamese catalog holds."""
    with translation.override("en"):
        yield


# --- revisions -----------------------------------------------------------------------------------------


def test_an_approved_revision_becomes_version_2_with_a_new_snapshot(chain):
    w = chain
    m = at_status(w, Status.COMPLETED)
    line = first_line(m)
    completed_hash = ManifestSnapshot.objects.get(manifest=m, step="completed").content_hash
    revision = services.request_revision(w.alice, m, changes={line.pk: {"received_quantity_kg": "95"}}, comment="Cân lại")
    m.refresh_from_db()
    assert m.version == 1 and revision.state == Revision.State.PENDING
    services.decide_revision(w.fred, revision, approve=True)
    m.refresh_from_db()
    line.refresh_from_db()
    revision.refresh_from_db()
    assert revision.state == Revision.State.APPROVED and revision.decided_at is not None
    assert m.version == 2 and m.status == Status.COMPLETED
    assert line.received_quantity_kg == Decimal(95)
    snapshot = ManifestSnapshot.objects.get(manifest=m, version=2, step="revision")
    assert snapshot.content["lines"][0]["received_quantity_kg"] == "95.00"
    assert snapshot.content_hash != completed_hash
    # The history stays: version 1's snapshots are untouched.
    assert ManifestSnapshot.objects.get(manifest=m, version=1, step="completed").content["lines"][0]["received_quantity_kg"] == "100.00"
    assert events(m)[-3:] == ["revision.requested", "revision.approved", "revision.applied"]


def test_a_revision_needs_every_party(chain):
    """With a separate transporter there are three parties: the revision waits for the last one."""
    w = chain
    carrier = factories.OrganisationFactory(name="Tàu", tax_code="0401234567", is_generator=False, is_transporter=True)
    tom = factories.MembershipFactory(user=factories.UserFactory(username="tom"), organisation=carrier, role=Membership.Role.DRIVER).user
    tina = factories.MembershipFactory(user=factories.UserFactory(username="tina"), organisation=carrier, role=Membership.Role.MEMBER).user
    van = factories.VehicleFactory(organisation=carrier, plate="43C-111.11")
    licence = factories.PermitFactory(site=factories.SiteFactory(organisation=carrier), covers_transport=True)
    licence.vehicles.set([van])
    m = services.create_draft(
        w.alice,
        generator_site=w.alpha_hn,
        facility_site=w.omega_site,
        permit=w.permit,
        transporter=carrier,
        planned_pickup_date=timezone.localdate(),
        lines=[w.line()],
    )
    m = services.sign(w.alice, m, PASSWORD)
    m = services.pickup(tom, m, vehicle=van, quantities=quantities(m))
    m = services.deliver(tom, m)
    m = services.receive(w.fred, m, password=PASSWORD, lines=received_as_declared(m))
    m = services.treat(w.fred, m, password=PASSWORD, lines=treatment(w, m))
    revision = services.request_revision(w.fred, m, changes={first_line(m).pk: {"treatment_method": w.recycling}}, comment="Ghi nhầm phương pháp")
    services.decide_revision(w.alice, revision, approve=True)
    m.refresh_from_db()
    assert m.version == 1
    with pytest.raises(PermissionDenied):
        services.decide_revision(tom, revision, approve=True)  # a driver has no say
    services.decide_revision(tina, revision, approve=True)
    m.refresh_from_db()
    assert m.version == 2 and first_line(m).treatment_method == w.recycling


def test_a_refused_revision_leaves_the_manifest_unchanged(chain):
    w = chain
    m = at_status(w, Status.COMPLETED)
    line = first_line(m)
    revision = services.request_revision(w.alice, m, changes={line.pk: {"received_quantity_kg": "95"}}, comment="Cân lại")
    with pytest.raises(services.TransitionError) as excinfo:
        services.decide_revision(w.fred, revision, approve=False, comment="")
    assert excinfo.value.field == "comment"
    services.decide_revision(w.fred, revision, approve=False, comment="Phiếu cân khớp 100 kg")
    revision.refresh_from_db()
    m.refresh_from_db()
    line.refresh_from_db()
    assert revision.state == Revision.State.REFUSED
    assert m.version == 1 and line.received_quantity_kg == Decimal(100)
    assert not ManifestSnapshot.objects.filter(manifest=m, step="revision").exists()
    assert events(m)[-1] == "revision.refused"


def test_only_one_pending_revision_at_a_time(chain):
    w = chain
    m = at_status(w, Status.COMPLETED)
    line = first_line(m)
    first = services.request_revision(w.alice, m, changes={line.pk: {"received_quantity_kg": "95"}}, comment="Cân lại")
    with pytest.raises(services.TransitionError, match="already awaiting"):
        services.request_revision(w.fred, m, changes={line.pk: {"description": "Dầu thải"}}, comment="Mô tả")
    assert Revision.objects.filter(manifest=m).count() == 1
    services.decide_revision(w.fred, first, approve=False, comment="Không đồng ý")
    second = services.request_revision(w.fred, m, changes={line.pk: {"description": "Dầu thải"}}, comment="Mô tả")
    assert second.state == Revision.State.PENDING


@pytest.mark.parametrize(
    "changes, comment, message",
    [
        ({}, "Cân lại", "at least one changed value"),
        ({"status": "draft"}, "Cân lại", "at least one changed value"),  # not a revisable field
        ({"received_quantity_kg": "95"}, " ", "Explain why"),
    ],
    ids=["nothing", "not-revisable", "no-comment"],
)
def test_a_revision_request_must_propose_something_and_say_why(chain, changes, comment, message):
    w = chain
    m = at_status(w, Status.COMPLETED)
    with pytest.raises(services.TransitionError, match=message):
        services.request_revision(w.alice, m, changes={first_line(m).pk: changes}, comment=comment)


def test_an_approved_revision_beyond_the_tolerance_is_a_discrepancy(chain):
    w = chain
    m = at_status(w, Status.COMPLETED)
    lines = list(m.lines.order_by("position"))
    assert not m.has_discrepancy
    revision = services.request_revision(w.alice, m, changes={lines[0].pk: {"received_quantity_kg": "140"}}, comment="Cân lại tại cơ sở")
    services.decide_revision(w.fred, revision, approve=True)
    m.refresh_from_db()
    line = m.lines.get(pk=lines[0].pk)
    assert m.version == 2 and m.has_discrepancy
    assert line.discrepancy and line.discrepancy_comment == "Cân lại tại cơ sở"
