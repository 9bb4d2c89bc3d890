"""What the law and an inspector expect of the PDF copy and the completion certificate (issue 8): the form and its
legal basis, the parties' registration, permit and phone numbers, hazard properties, planned and actual methods,
pickup and delivery positions, named signature blocks, what the hash proves, declared against received quantities,
returns that go back to their generator, and names printed as text, never as markup."""

from decimal import Decimal

import pytest
from django.utils import timezone, translation

from accounts.models import Membership
from catalog.models import HazardProperty
from manifests import pdf, services
from manifests.models import FollowUp, Status
from tests import factories
from tests.factories import PASSWORD
from tests.manifests.lifecycle import quantities, received_as_declared
from tests.manifests.test_pdf import text_of

pytestmark = pytest.mark.django_db

HASH_SENTENCE = "The hash proves that the signed content has not been changed"


@pytest.fixture
def legal(chain):
    """The chain with what a real copy prints: phones, a former management code, positions, hazard properties, a
    "Khác" method, and the transport permit's number."""
    w = chain
    w.alpha.phone, w.omega.phone = "024 3825 1234", "028 3930 5678"
    w.alpha.save(update_fields=["phone"])
    w.omega.save(update_fields=["phone"])
    w.alpha_hn.legacy_code = "01.000123.T"
    w.alpha_hn.save(update_fields=["legacy_code"])
    w.alice.full_name, w.fred.full_name, w.dan.full_name = "Nguyễn Thị Lan", "Trần Văn Hùng", "Phạm Văn Tài"
    for user in (w.alice, w.fred, w.dan):
        user.save(update_fields=["full_name"])
    Membership.objects.filter(user=w.alice).update(position="Trưởng phòng Môi trường")
    Membership.objects.filter(user=w.fred).update(position="Quản đốc khu xử lý")
    w.permit.number, w.permit.issuer = "2519/GPMT-UBND", "UBND Thành phố Hồ Chí Minh"
    w.permit.save(update_fields=["number", "issuer"])
    toxic = HazardProperty.objects.create(code="Đ", name_vi="Có độc tính", name_en="Toxic")
    flammable = HazardProperty.objects.create(code="C", name_vi="Dễ cháy", name_en="Flammable")
    w.oil.hazard_properties.set([flammable, toxic])
    w.lamps.hazard_properties.set([toxic])
    w.other = factories.TreatmentMethodFactory(code="Khác", name_vi="Khác", name_en="Other")
    w.permit.treatment_methods.add(w.other)
    return w


def walked(w, *, handover_by_code=True):
    """Sealed, handed over at the gate by alice's personal code, collected with a short line, delivered, received
    with a discrepancy, treated (the second line by "Khác", described)."""
    m = services.seal(w.alice, w.draft(lines=[w.line(), w.line(w.lamps, "40.5", method=w.recycling)]))
    first, second = m.lines.order_by("position")
    picked = {first.pk: Decimal("80.00"), second.pk: second.quantity_kg}
    kwargs = {"handover_by": w.alice, "handover_code": w.code} if handover_by_code else {}
    if not handover_by_code:
        m = services.sign(w.alice, m, PASSWORD)
    m = services.pickup(
        w.dan, m, vehicle=w.truck, quantities=picked, latitude=Decimal("21.028511"), longitude=Decimal("105.804817"), accuracy_m=Decimal(12), **kwargs
    )
    m = services.deliver(w.dan, m, latitude=Decimal("10.616700"), longitude=Decimal("106.743300"), accuracy_m=Decimal("8.5"))
    m = services.receive(
        w.fred, m, password=PASSWORD, lines={first.pk: {"received_quantity_kg": Decimal(70), "comment": "Thiếu so với khai báo"}, second.pk: {"received_quantity_kg": second.quantity_kg}}
    )
    today = timezone.localdate()
    return services.treat(
        w.fred,
        m,
        password=PASSWORD,
        lines={
            first.pk: {"treatment_method": w.incineration, "treated_on": today},
            second.pk: {"treatment_method": w.other, "treatment_note": "Nghiền và hóa rắn", "treated_on": today},
        },
    )


def english(render, m):
    with translation.override("en"):
        return text_of(render(m))[1]


# --- the copy of record ---------------------------------------------------------------------------------------


def test_the_copy_names_its_form_and_legal_basis(legal):
    text = english(pdf.render_manifest_pdf, walked(legal))
    assert "Mẫu số 04, Phụ lục III ban hành kèm theo Thông tư số 02/2022/TT-BTNMT" in text
    assert "Legal basis: Nghị định số 08/2022/NĐ-CP; Thông tư số 02/2022/TT-BTNMT." in text
    assert pdf.LEGAL_TITLE in text


def test_the_form_reference_is_a_setting(legal, settings):
    settings.HWMS_MANIFEST_FORM = "Mẫu số 99 (thử nghiệm)"
    assert "Mẫu số 99 (thử nghiệm)" in english(pdf.render_manifest_pdf, walked(legal))


def test_the_copy_prints_both_parties_registration_permit_and_phone_numbers(legal):
    text = english(pdf.render_manifest_pdf, walked(legal))
    assert "Tax code: 0101234567" in text and "Former hazardous waste management code: 01.000123.T" in text
    assert "Phone: 024 3825 1234" in text and "Phone: 028 3930 5678" in text
    assert "Permit 2519/GPMT-UBND issued by UBND Thành phố Hồ Chí Minh" in text
    assert "Valid from" in text
    # The transporter's transport permit (it lists the truck) and the truck.
    assert "Transport permit 2519/GPMT-UBND issued by UBND Thành phố Hồ Chí Minh, valid until" in text
    assert "Vehicle: 51C-123.45" in text


def test_the_generators_own_transport_needs_no_transport_permit(legal):
    w = legal
    m = w.draft()
    m.transporter = w.alpha
    m.save(update_fields=["transporter"])
    text = english(pdf.render_manifest_pdf, m)
    assert "Transport by the generator itself, in its own vehicles" in text


def test_each_line_shows_its_hazard_properties_class_and_planned_and_actual_methods(legal):
    text = english(pdf.render_manifest_pdf, walked(legal))
    assert "NH · C, Đ" in text  # class marker and hazard codes of the oil
    assert "Hazard properties: C – Flammable; Đ – Toxic." in text
    assert "Classification: NH – hazardous waste." in text
    assert "Planned: TĐ – Thiêu đốt" in text and "Actual: TĐ – Thiêu đốt" in text
    assert "Planned: TC – Tận thu/tái chế" in text
    assert "Actual: Other: Nghiền và hóa rắn" in text  # "Khác" with its description
    assert "At pickup 80 kg against 100 kg declared" in text  # the pickup discrepancy


def test_the_pickup_and_delivery_positions_read_one_way_only(legal):
    m = walked(legal)
    text = english(pdf.render_manifest_pdf, m)
    assert "21.0285° N, 105.8048° E (±12 m)" in text
    assert "10.6167° N, 106.7433° E (±8.5 m)" in text
    with translation.override("vi"):
        _, text = text_of(pdf.render_manifest_pdf(m))
    assert "10,6167°" in text and "106,7433°" in text  # the Vietnamese decimal comma, never a point


def test_each_signature_is_a_block_naming_the_person_position_organisation_method_and_hash(legal):
    m = walked(legal)
    text = english(pdf.render_manifest_pdf, m)
    # alice handed over at the gate with her personal code (typed on the driver's phone): she is named, not the driver.
    assert "Handed over by the generator" in text
    assert "Nguyễn Thị Lan" in text and "Trưởng phòng Môi trường" in text
    assert "personal handover confirmation code, typed on the driver's phone" in text
    assert f"{m.content_hash[:32]} {m.content_hash[32:]}" in text  # the hash she signed, in its block
    assert "Waste received by the facility" in text and "Treatment completed" in text
    assert "Trần Văn Hùng" in text and "Quản đốc khu xử lý" in text
    assert "password re-entered on the portal" in text
    assert "Collected by the transporter" in text and "Phạm Văn Tài" in text
    assert "Signatures (Vietnam time)" in text


def test_the_copy_says_in_one_sentence_what_the_hash_proves(legal):
    text = english(pdf.render_manifest_pdf, walked(legal))
    assert text.count(HASH_SENTENCE) == 1
    assert "by itself it does not prove who signed" in text


def test_a_drafts_copy_says_it_is_a_draft_without_an_official_number(legal):
    m = legal.draft()
    assert not m.has_official_number
    text = english(pdf.render_manifest_pdf, m)
    assert "DRAFT – not signed, without an official number" in text
    assert f"{m.number} (temporary reference, not an official number)" in text
    assert "Not signed yet." in text


def test_the_copy_prints_page_numbers(legal):
    text = english(pdf.render_manifest_pdf, walked(legal))
    assert "Page 1 of" in text


# --- names are text, never markup ---------------------------------------------------------------------------


def test_odd_characters_in_names_are_printed_as_text(legal):
    w = legal
    w.alice.full_name = '<b>Lan</b> & "Co" <script>alert(1)</script>'
    w.alice.save(update_fields=["full_name"])
    w.alpha.name = "Công ty <i>Alpha</i> & Cộng sự " + "X" * 80  # a word too long for its column: a Paragraph
    w.alpha.save(update_fields=["name"])
    Membership.objects.filter(user=w.alice).update(position="<font color=red>Giám đốc</font>")
    m = walked(w)
    text = english(pdf.render_manifest_pdf, m)
    assert '<b>Lan</b> & "Co" <script>alert(1)</script>' in text
    assert "<font color=red>Giám đốc</font>" in text
    assert "Công ty <i>Alpha</i> & Cộng sự" in text
    assert "<i>Alpha</i>" in english(pdf.render_certificate_pdf, m)


# --- the completion certificate -----------------------------------------------------------------------------


def test_the_certificate_shows_declared_against_received_and_the_discrepancies(legal):
    m = walked(legal)
    assert m.status == Status.COMPLETED
    text = english(pdf.render_certificate_pdf, m)
    assert pdf.CERTIFICATE_TITLE in text
    assert "Completion certificate (copy 4) of hazardous waste manifest" in text
    assert "Declared (kg)" in text and "Received (kg)" in text and "Difference (kg)" in text
    assert "100 80 70 -30" in text  # declared, at pickup, received, difference of the first line
    assert "Discrepancy: Thiếu so với khai báo" in text
    assert "At pickup 80 kg against 100 kg declared" in text
    assert "TĐ – Thiêu đốt" in text and "Other: Nghiền và hóa rắn" in text
    assert "Legal basis: Nghị định số 08/2022/NĐ-CP" in text
    assert text.count(HASH_SENTENCE) == 1


def test_the_certificate_is_signed_by_the_person_who_completed_it(legal):
    m = walked(legal)
    assert m.completed_by == legal.fred
    text = english(pdf.render_certificate_pdf, m)
    assert "was completed on" in text and "by Trần Văn Hùng" in text
    assert "Treatment completed" in text and "Quản đốc khu xử lý" in text and "password re-entered on the portal" in text
    assert "Handed over by the generator" not in text  # the facility's signatures only


# --- a rejected load that goes back ---------------------------------------------------------------------------


def returned(w):
    m = services.sign(w.alice, w.draft(), PASSWORD)
    m = services.deliver(w.dan, services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m)))
    first, second = m.lines.order_by("position")
    lines = received_as_declared(m)
    lines[second.pk] = {"rejected": True, "rejection_reason": "Bóng đèn vỡ"}
    original = services.receive(w.fred, m, password=PASSWORD, lines=lines)
    back = services.create_follow_up(w.alice, original, kind=FollowUp.RETURN, password=PASSWORD)
    back = services.pickup(w.dan, back, vehicle=w.truck, quantities=quantities(back))
    back = services.deliver(w.dan, back)
    back = services.receive(w.alice, back, password=PASSWORD, lines=received_as_declared(back))
    return original, back


def test_a_return_prints_both_documents_and_links_its_origin(legal):
    original, back = returned(legal)
    assert back.permit is None and back.status == Status.COMPLETED
    copy = english(pdf.render_manifest_pdf, back)
    assert "Return to the generator: the waste goes back to its generator; no treatment permit applies." in copy
    assert f"Return to the generator of the load rejected under manifest {original.number}." in copy
    assert "Actual: Returned to the generator" in copy
    certificate = english(pdf.render_certificate_pdf, back)
    assert "returned to its generator Alpha" in certificate
    assert f"rejected under manifest {original.number}" in certificate
    assert "Received back by the generator; completed" in certificate and "Nguyễn Thị Lan" in certificate
    # The original names where its rejected load went.
    assert f"The rejected load returns to the generator under manifest {back.number}." in english(pdf.render_manifest_pdf, original)
