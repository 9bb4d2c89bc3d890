"""Importing manifest lines from a spreadsheet: the template, the preview with its errors, the confirmation."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from catalog.codes import normalise_waste_code
from manifests import line_import, services
from manifests.views.excel import detail_url
from tests import factories
from tests.factories import PASSWORD


def xlsx(rows, headers=line_import.COLUMNS):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def upload(client, manifest, content, name="lines.xlsx"):
    return client.post(
        reverse("manifests:import_lines", args=[manifest.pk]),
        {"action": "upload", "file": SimpleUploadedFile(name, content)},
    )


def confirm(client, manifest, payload):
    return client.post(reverse("manifests:import_lines", args=[manifest.pk]), {"action": "confirm", "payload": payload})


def lines_of(manifest):
    return list(manifest.lines.order_by("position").values_list("position", "waste_code__code", "quantity_kg"))


GOOD_ROWS = [
    ("170203", "Dầu nhớt thải", "lỏng", "Thùng phuy", 3, "125,5"),
    ("16 01 06", "Bóng đèn huỳnh quang", "solid", "box", "2", 40.25),
]


# --- template ----------------------------------------------------------------------------------------


def test_the_template_is_an_xlsx_with_the_machine_headers_and_a_help_sheet(client, world):
    client.force_login(world.alice)
    response = client.get(reverse("manifests:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    lines_sheet, help_sheet = book.worksheets
    assert [cell.value for cell in lines_sheet[1]] == list(line_import.COLUMNS)
    assert lines_sheet.max_row == 1  # no sample row that could be imported by mistake
    help_text = " ".join(str(cell.value) for row in help_sheet.iter_rows() for cell in row if cell.value)
    for expected in ("solid", "rắn", "lỏng", "bùn", "khí", "drum", "thùng phuy", "125.5", "125,5"):
        assert expected in help_text


def test_the_template_needs_a_login(client, world):
    response = client.get(reverse("manifests:import_template"))
    assert response.status_code == 302 and "login" in response["Location"]


# --- import: happy path ------------------------------------------------------------------------------


def test_a_good_file_is_previewed_then_appended_to_the_draft_on_confirmation(client, chain):
    w = chain
    manifest = w.draft()
    before = lines_of(manifest)
    assert len(before) == 2
    client.force_login(w.alice)

    response = client.get(reverse("manifests:import_lines", args=[manifest.pk]))
    assert response.status_code == 200 and b'type="file"' in response.content

    response = upload(client, manifest, xlsx(GOOD_ROWS))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="confirm"' in page
    assert "17 02 03" in page and "16 01 06" in page
    assert lines_of(manifest) == before  # the preview saves nothing

    payload = response.context["payload"]
    response = confirm(client, manifest, payload)
    assert response.status_code == 302
    assert response["Location"] == detail_url(manifest)
    after = lines_of(manifest)
    assert after[:2] == before
    assert after[2:] == [(3, "17 02 03", Decimal("125.50")), (4, "16 01 06", Decimal("40.25"))]
    new = manifest.lines.get(position=3)
    assert (new.physical_state, new.packaging_type, new.packaging_count, new.description) == ("liquid", "drum", 3, "Dầu nhớt thải")
    assert AuditEvent.objects.filter(chain=manifest.chain, action="draft.saved", actor=w.alice).count() == 1


def test_the_downloaded_template_filled_in_imports(client, chain):
    w = chain
    manifest = w.draft()
    client.force_login(w.alice)
    book = openpyxl.load_workbook(io.BytesIO(client.get(reverse("manifests:import_template")).content))
    for row in GOOD_ROWS:
        book["lines"].append(list(row))
    stream = io.BytesIO()
    book.save(stream)
    response = upload(client, manifest, stream.getvalue())
    assert [row.ok for row in response.context["rows"]] == [True, True]
    assert confirm(client, manifest, response.context["payload"]).status_code == 302
    assert manifest.lines.count() == 4


def test_a_csv_saved_by_excel_in_vietnamese_is_read(client, chain):
    """Excel on a Vietnamese Windows writes ';' between fields and ',' decimals; a BOM at the start."""
    w = chain
    manifest = w.draft()
    client.force_login(w.alice)
    text = ";".join(line_import.COLUMNS) + "\r\n17 02 03;Dầu thải;lỏng;phuy;1;125,5\r\n16 01 06;Bóng đèn;rắn;hộp;2;1.250,5\r\n"
    response = upload(client, manifest, text.encode("utf-8-sig"), name="lines.csv")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.errors for row in rows] == [[], []]
    assert [row.values["quantity_kg"] for row in rows] == [Decimal("125.50"), Decimal("1250.50")]
    assert [row.values["physical_state"] for row in rows] == ["liquid", "solid"]
    confirm(client, manifest, response.context["payload"])
    assert manifest.lines.count() == 4


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("125,5", "125.50"), ("125.5", "125.50"), (125.5, "125.50"), (" 125 ", "125.00"), ("1.250,5", "1250.50"),
        ("1,250.5", "1250.50"), ("1 250,75", "1250.75"), ("1.250,0", "1250.00"), (1.25, "1.25"), (1250, "1250.00"),
        ("12.345.678", "12345678.00"), (137.50000000000003, "137.50"), (",5", "0.50"),
    ],
)
def test_quantities_accept_both_decimal_separators(typed, expected):
    assert line_import.parse_quantity(typed) == Decimal(expected)


@pytest.mark.parametrize("typed", ["-5", "0", "abc", "1.2.3", "12,3456", "0,125", "1e5", "", None, True, "1.250", "1,250"])
def test_bad_quantities_are_refused(typed):
    with pytest.raises(ValueError):
        line_import.parse_quantity(typed)


@pytest.mark.parametrize(("typed", "expected"), [("170203", "17 02 03"), ("17 02 03", "17 02 03"), (170203, "17 02 03"), (10101, "01 01 01"), ("17-02-03", "17 02 03"), ("abc", None)])
def test_waste_codes_are_normalised(typed, expected):
    assert normalise_waste_code(typed) == expected


def test_the_number_format_does_not_depend_on_the_language(client, chain, settings):
    w = chain
    manifest = w.draft()
    client.force_login(w.alice)
    for language in ("vi", "en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = upload(client, manifest, xlsx([("17 02 03", "Dầu", "liquid", "drum", 1, "125,5"), ("17 02 03", "Dầu", "liquid", "drum", 1, "125.5")]))
        assert [row.values["quantity_kg"] for row in response.context["rows"]] == [Decimal("125.50"), Decimal("125.50")]


def test_the_preview_warns_about_codes_the_permit_does_not_cover_by_code_text(client, chain):
    """The permit lists codes of an older catalog version: a code keeps its meaning, so 17 02 03 of the
    current version is covered (Permit.uncovered_codes), and only 19 06 01 gets the warning."""
    w = chain
    manifest = w.draft()
    newer = factories.CatalogVersionFactory(label="newer", effective_date=date(2023, 1, 1))
    for old in (w.oil, w.lamps, w.unpermitted):
        factories.WasteCodeFactory(version=newer, code=old.code, chapter=old.chapter, physical_states=old.physical_states)
    client.force_login(w.alice)
    rows = [("17 02 03", "Dầu thải", "liquid", "drum", 1, "10"), ("19 06 01", "Ắc quy", "liquid", "drum", 1, "10")]
    response = upload(client, manifest, xlsx(rows))
    oil, battery = response.context["rows"]
    assert oil.values["waste_code"].version == newer and oil.ok and battery.ok
    assert oil.warnings == []
    assert len(battery.warnings) == 1 and w.permit.number in battery.warnings[0] and "19 06 01" in battery.warnings[0]
    assert response.context["payload"]  # a warning, not an error: the lines may still be imported


# --- import: errors ----------------------------------------------------------------------------------


def test_a_file_with_bad_rows_shows_each_error_and_saves_nothing(client, chain):
    w = chain
    manifest = w.draft()
    before = lines_of(manifest)
    client.force_login(w.alice)
    rows = [
        ("17 02 03", "Dầu thải", "liquid", "drum", 1, "10"),  # row 2: good
        ("99 99 99", "Không rõ", "liquid", "drum", 1, "10"),  # row 3: unknown code
        ("17 02 03", "Dầu thải", "liquid", "drum", 1, "-5"),  # row 4: negative quantity
        ("17 02 03", "Dầu thải", "plasma", "drum", 1, "10"),  # row 5: bad state
        (None, None, None, None, None, None),  # blank row, ignored
        ("16 01 06", "", "solid", "crate", 0, "1"),  # row 7: description, packaging, count
    ]
    response = upload(client, manifest, xlsx(rows))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="confirm"' not in page and response.context["payload"] == ""
    by_number = {row.number: row for row in response.context["rows"]}
    assert by_number[2].ok
    assert [column for column, _ in by_number[3].errors] == ["waste_code"] and "99 99 99" in by_number[3].errors[0][1]
    assert [column for column, _ in by_number[4].errors] == ["quantity_kg"]
    assert [column for column, _ in by_number[5].errors] == ["physical_state"] and "plasma" in by_number[5].errors[0][1]
    assert [column for column, _ in by_number[7].errors] == ["description", "packaging_type", "packaging_count"]
    assert 6 not in by_number
    for number in (3, 4, 5, 7):
        assert f'id="row-{number}"' in page
    assert "99 99 99" in page and "plasma" in page
    assert response.context["bad_count"] == 4
    assert lines_of(manifest) == before


def test_a_forged_or_foreign_confirmation_is_refused_and_saves_nothing(client, chain):
    w = chain
    manifest, other = w.draft(), w.draft()
    before = lines_of(manifest)
    client.force_login(w.alice)
    good = upload(client, other, xlsx(GOOD_ROWS)).context["payload"]
    forged_rows = {"manifest": manifest.pk, "user": w.alice.pk, "rows": [[w.oil.pk, "x", "liquid", "drum", 1, "-5"]]}
    attempts = [
        "",
        good[:-3] + "abc",  # tampered
        good,  # signed for another draft
        signing.dumps(forged_rows, salt="another-salt", compress=True),  # signed with another purpose
    ]
    for payload in attempts:
        response = confirm(client, manifest, payload)
        assert response.status_code == 400
        assert response.context["errors"] and "form-errors" in response.content.decode()
    assert lines_of(manifest) == before


def test_a_second_confirmation_or_a_draft_changed_meanwhile_is_refused(client, chain):
    w = chain
    manifest = w.draft()
    client.force_login(w.alice)
    payload = upload(client, manifest, xlsx(GOOD_ROWS)).context["payload"]
    assert confirm(client, manifest, payload).status_code == 302
    assert confirm(client, manifest, payload).status_code == 400  # double click: not added twice
    assert manifest.lines.count() == 4

    payload = upload(client, manifest, xlsx(GOOD_ROWS)).context["payload"]
    services.update_draft(
        w.bob, manifest, generator_site=manifest.generator_site, facility_site=manifest.facility_site, permit=manifest.permit,
        transporter=manifest.transporter, planned_pickup_date=manifest.planned_pickup_date, lines=[w.line()],
    )
    response = confirm(client, manifest, payload)
    assert response.status_code == 400 and response.context["errors"]
    assert manifest.lines.count() == 1


def test_a_confirmation_by_another_user_is_refused(client, chain):
    w = chain
    manifest = w.draft()
    client.force_login(w.alice)
    payload = upload(client, manifest, xlsx(GOOD_ROWS)).context["payload"]
    client.force_login(w.bob)  # may edit the same Hà Nội draft, but did not check this file
    assert confirm(client, manifest, payload).status_code == 400
    assert manifest.lines.count() == 2


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"\x00" * (line_import.MAX_UPLOAD_BYTES + 1), "big.xlsx", "2 MB"),
        (b"not a spreadsheet", "lines.xlsx", "XLSX"),
        (b"hello", "lines.pdf", "XLSX"),
    ],
)
def test_unreadable_or_oversized_files_are_refused(client, chain, content, name, message):
    w = chain
    manifest = w.draft()
    client.force_login(w.alice)
    response = upload(client, manifest, content, name=name)
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any(message in error for error in errors)


def test_more_than_500_rows_or_missing_columns_are_refused(client, chain):
    w = chain
    manifest = w.draft()
    client.force_login(w.alice)
    many = [("17 02 03", "Dầu", "liquid", "drum", 1, "1")] * (line_import.MAX_IMPORT_ROWS + 1)
    response = upload(client, manifest, xlsx(many))
    assert "500" in " ".join(response.context["form"].errors["file"])
    response = upload(client, manifest, xlsx([("17 02 03", "Dầu")], headers=("waste_code", "description")))
    assert "quantity_kg" in " ".join(response.context["form"].errors["file"])
    response = upload(client, manifest, xlsx([]))
    assert response.context["form"].errors["file"]
    assert manifest.lines.count() == 2


# --- import: who and when ----------------------------------------------------------------------------


def test_a_manifest_past_the_draft_redirects_to_its_page(client, chain):
    w = chain
    manifest = services.sign(w.alice, w.draft(), PASSWORD)
    client.force_login(w.alice)
    url = reverse("manifests:import_lines", args=[manifest.pk])
    for response in (client.get(url), upload(client, manifest, xlsx(GOOD_ROWS))):
        assert response.status_code == 302 and response["Location"] == detail_url(manifest)
    assert manifest.lines.count() == 2


def test_outsiders_get_404_and_viewers_403(client, chain):
    w = chain
    manifest = w.draft()
    url = reverse("manifests:import_lines", args=[manifest.pk])
    for outsider in (w.zoe, w.fred, w.nobody):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert upload(client, manifest, xlsx(GOOD_ROWS)).status_code == 404
    client.force_login(w.vera)
    assert client.get(url).status_code == 403
    assert upload(client, manifest, xlsx(GOOD_ROWS)).status_code == 403
    assert manifest.lines.count() == 2
