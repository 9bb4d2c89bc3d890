"""What Decree 08/2022 and Circular 02/2022 ask of the chain: licensed transport with listed vehicles (or the
generator's own), planned and actual treatment methods ("Khác" described), no ordinary industrial waste (TT) on a
hazardous waste manifest, the facility's licensed capacity, gate quantities beyond the tolerance, named signers."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import AuditEvent, Membership
from catalog.models import WasteCode
from catalog.search import search_waste_codes
from manifests import services
from manifests.errors import TransitionError
from manifests.forms import WasteCodeField
from manifests.models import CapacityUsage, ManifestAccess, Notification, Status
from manifests.signatures import signature_blocks
from tests import factories
from tests.factories import PASSWORD
from tests.manifests.lifecycle import at_status, quantities, received_as_declared, treatment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]



# --- transport -----------------------------------------------------------------------------------------


def test_a_vehicle_not_listed_on_the_transporters_permit_is_refused(chain):
    w = chain
    unlisted = factories.VehicleFactory(organisation=w.omega, plate="51C-999.99")
    m = at_status(w, Status.READY)
    with pytest.raises(TransitionError, match="not listed on a permit") as refused:
        services.pickup(w.dan, m, vehicle=unlisted, quantities=quantities(m))
    assert refused.value.field == "vehicle"
    assert services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m)).status == Status.IN_TRANSIT


def test_a_vehicle_listed_on_an_expired_permit_is_refused(chain):
    w = chain
    m = at_status(w, Status.READY)
    w.permit.valid_until = timezone.localdate() - timezone.timedelta(days=1)
    w.permit.save(update_fields=["valid_until"])
    with pytest.raises(TransitionError, match="not listed on a permit"):
        services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m))


def test_the_generator_may_carry_its_own_waste_in_its_own_vehicle(chain):
    w = chain
    own_truck = factories.VehicleFactory(organisation=w.alpha, plate="30A-111.22")  # on no permit
    m = services.create_draft(
        w.alice,
        generator_site=w.alpha_hn,
        facility_site=w.omega_site,
        permit=w.permit,
        transporter=w.alpha,
        planned_pickup_date=timezone.localdate(),
        lines=[w.line()],
    )
    m = services.sign(w.alice, m, PASSWORD)
    m = services.pickup(w.alice, m, vehicle=own_truck, quantities=quantities(m))
    assert m.status == Status.IN_TRANSIT and m.vehicle == own_truck


def test_a_transporter_without_a_transport_permit_is_refused_on_the_draft(chain):
    w = chain
    carrier = factories.OrganisationFactory(name="Xe tự do", tax_code="0401111111", is_generator=False, is_transporter=True)
    with pytest.raises(TransitionError) as refused:
        services.create_draft(
            w.alice,
            generator_site=w.alpha_hn,
            facility_site=w.omega_site,
            permit=w.permit,
            transporter=carrier,
            planned_pickup_date=timezone.localdate(),
            lines=[w.line()],
        )
    assert "transport" in refused.value.errors["transporter"]
    from manifests import draft_choices

    offered = set(draft_choices.active_transporters(w.alice))
    assert w.omega in offered and w.alpha in offered and carrier not in offered


# --- treatment methods ---------------------------------------------------------------------------------


def test_a_planned_method_is_needed_at_the_handover_and_must_be_permitted(chain):
    w = chain
    unplanned = w.draft(lines=[services.LineInput(**{**w.line().__dict__, "planned_method": None})])
    with pytest.raises(TransitionError, match="planned treatment method"):
        services.sign(w.alice, unplanned, PASSWORD)
    not_permitted = w.draft(lines=[w.line(method=w.landfill)])
    with pytest.raises(TransitionError, match="not permitted"):
        services.seal(w.alice, not_permitted)
    assert not unplanned.has_official_number  # a refused signature takes no number


def test_other_needs_a_description_when_planned_and_when_treated(chain):
    w = chain
    other = factories.TreatmentMethodFactory(code="Khác", name_vi="Khác")
    w.permit.treatment_methods.add(other)
    with pytest.raises(TransitionError, match="in words"):
        services.sign(w.alice, w.draft(lines=[w.line(method=other)]), PASSWORD)
    described = services.LineInput(**{**w.line(method=other).__dict__, "planned_method_note": "Tái chế dầu gốc"})
    m = at_status(w, Status.RECEIVED, lines=[described])
    line = m.lines.get()
    assert line.planned_method == other and line.planned_method_note == "Tái chế dầu gốc"
    today = timezone.localdate()
    with pytest.raises(TransitionError):
        services.treat(w.fred, m, password=PASSWORD, lines={line.pk: {"treatment_method": other, "treated_on": today}})
    m = services.treat(w.fred, m, password=PASSWORD, lines={line.pk: {"treatment_method": other, "treated_on": today, "treatment_note": "Chưng cất"}})
    assert m.status == Status.COMPLETED and m.lines.get().treatment_note == "Chưng cất"


# --- ordinary industrial waste -----------------------------------------------------------------------------


def test_ordinary_industrial_waste_codes_are_not_offered_or_accepted(chain):
    w = chain
    ordinary = factories.WasteCodeFactory(code="17 08 01", name_vi="Chất thải thông thường", class_marker="TT")
    assert ordinary not in WasteCode.objects.for_manifest()
    assert ordinary not in list(search_waste_codes("17 08"))
    with pytest.raises(Exception, match="ordinary industrial waste"):
        WasteCodeField().clean("17 08 01")
    with pytest.raises(TransitionError, match="ordinary industrial waste"):
        w.draft(lines=[w.line(code=ordinary)])


# --- capacity ----------------------------------------------------------------------------------------------


def test_receipt_beyond_the_licensed_yearly_capacity_warns_and_flags_to_officials(chain):
    w = chain
    w.permit.yearly_capacity_kg = Decimal("200")
    w.permit.save(update_fields=["yearly_capacity_kg"])
    first = at_status(w, Status.DELIVERED)
    first = services.receive(w.fred, first, password=PASSWORD, lines=received_as_declared(first))
    assert not first.over_capacity  # 140.5 kg of 200
    second = at_status(w, Status.DELIVERED)
    second = services.receive(w.fred, second, password=PASSWORD, lines=received_as_declared(second))
    assert second.over_capacity and not first.over_capacity
    second.refresh_from_db()  # written after the reception's other changes (the capacity row is locked last)
    assert second.over_capacity
    assert CapacityUsage.objects.get(permit=w.permit, year=timezone.localdate().year).received_kg == Decimal("281.00")
    assert services.capacity_left(w.permit) == Decimal("-81.00")
    told = set(Notification.objects.filter(manifest=second, kind=Notification.Kind.OVER_CAPACITY).values_list("user__username", flat=True))
    assert {"fred", "hn_official"} <= told  # the facility and the officials of the provinces concerned


# --- gate quantities -----------------------------------------------------------------------------------------


def test_a_gate_quantity_beyond_the_tolerance_is_a_discrepancy_told_to_the_generator(chain):
    w = chain
    m = at_status(w, Status.READY)
    first, second = m.lines.order_by("position")
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities={first.pk: Decimal("80"), second.pk: second.quantity_kg})
    assert m.has_discrepancy and m.lines.get(pk=first.pk).pickup_discrepancy and not m.lines.get(pk=second.pk).pickup_discrepancy
    told = set(Notification.objects.filter(manifest=m, kind=Notification.Kind.DISCREPANCY).values_list("user__username", flat=True))
    assert "alice" in told and "fred" not in told
    assert ManifestAccess.objects.filter(manifest=m, has_discrepancy=True).exists()


# --- named signers ----------------------------------------------------------------------------------------------


def test_receipt_and_completion_are_signed_by_a_named_person_with_the_password(chain):
    w = chain
    Membership.objects.filter(user=w.fred, organisation=w.omega).update(position="Trưởng ca tiếp nhận")
    m = at_status(w, Status.DELIVERED)
    with pytest.raises(TransitionError, match="password") as refused:
        services.receive(w.fred, m, password="wrong", lines=received_as_declared(m))
    assert refused.value.field == "password"
    m = services.receive(w.fred, m, password=PASSWORD, lines=received_as_declared(m))
    with pytest.raises(TransitionError, match="password"):
        services.treat(w.fred, m, password="", lines=treatment(w, m))
    m = services.treat(w.fred, m, password=PASSWORD, lines=treatment(w, m))
    assert m.received_by == w.fred and m.completed_by == w.fred
    completed = AuditEvent.objects.get(chain=m.chain, action="completed")
    assert completed.actor == w.fred and completed.data["method"] == "password" and completed.data["position"] == "Trưởng ca tiếp nhận"
    blocks = signature_blocks(m)
    assert [b.action for b in blocks] == ["signed", "picked_up", "delivered", "received", "completed"]
    assert all(b.name for b in blocks) and blocks[0].name == w.alice.display_name and blocks[-1].position == "Trưởng ca tiếp nhận"
    assert blocks[0].content_hash == m.snapshots.get(step="generator_signed").content_hash
    assert blocks[-1].content_hash == m.snapshots.get(step="completed").content_hash


def test_only_the_facility_may_receive(chain):
    w = chain
    m = at_status(w, Status.DELIVERED)
    with pytest.raises(PermissionDenied):
        services.receive(w.alice, m, password=PASSWORD, lines=received_as_declared(m))


def test_the_receipt_page_warns_before_a_receipt_beyond_capacity(client, chain):
    from django.urls import reverse

    w = chain
    w.permit.yearly_capacity_kg = Decimal("100")
    w.permit.save(update_fields=["yearly_capacity_kg"])
    m = at_status(w, Status.DELIVERED)  # 140.5 kg declared
    client.force_login(w.fred)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("manifests:receive", args=[m.pk])).content.decode()
    assert "Licensed capacity left this year" in html and "beyond its licensed yearly capacity" in html
