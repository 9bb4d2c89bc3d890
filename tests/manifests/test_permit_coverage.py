"""A permit covers waste codes by their code text, the one check of the project (Permit.uncovered_codes): a permit
issued under an older catalog version still covers the same codes of the version in force, in the draft form,
the services and the receipt form alike."""

from datetime import date

import pytest

from manifests import services
from manifests.forms import LineFormSet
from manifests.forms_transport import ReceiveForm
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def newer_catalog(chain):
    """A catalog version in force after the one the permit was issued under, with the same codes."""
    w = chain
    version = factories.CatalogVersionFactory(label="2025", effective_date=date(2025, 7, 1))
    w.oil_now = factories.WasteCodeFactory(version=version, code="17 02 03")
    w.lamps_now = factories.WasteCodeFactory(version=version, code="16 01 06", physical_states=["solid"])
    w.battery_now = factories.WasteCodeFactory(version=version, code="19 06 01")
    return w


def test_uncovered_codes_compares_code_text_across_versions(newer_catalog):
    w = newer_catalog
    assert w.permit.uncovered_codes([w.oil_now, w.lamps_now]) == []
    assert w.permit.uncovered_codes([w.oil_now, w.battery_now, "19 06 01"]) == ["19 06 01"]


def test_a_draft_with_codes_of_the_version_in_force_is_signed_under_the_older_permit(newer_catalog):
    w = newer_catalog
    formset = LineFormSet(
        {
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-waste_code": "170203",
            "lines-0-description": "Dầu thải",
            "lines-0-physical_state": "liquid",
            "lines-0-packaging_type": "drum",
            "lines-0-packaging_count": "1",
            "lines-0-quantity_kg": "10",
        },
        prefix="lines",
    )
    assert formset.is_valid() and formset.check_permit(w.permit)
    assert formset.line_inputs()[0].waste_code == w.oil_now
    manifest = services.sign(w.alice, w.draft(lines=[w.line(w.oil_now)]), PASSWORD)
    assert manifest.status == "ready_for_pickup"


def test_the_receipt_form_puts_an_explanation_error_next_to_the_comment_for_a_covered_code_of_another_version(newer_catalog):
    w = newer_catalog
    m = services.sign(w.alice, w.draft(lines=[w.line(w.oil_now)]), PASSWORD)
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in m.lines.all()})
    line = m.lines.get()
    # Received as lamps (a covered code, but another one): a discrepancy to explain, not a permit problem.
    form = ReceiveForm(
        {f"line_{line.pk}_quantity": "100", f"line_{line.pk}_code": str(w.lamps_now.pk), "password": PASSWORD}, manifest=m, lines=[line]
    )
    assert form.is_valid()
    with pytest.raises(services.TransitionError) as refused:
        services.receive(w.fred, m, password=PASSWORD, lines=form.lines_data)
    form.add_transition_error(refused.value)
    assert f"line_{line.pk}_comment" in form.errors and f"line_{line.pk}_code" not in form.errors
    assert m.lines.get().received_quantity_kg is None
