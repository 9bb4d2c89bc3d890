"""One number format per language everywhere: the web form, the Excel import and the CSV import decide alike
on a quantity that reads two ways; pages, inputs and the PDF write numbers in the reader's language; packages
are totalled per packaging type; positions print with their hemispheres."""

import io
from dataclasses import replace
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from manifests import line_import, pdf, services
from manifests.models import Manifest, Packaging, Status
from tests.manifests.lifecycle import at_status, quantities
from tests.manifests.test_line_import import upload, xlsx
from tests.manifests.test_views_generator import draft_data

pytestmark = pytest.mark.django_db

PHONE = {"HTTP_USER_AGENT": "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36 (390x844)"}
# The two readings of "1.250" / "1,250" as each language writes them (common.numbers.format_kg).
READINGS = {"vi": ("1,25\u00a0kg", "1.250\u00a0kg"), "en": ("1.25\u00a0kg", "1,250\u00a0kg")}


@pytest.fixture(params=["vi", "en"])
def language(request, client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = request.param
    return request.param


def shows_both_readings(message, language):
    return all(reading in message for reading in READINGS[language])


# --- the same ambiguous quantity, refused alike ------------------------------------------------------------


@pytest.mark.parametrize("typed", ["1.250", "1,250"])
def test_the_web_form_refuses_an_ambiguous_quantity_with_both_readings(client, chain, language, typed):
    w = chain
    client.force_login(w.alice)
    response = client.post(reverse("manifests:create"), draft_data(w, lines=[{"quantity_kg": typed}]))
    assert response.status_code == 200 and not Manifest.objects.exists()
    errors = response.context["formset"].forms[0].errors["quantity_kg"]
    assert shows_both_readings(errors[0], language)


@pytest.mark.parametrize("typed", ["1.250", "1,250"])
def test_the_excel_import_refuses_an_ambiguous_text_cell_with_both_readings(client, chain, language, typed):
    w = chain
    manifest = w.draft()
    client.force_login(w.alice)
    rows = [("17 02 03", "Dầu thải", "liquid", "drum", 1, typed), ("17 02 03", "Dầu thải", "liquid", "drum", 1, 1.25)]
    response = upload(client, manifest, xlsx(rows))
    ambiguous, numeric = response.context["rows"]
    assert [column for column, _message in ambiguous.errors] == ["quantity_kg"]
    assert shows_both_readings(ambiguous.errors[0][1], language)
    # A numeric cell is a number, not text: it never reads two ways.
    assert numeric.ok and numeric.values["quantity_kg"] == Decimal("1.25")


@pytest.mark.parametrize("typed", ["1.250", "1,250"])
def test_the_csv_import_refuses_an_ambiguous_quantity_with_both_readings(client, chain, language, typed):
    w = chain
    manifest = w.draft()
    client.force_login(w.alice)
    quoted = f'"{typed}"' if "," in typed else typed
    text = ",".join(line_import.COLUMNS) + f"\r\n17 02 03,Dầu thải,lỏng,phuy,1,{quoted}\r\n"
    response = upload(client, manifest, text.encode("utf-8-sig"), name="lines.csv")
    (row,) = response.context["rows"]
    assert [column for column, _message in row.errors] == ["quantity_kg"]
    assert shows_both_readings(row.errors[0][1], language)


def test_the_driver_form_refuses_an_ambiguous_quantity_too(client, chain, language):
    w = chain
    m = at_status(w, Status.READY)
    first = m.lines.order_by("position").first()
    data = {"vehicle": w.truck.pk, "idempotency_key": "k"} | {f"line_{line.pk}": "100" for line in m.lines.all()}
    client.force_login(w.dan)
    response = client.post(reverse("manifests:pickup", args=[m.pk]), data | {f"line_{first.pk}": "1.250"}, **PHONE)
    assert response.status_code == 200
    assert shows_both_readings(response.context["form"].errors[f"line_{first.pk}"][0], language)
    m.refresh_from_db()
    assert m.status == Status.READY


# --- what inputs and pages show --------------------------------------------------------------------------


def test_the_pickup_form_prefills_quantities_with_a_decimal_comma_in_vietnamese(client, chain):
    w = chain
    m = at_status(w, Status.READY)  # lines of 100 and 40.5 kg
    client.force_login(w.dan)
    for language, shown in (("vi", 'value="40,5"'), ("en", 'value="40.5"')):
        client.cookies["django_language"] = language
        html = client.get(reverse("manifests:pickup", args=[m.pk]), **PHONE).content.decode()
        assert shown in html and 'inputmode="decimal"' in html
        assert 'type="number"' not in html


def test_an_input_prefilled_in_vietnamese_posts_back_unchanged(client, chain):
    w = chain
    m = at_status(w, Status.READY)
    client.force_login(w.dan)
    client.cookies["django_language"] = "vi"
    form = client.get(reverse("manifests:pickup", args=[m.pk]), **PHONE).context["form"]
    with translation.override("vi"):
        data = {name: form[name].field.widget.format_value(form[name].value()) for name in form.fields if name.startswith("line_")}
    assert sorted(data.values()) == ["100", "40,5"]
    data |= {"vehicle": w.truck.pk, "idempotency_key": "k"}
    client.post(reverse("manifests:pickup", args=[m.pk]), data, **PHONE)
    assert sorted(m.lines.values_list("pickup_quantity_kg", flat=True)) == [Decimal("40.50"), Decimal("100.00")]


def test_the_detail_page_writes_quantities_in_the_language_and_totals_packages_per_type(client, chain):
    w = chain
    lines = [w.line(quantity="1234.50"), replace(w.line(quantity="40.5"), packaging_type=Packaging.BOX, packaging_count=3)]
    m = w.draft(lines=lines)
    client.force_login(w.alice)
    for language, total in (("vi", "1.275"), ("en", "1,275")):
        client.cookies["django_language"] = language
        html = client.get(reverse("manifests:detail", args=[m.pk])).content.decode()
        assert f"<strong>{total}</strong>" in html
        with translation.override(language):
            drum, box = (str(label) for label in (Packaging.DRUM.label, Packaging.BOX.label))
        footer = html[html.index("<tfoot>") : html.index("</tfoot>")]
        # 2 drums and 3 boxes, never "5" packages of nothing.
        assert f"2 × {drum}" in footer and f"3 × {box}" in footer and "<td>5</td>" not in footer


def test_the_timeline_prints_the_pickup_position_with_hemispheres(client, chain):
    w = chain
    m = at_status(w, Status.READY)
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m), latitude=Decimal("10.776900"), longitude=Decimal("106.700900"), accuracy_m=Decimal("12.5"))
    client.force_login(w.alice)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("manifests:detail", args=[m.pk])).content.decode()
    assert "10.7769°\u00a0N, 106.7009°\u00a0E (±12.5 m)" in html


# --- the PDF ---------------------------------------------------------------------------------------------


def pdf_text(m, language):
    with translation.override(language):
        reader = PdfReader(io.BytesIO(pdf.render_manifest_pdf(m)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_pdf_writes_numbers_like_the_pages_and_totals_packages_per_type(chain):
    w = chain
    lines = [w.line(quantity="1234.50"), replace(w.line(quantity="40.5"), packaging_type=Packaging.BOX)]
    m = at_status(w, Status.READY, lines=lines)
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m), latitude=Decimal("10.776900"), longitude=Decimal("106.700900"))
    vi, en = pdf_text(m, "vi"), pdf_text(m, "en")
    assert "1.234,5" in vi and "1.275" in vi and "1.234,50" not in vi
    assert "1,234.5" in en and "1,275" in en
    assert "10,7769°" in vi and "10.7769° N, 106.7009° E" in en
    # Two drums and two boxes: totalled apart in the footer, never "4".
    with translation.override("en"):
        drum, box = str(Packaging.DRUM.label), str(Packaging.BOX.label)
    assert en.count(f"2 × {drum}") == 2 and en.count(f"2 × {box}") == 2
