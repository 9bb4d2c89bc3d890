from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.audit import verify_chains
from manifests import services
from manifests.models import Status
from tests.factories import PASSWORD


@pytest.mark.django_db
def test_full_chain_through_the_services(chain):
    w = chain
    m = w.draft()
    assert m.status == Status.DRAFT and not m.has_official_number
    m = services.sign(w.alice, m, PASSWORD)
    assert m.status == Status.READY and len(m.content_hash) == 64 and m.number.startswith("01-")
    lines = list(m.lines.all())
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in lines}, latitude=Decimal("21.03"), longitude=Decimal("105.85"), accuracy_m=Decimal("12"))
    assert m.status == Status.IN_TRANSIT
    m = services.deliver(w.dan, m)
    with pytest.raises(services.TransitionError):
        services.receive(w.fred, m, password=PASSWORD, lines={lines[0].pk: {"received_quantity_kg": Decimal("90")}, lines[1].pk: {"received_quantity_kg": Decimal("40.5")}})
    m = services.receive(w.fred, m, password=PASSWORD, lines={lines[0].pk: {"received_quantity_kg": Decimal("90"), "comment": "Thiếu 10 kg"}, lines[1].pk: {"received_quantity_kg": Decimal("40.5")}})
    assert m.status == Status.RECEIVED and m.has_discrepancy
    today = timezone.localdate()
    m = services.treat(w.fred, m, password=PASSWORD, lines={line.pk: {"treatment_method": w.incineration, "treated_on": today} for line in lines})
    assert m.status == Status.COMPLETED
    revision = services.request_revision(w.alice, m, changes={lines[0].pk: {"received_quantity_kg": "95"}}, comment="Cân lại")
    services.decide_revision(w.fred, revision, approve=True)
    m.refresh_from_db()
    assert m.version == 2
    checked, problem = verify_chains()
    assert problem is None and checked > 5


@pytest.mark.django_db
def test_the_person_at_the_gate_signs_with_their_handover_code(chain):
    w = chain
    m = services.seal(w.alice, w.draft())
    q = {line.pk: line.quantity_kg for line in m.lines.all()}
    with pytest.raises(services.TransitionError):
        services.pickup(w.dan, m, vehicle=w.truck, quantities=q, handover_by=w.alice, handover_code="000000" if w.code != "000000" else "111111")
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities=q, handover_by=w.alice, handover_code=w.code)
    assert m.status == Status.IN_TRANSIT and m.generator_signature_method == "handover_code" and m.generator_signed_by == w.alice
