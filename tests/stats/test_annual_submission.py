"""Submitting, freezing, versions, the deadline, and the documents of a submitted report."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader

from accounts.audit import verify_chains
from accounts.models import AuditEvent
from manifests.content import content_hash
from manifests.models import ManifestLine, Status
from stats.annual import periods, services
from stats.models import AnnualReport
from tests.common.test_documents import vietnamese_page_label  # noqa: F401
from tests.factories import PASSWORD

from .annual_data import VN, line, local, manifest

pytestmark = pytest.mark.django_db
ON_TIME = dt.datetime(2026, 1, 10, 9, 0, tzinfo=VN)


@pytest.fixture
def handed(annual):
    w = annual
    w.m1 = manifest(w, local(2025, 3, 1), [
        line(w.oil, "100", received="97.5", planned=w.incineration, method=w.incineration, treated_on=dt.date(2025, 3, 5)),
        line(w.lamps, "40.5", received="40.5", planned=w.recycling),
    ], status=Status.RECEIVED)
    return w


def submit(w, *, user=None, site=None, now=ON_TIME, entries=None, form="05.A", password=PASSWORD):
    entries = [{"waste_code": "17 02 03", "stored_kg": Decimal("12.5"), "self_treated_kg": Decimal("0")}] if entries is None else entries
    return services.submit(user or w.alice, site or w.alpha_hn, 2025, form=form, entries=entries, password=password, now=now)


# --- deadline -------------------------------------------------------------------------------------------


def test_the_deadline_is_15_january_of_the_next_year_until_its_last_minute_in_vietnam(settings):
    assert periods.deadline(2025) == dt.date(2026, 1, 15)
    assert not periods.is_late(2025, dt.datetime(2026, 1, 15, 23, 59, 59, tzinfo=VN))
    assert periods.is_late(2025, dt.datetime(2026, 1, 16, 0, 0, tzinfo=VN))
    # 16 Jan 00:30 in Vietnam is still 15 Jan in UTC: late all the same.
    assert periods.is_late(2025, dt.datetime(2026, 1, 15, 17, 30, tzinfo=dt.UTC))
    settings.HWMS_ANNUAL_REPORT_DEADLINE = "01-20"  # industrial-zone operators
    assert not periods.is_late(2025, dt.datetime(2026, 1, 18, 12, 0, tzinfo=VN))


def test_a_report_submitted_at_the_last_minute_is_on_time_and_one_a_minute_later_is_marked_late(handed):
    w = handed
    on_time = submit(w, now=dt.datetime(2026, 1, 15, 23, 59, tzinfo=VN))
    late = submit(w, now=dt.datetime(2026, 1, 16, 0, 0, tzinfo=VN))
    assert (on_time.is_late, late.is_late) == (False, True)
    assert late.due_by == dt.datetime(2026, 1, 16, tzinfo=VN)
    # The database refuses a late flag that contradicts the times.
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualReport.objects.filter(pk=late.pk).update(is_late=False)


def test_only_a_year_that_is_over_is_reported(handed):
    with pytest.raises(services.ReportError):
        services.submit(handed.alice, handed.alpha_hn, periods.last_closed_year() + 1, form="05.A", entries=[], password=PASSWORD)


# --- freezing, audit, versions -----------------------------------------------------------------------


def test_a_submitted_report_is_frozen_hashed_and_in_the_audit_chain(handed):
    w = handed
    report = submit(w)
    report.refresh_from_db()
    assert report.content_hash == content_hash(report.content)
    assert report.content["prefill"]["handed_over_kg"] == "138.00"
    assert report.content["entered"] == [
        {"waste_code": "17 02 03", "waste_name": w.oil.name_vi, "class_marker": "NH", "self_treated_kg": "0.00", "exported_kg": "0.00", "stored_kg": "12.50"}
    ]
    event = AuditEvent.objects.get(chain=f"annual_report:{report.pk}")
    assert (event.action, event.actor, event.organisation) == ("submitted", w.alice, w.alpha)
    assert event.data["content_hash"] == report.content_hash and event.data["version"] == 1 and event.data["late"] is False
    assert verify_chains([report.chain]) == (1, None)
    # The manifests change afterwards (a revision, a late receipt): the submitted report does not.
    frozen, digest = report.content, report.content_hash
    ManifestLine.objects.filter(manifest=w.m1, waste_code=w.oil).update(received_quantity_kg=Decimal("90"))
    manifest(w, local(2025, 11, 1), [line(w.oil, "500", received="500", planned=w.incineration)], status=Status.RECEIVED)
    report.refresh_from_db()
    assert (report.content, report.content_hash) == (frozen, digest)
    assert content_hash(report.content) == digest
    # … while a new version would see the new figures.
    assert services.build_content(w.alpha_hn, 2025, form="05.A", entries=[])["prefill"]["handed_over_kg"] == "630.50"


def test_a_correction_is_a_new_version_that_supersedes_and_keeps_the_history(handed):
    w = handed
    first = submit(w)
    second = submit(w, entries=[])
    assert (second.version, second.supersedes) == (2, first)
    first.refresh_from_db()
    assert first.superseded_by == second and first.content["entered"] != second.content["entered"]
    assert list(AuditEvent.objects.filter(chain=first.chain).values_list("action", flat=True)) == ["submitted", "superseded"]
    assert AuditEvent.objects.get(chain=first.chain, action="superseded").data["by"] == second.pk
    assert AnnualReport.objects.filter(site=w.alpha_hn, year=2025).count() == 2


def test_the_database_keeps_versions_unique_and_linked(handed):
    w = handed
    first = submit(w)
    fields = {f.name: getattr(first, f.name) for f in AnnualReport._meta.concrete_fields if f.name not in ("id", "supersedes")}
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualReport.objects.create(**fields)  # the same (site, year, version)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualReport.objects.create(**{**fields, "version": 2})  # version 2 replacing nothing
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualReport.objects.create(**{**fields, "version": 3, "supersedes": first, "content_hash": "not a hash"})


def test_submitting_needs_the_password_and_an_acting_member(handed):
    w = handed
    with pytest.raises(services.ReportError):
        submit(w, password="wrong")
    with pytest.raises(PermissionDenied):
        submit(w, user=w.vera)  # a viewer
    with pytest.raises(PermissionDenied):
        submit(w, user=w.bob, site=w.alpha_hcm)  # limited to the Hà Nội site
    assert not AnnualReport.objects.exists() and not AuditEvent.objects.filter(chain__startswith="annual_report:").exists()


# --- pages and documents ----------------------------------------------------------------------------


def _post(client, w, **overrides):
    data = {
        "entry-TOTAL_FORMS": "2",
        "entry-INITIAL_FORMS": "0",
        "entry-MIN_NUM_FORMS": "0",
        "entry-MAX_NUM_FORMS": "1000",
        "entry-0-waste_code": "17 02 03",
        "entry-0-stored_kg": "12,5",
        "entry-1-waste_code": "",
        "form": "05.B",
        "note": "Số liệu cân tại cơ sở",
        "password": PASSWORD,
    }
    data.update(overrides)
    return client.post(reverse("annual_reports:prepare", args=[w.alpha_hn.pk, 2025]), data)


def test_the_prepare_page_shows_the_prefill_and_submits_with_the_password(client, handed):
    w = handed
    client.force_login(w.alice)
    page = client.get(reverse("annual_reports:prepare", args=[w.alpha_hn.pk, 2025]))
    assert page.status_code == 200
    assert "Omega" in page.content.decode() and w.permit.number in page.content.decode()
    refused = _post(client, w, password="wrong")
    assert refused.status_code == 200 and not AnnualReport.objects.exists()
    missing_code = _post(client, w, **{"entry-1-exported_kg": "5"})
    assert missing_code.status_code == 200 and not AnnualReport.objects.exists()
    done = _post(client, w)
    report = AnnualReport.objects.get()
    assert done.status_code == 302 and done.url == reverse("annual_reports:detail", args=[report.pk])
    assert report.form == "05.B" and report.content["note"] == "Số liệu cân tại cơ sở"
    assert report.content["entered"][0]["stored_kg"] == "12.50"
    assert client.get(done.url).status_code == 200
    # GET never submits; a correction starts from what the last version declared.
    again = client.get(reverse("annual_reports:prepare", args=[w.alpha_hn.pk, 2025]), {"password": PASSWORD})
    assert again.status_code == 200 and AnnualReport.objects.count() == 1
    assert again.context["formset"].initial == [{"waste_code": "17 02 03", "self_treated_kg": "0.00", "exported_kg": "0.00", "stored_kg": "12.50"}]


def test_the_pdf_and_the_xlsx_hold_exactly_what_was_submitted(client, handed, vietnamese_page_label):  # noqa: F811
    w = handed
    report = submit(w, now=dt.datetime(2026, 1, 20, tzinfo=VN))
    ManifestLine.objects.filter(manifest=w.m1).update(received_quantity_kg=Decimal("1"))  # after submission
    client.force_login(w.hanoi_official)
    response = client.get(reverse("annual_reports:pdf", args=[report.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("BÁO CÁO CÔNG TÁC BẢO VỆ MÔI TRƯỜNG", "Mẫu số 05.A", "Alpha Hà Nội", "17 02 03", "Omega", w.permit.number, "97,5", "138", "12,5", report.content_hash):
        assert expected in text, expected
    assert "Trang 1/" in text
    response = client.get(reverse("annual_reports:xlsx", args=[report.pk]))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 4  # general information + handed over, entered, returned
    info = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=3, values_only=True)}
    assert report.content_hash in info.values()
    handed_over = list(book.worksheets[1].iter_rows(values_only=True))
    assert handed_over[1][0] == "16 01 06" and handed_over[1][-1] == 40.5
    assert handed_over[2][0] == "17 02 03" and handed_over[2][-1] == 97.5 and handed_over[2][4] == w.permit.number
    assert handed_over[-1][-1] == 138  # the total
    entered = list(book.worksheets[2].iter_rows(values_only=True))
    assert entered[1][:2] == ("17 02 03", w.oil.name_vi) and entered[1][-1] == 12.5


def test_a_late_report_is_marked_on_its_page(client, handed):
    w = handed
    report = submit(w, now=dt.datetime(2026, 2, 1, tzinfo=VN))
    client.force_login(w.alice)
    page = client.get(reverse("annual_reports:detail", args=[report.pk])).content.decode()
    assert "badge-danger" in page


def test_a_facility_files_its_intake_treatment_stock_and_onward_loads(client, handed):
    w = handed
    client.force_login(w.fred)
    page = client.get(reverse("annual_reports:prepare", args=[w.omega_site.pk, 2025])).content.decode()
    assert "Alpha" in page and "stored_kg" in page and "residues_kg" in page
    data = {
        "entry-TOTAL_FORMS": "1",
        "entry-INITIAL_FORMS": "0",
        "entry-0-waste_code": "17 02 03",
        "entry-0-residues_kg": "3",
        "entry-0-stored_kg": "4",
        "form": "05.A",
        "password": PASSWORD,
    }
    assert client.post(reverse("annual_reports:prepare", args=[w.omega_site.pk, 2025]), data).status_code == 302
    report = AnnualReport.objects.get(site=w.omega_site)
    assert report.kind == "facility" and report.organisation == w.omega
    assert report.content["prefill"]["received_kg"] == "138.00" and report.content["prefill"]["treated_kg"] == "97.50"
    assert report.content["entered_totals"] == {"received_outside_kg": "0.00", "residues_kg": "3.00", "exported_kg": "0.00", "stored_kg": "4.00"}
    book = openpyxl.load_workbook(io.BytesIO(client.get(reverse("annual_reports:xlsx", args=[report.pk])).content))
    assert len(book.sheetnames) == 7  # general information + received, treated, stock, onward, residues, entered
    stock = list(book.worksheets[3].iter_rows(values_only=True))
    assert stock[1][0] == "16 01 06" and stock[1][2:] == (0, 40.5, 0, 40.5)
