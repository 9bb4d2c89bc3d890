"""Preconditions of the transitions: the permit on the planned pickup date and its codes, vehicles, quantities, treatment methods and dates. A refusal writes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from manifests import services
from manifests.models import Manifest, ManifestSnapshot, Status
from tests import factories
from tests.factories import PASSWORD
from tests.manifests.lifecycle import ACTIONS, at_status, events, first_line, quantities, received_as_declared, treatment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English whatever the Vietnamese catalog holds."""
    with translation.override("en"):
        yield


# --- preconditions: permit, vehicle, quantities --------------------------------------------------------


def draft_on(w, planned, lines=None):
    return services.create_draft(
        w.alice,
        generator_site=w.alpha_hn,
        facility_site=w.omega_site,
        permit=w.permit,
        transporter=w.omega,
        planned_pickup_date=planned,
        lines=lines or [w.line()],
    )


@pytest.mark.parametrize("transition", ["sign", "seal"])
def test_a_permit_expired_on_the_planned_pickup_date_is_refused(chain, transition):
    w = chain
    m = draft_on(w, w.permit.valid_until + timedelta(days=1))
    with pytest.raises(services.TransitionError) as excinfo:
        ACTIONS[transition](w, w.alice, m)
    assert excinfo.value.field == "permit"
    assert w.permit.number in excinfo.value.message
    m.refresh_from_db()
    assert m.status == Status.DRAFT


def test_a_permit_not_yet_valid_on_the_planned_pickup_date_is_refused(chain):
    w = chain
    m = draft_on(w, w.permit.valid_from - timedelta(days=1))
    with pytest.raises(services.TransitionError, match="not valid on"):
        services.sign(w.alice, m, PASSWORD)


def test_the_last_day_of_the_permit_is_still_valid(chain):
    w = chain
    m = draft_on(w, w.permit.valid_until)
    assert services.sign(w.alice, m, PASSWORD).status == Status.READY


def test_a_permit_not_covering_a_waste_code_is_refused(chain):
    w = chain
    m = w.draft(lines=[w.line(), w.line(w.unpermitted, "10")])
    with pytest.raises(services.TransitionError) as excinfo:
        services.sign(w.alice, m, PASSWORD)
    assert excinfo.value.field == "permit" and "19 06 01" in excinfo.value.message
    with pytest.raises(services.TransitionError, match="19 06 01"):
        services.seal(w.alice, m)


def test_a_permit_not_covering_a_code_is_also_refused_when_the_driver_signs_with_the_code(chain):
    w = chain
    m = services.seal(w.alice, w.draft())
    # The permit is narrowed after sealing: the company-code signature on the phone re-checks it.
    w.permit.waste_codes.remove(w.lamps)
    with pytest.raises(services.TransitionError, match="16 01 06"):
        services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m), handover_by=w.alice, handover_code=w.code)
    m.refresh_from_db()
    assert m.status == Status.SEALED


def test_signing_a_draft_without_lines_is_refused(chain):
    w = chain
    m = w.draft()
    m.lines.all().delete()
    with pytest.raises(services.TransitionError, match="at least one waste line"):
        services.sign(w.alice, m, PASSWORD)


def test_an_inactive_vehicle_is_refused(chain):
    w = chain
    m = at_status(w, Status.READY)
    w.truck.active = False
    w.truck.save()
    with pytest.raises(services.TransitionError) as excinfo:
        services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m))
    assert excinfo.value.field == "vehicle"
    m.refresh_from_db()
    assert m.status == Status.READY and m.vehicle is None


@pytest.mark.parametrize("vehicle", ["zeta_truck", None], ids=["another-organisation", "none"])
def test_a_vehicle_of_another_organisation_is_refused(chain, vehicle):
    w = chain
    m = at_status(w, Status.READY)
    if vehicle:
        vehicle = factories.VehicleFactory(organisation=w.zeta, plate="51D-555.55")
    with pytest.raises(services.TransitionError) as excinfo:
        services.pickup(w.dan, m, vehicle=vehicle, quantities=quantities(m))
    assert excinfo.value.field == "vehicle"


@pytest.mark.parametrize("quantity", ["0", "-1", None], ids=["zero", "negative", "missing"])
def test_pickup_quantities_must_be_positive(chain, quantity):
    w = chain
    m = at_status(w, Status.READY)
    first, second = m.lines.order_by("position")
    given = {second.pk: second.quantity_kg}
    if quantity is not None:
        given[first.pk] = Decimal(quantity)
    with pytest.raises(services.TransitionError) as excinfo:
        services.pickup(w.dan, m, vehicle=w.truck, quantities=given)
    assert list(excinfo.value.errors) == [f"line_{first.pk}"]
    m.refresh_from_db()
    assert m.status == Status.READY
    assert not m.lines.filter(pickup_quantity_kg__isnull=False).exists()


@pytest.mark.parametrize("quantity", ["0", "-5"])
def test_draft_quantities_must_be_positive(chain, quantity):
    """The service refuses it before writing anything (forms validate first; the database constraint is the last
    guard, below)."""
    w = chain
    with pytest.raises(services.TransitionError, match="greater than 0 kg"):
        w.draft(lines=[w.line(quantity=quantity)])
    assert not Manifest.objects.exists()


def test_the_database_refuses_a_line_without_a_positive_quantity(chain):
    w = chain
    m = w.draft()
    line = first_line(m)
    line.quantity_kg = Decimal(0)
    with pytest.raises(IntegrityError), transaction.atomic():
        line.save(update_fields=["quantity_kg"])


def test_a_negative_received_quantity_is_refused(chain):
    w = chain
    m = at_status(w, Status.DELIVERED)
    first, second = m.lines.order_by("position")
    with pytest.raises(services.TransitionError) as excinfo:
        services.receive(
            w.fred, m, password=PASSWORD, lines={first.pk: {"received_quantity_kg": Decimal(-1)}, second.pk: {"received_quantity_kg": second.quantity_kg}}
        )
    assert list(excinfo.value.errors) == [f"line_{first.pk}"]


def test_a_received_waste_code_outside_the_permit_is_refused(chain):
    w = chain
    m = at_status(w, Status.DELIVERED)
    lines = received_as_declared(m)
    first = first_line(m)
    lines[first.pk].update(received_waste_code=w.unpermitted, comment="Thực tế là ắc quy chì")
    with pytest.raises(services.TransitionError) as excinfo:
        services.receive(w.fred, m, password=PASSWORD, lines=lines)
    assert "19 06 01" in excinfo.value.errors[f"line_{first.pk}"]


# --- treatment -----------------------------------------------------------------------------------------


def test_a_treatment_method_not_permitted_is_refused(chain):
    w = chain
    m = at_status(w, Status.RECEIVED)
    with pytest.raises(services.TransitionError) as excinfo:
        services.treat(w.fred, m, password=PASSWORD, lines=treatment(w, m, method=w.landfill))
    assert all("C" in message and w.permit.number in message for message in excinfo.value.errors.values())
    m.refresh_from_db()
    assert m.status == Status.RECEIVED and not m.lines.filter(treated_on__isnull=False).exists()


@pytest.mark.parametrize("days, ok", [(-1, False), (0, True), (1, False)], ids=["before-reception", "reception-day", "future"])
def test_the_treatment_date_lies_between_reception_and_today(chain, days, ok):
    w = chain
    m = at_status(w, Status.RECEIVED)
    on = timezone.localdate() + timedelta(days=days)
    if ok:
        assert services.treat(w.fred, m, password=PASSWORD, lines=treatment(w, m, on=on)).status == Status.COMPLETED
    else:
        with pytest.raises(services.TransitionError, match="correct the errors"):
            services.treat(w.fred, m, password=PASSWORD, lines=treatment(w, m, on=on))


def test_a_treatment_needs_both_method_and_date(chain):
    w = chain
    m = at_status(w, Status.RECEIVED)
    line = first_line(m)
    with pytest.raises(services.TransitionError) as excinfo:
        services.treat(w.fred, m, password=PASSWORD, lines={line.pk: {"treatment_method": w.incineration, "treated_on": None}})
    assert f"line_{line.pk}" in excinfo.value.errors
    with pytest.raises(services.TransitionError, match="at least one line"):
        services.treat(w.fred, m, password=PASSWORD, lines={})


def test_treating_line_by_line_completes_when_the_last_line_is_treated(chain):
    w = chain
    m = at_status(w, Status.RECEIVED)
    first, second = m.lines.order_by("position")
    today = timezone.localdate()
    m = services.treat(w.fred, m, password=PASSWORD, lines={first.pk: {"treatment_method": w.incineration, "treated_on": today}})
    assert m.status == Status.RECEIVED
    m = services.treat(w.fred, m, password=PASSWORD, lines={second.pk: {"treatment_method": w.recycling, "treated_on": today}})
    assert m.status == Status.COMPLETED and m.completed_at is not None
    assert events(m)[-3:] == ["treated", "treated", "completed"]
    assert ManifestSnapshot.objects.filter(manifest=m, step="completed").count() == 1
