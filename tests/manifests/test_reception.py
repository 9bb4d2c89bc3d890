"""Reception at the facility: the quantity tolerance against the gate quantity, other waste codes, rejected lines and refused shipments."""

from decimal import Decimal

import pytest
from django.utils import timezone, translation

from manifests import services
from manifests.models import Status
from tests.factories import PASSWORD
from tests.manifests.lifecycle import at_status, events, first_line, received_as_declared, treatment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English whatever the Vietnamese catalog holds."""
    with translation.override("en"):
        yield


# --- reception: tolerance, codes, rejections -----------------------------------------------------------


def receive_first_line(w, m, received, **extra):
    """Receive the first line (declared 100 kg) as given, the second as declared."""
    first, second = m.lines.order_by("position")
    lines = {
        first.pk: {"received_quantity_kg": Decimal(received), **extra},
        second.pk: {"received_quantity_kg": second.quantity_kg},
    }
    return services.receive(w.fred, m, password=PASSWORD, lines=lines)


@pytest.mark.parametrize(
    "tolerance, received, discrepancy",
    [
        ("5", "95.00", False),  # exactly at the tolerance: no discrepancy
        ("5", "105.00", False),
        ("5", "94.99", True),  # just beyond
        ("5", "105.01", True),
        ("10", "90.00", False),  # the setting is honoured
        ("10", "89.99", True),
        ("0", "100.00", False),
        ("0", "100.01", True),
    ],
)
def test_the_quantity_tolerance(chain, settings, tolerance, received, discrepancy):
    settings.HWMS_QUANTITY_TOLERANCE_PERCENT = Decimal(tolerance)
    w = chain
    m = at_status(w, Status.DELIVERED)
    if discrepancy:
        with pytest.raises(services.TransitionError) as excinfo:
            receive_first_line(w, m, received)
        (message,) = excinfo.value.errors.values()
        assert f"({tolerance}%)" in message
        m.refresh_from_db()
        assert m.status == Status.DELIVERED
        m = receive_first_line(w, m, received, comment="Cân tại cổng nhà máy")
        line = first_line(m)
        assert line.discrepancy and line.discrepancy_comment == "Cân tại cổng nhà máy"
    else:
        m = receive_first_line(w, m, received, comment="ignored")
        line = first_line(m)
        assert not line.discrepancy and line.discrepancy_comment == ""
    assert m.status == Status.RECEIVED and m.has_discrepancy is discrepancy


def test_the_quantity_confirmed_at_the_gate_is_the_reference(chain):
    w = chain
    m = at_status(w, Status.READY)
    first, second = m.lines.order_by("position")
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities={first.pk: Decimal(80), second.pk: second.quantity_kg})
    m = services.deliver(w.dan, m)
    m = receive_first_line(w, m, "80")  # 20 % less than declared, as confirmed by the driver
    line = first_line(m)
    # No discrepancy at the facility's weighing; the gate's 20 % is one (recorded at the pickup).
    assert m.status == Status.RECEIVED and not line.discrepancy and line.pickup_discrepancy and m.has_discrepancy


def test_a_different_received_waste_code_is_a_discrepancy(chain):
    w = chain
    m = at_status(w, Status.DELIVERED)
    with pytest.raises(services.TransitionError):
        receive_first_line(w, m, "100", received_waste_code=w.lamps)
    m = receive_first_line(w, m, "100", received_waste_code=w.lamps, comment="Thực tế là bóng đèn")
    line = first_line(m)
    assert line.discrepancy and line.received_waste_code == w.lamps and m.has_discrepancy


def test_rejecting_every_line_rejects_the_manifest(chain):
    w = chain
    m = at_status(w, Status.DELIVERED)
    lines = {line.pk: {"rejected": True, "rejection_reason": "Không đúng mã"} for line in m.lines.all()}
    m = services.receive(w.fred, m, password=PASSWORD, lines=lines)
    assert m.status == Status.REJECTED and m.rejection_reason
    assert events(m)[-1] == "rejected"
    with pytest.raises(services.TransitionError):
        services.treat(w.fred, m, password=PASSWORD, lines=treatment(w, m))


def test_rejecting_a_line_needs_a_reason(chain):
    w = chain
    m = at_status(w, Status.DELIVERED)
    first = first_line(m)
    lines = received_as_declared(m)
    lines[first.pk] = {"rejected": True, "rejection_reason": ""}
    with pytest.raises(services.TransitionError) as excinfo:
        services.receive(w.fred, m, password=PASSWORD, lines=lines)
    assert list(excinfo.value.errors) == [f"line_{first.pk}"]


def test_refusing_the_whole_shipment(chain):
    w = chain
    m = at_status(w, Status.IN_TRANSIT)
    m = services.receive(w.fred, m, password=PASSWORD, lines={}, refuse_reason="Thùng chứa rò rỉ")
    assert m.status == Status.REJECTED and m.rejection_reason == "Thùng chứa rò rỉ"
    assert all(line.rejected for line in m.lines.all())


def test_a_partial_rejection_then_treating_the_remaining_lines_completes(chain):
    w = chain
    m = at_status(w, Status.DELIVERED)
    first, second = m.lines.order_by("position")
    m = services.receive(
        w.fred,
        m, password=PASSWORD,
        lines={
            first.pk: {"rejected": True, "rejection_reason": "Lẫn nước"},
            second.pk: {"received_quantity_kg": second.quantity_kg},
        },
    )
    assert m.status == Status.RECEIVED
    m = services.treat(w.fred, m, password=PASSWORD, lines={second.pk: {"treatment_method": w.recycling, "treated_on": timezone.localdate()}})
    assert m.status == Status.COMPLETED
    first.refresh_from_db()
    assert first.rejected and first.treated_on is None
