"""Statistics report PDFs: their contents equal the rollups (and the dashboard), the provinces' reports hold their
province only, the job writes the national and every provincial report with its progress, scope by the policy."""

import io
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from accounts.models import AuditEvent
from common.numbers import grouped
from manifests.models import Status
from stats import rollups, selectors
from stats.models import ExportJob, StatisticsReport, WasteYear
from stats.reports import document, jobs
from stats.reports.data import gather
from tests.stats.annual_data import line, local, manifest

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_2025(annual):
    """Three manifests of 2025: Hà Nội → HCM (treated by incineration), HCM → Hà Nội (recycled), HCM → HCM
    (received, not treated yet); rollups rebuilt."""
    w = annual
    manifest(w, local(2025, 3, 1), [line(w.oil, "12345.5", pickup="12345.5", received="12345.5", method=w.incineration, treated_on=local(2025, 3, 5).date())])
    manifest(
        w,
        local(2025, 7, 10),
        [line(w.lamps, "2500000", pickup="2500000", received="2500000", method=w.recycling, treated_on=local(2025, 7, 20).date())],
        site=w.alpha_hcm,
        facility_site=w.sigma_site,
        permit=w.sigma_permit,
    )
    manifest(w, local(2025, 11, 5), [line(w.oil, "730.25", pickup="730.25", received="730.25")], site=w.alpha_hcm, status=Status.RECEIVED)
    rollups.rebuild()
    return w


def pdf_text(content):
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def streamed(response):
    """The body of a FileResponse. Read to the end, the test client closes the response (and its file) itself;
    response.close() in a test would send request_finished, which closes the database connection (PostgreSQL)."""
    return b"".join(response.streaming_content)


def kg(value):
    """A quantity as the reports print it, in Vietnamese."""
    with translation.override("vi"):
        return grouped(value, 0)


def declared(**filters):
    return WasteYear.objects.filter(year=2025, **filters).aggregate(kg=Sum("declared_kg"))["kg"]


def test_the_national_report_prints_the_rollups_figures_in_vietnamese(year_2025):
    w = year_2025
    with translation.override("vi"):
        data = gather(2025)
        reader, text = pdf_text(document.report_pdf(data))
        assert document.report_title().upper() in text and "2025" in text
        assert "Trang 1/" in text and f"Trang {len(reader.pages)}/{len(reader.pages)}" in text
        assert reader.metadata.title == document.document_title(data)
        # The totals, as the rollups hold them, in the Vietnamese grouping.
        assert kg(declared()) == "2.513.076" and kg(declared()) in text
        assert kg(declared(province=w.hanoi)) in text and kg(declared(province=w.hcm)) in text
        assert "Thành phố Hà Nội" in text and "Thành phố Hồ Chí Minh" in text
        # Codes and methods, with the quantities of the rollups.
        assert "17 02 03" in text and "16 01 06" in text
        assert "TĐ – Thiêu đốt" in text and "TC – Tận thu/tái chế" in text
        assert kg(declared(method=w.recycling)) in text
        # The flow matrix: both directions between the two provinces.
        assert "Hồ Chí Minh" in text and kg(Decimal("12345.5")) in text
    # The report's figures are the dashboard's (the same selectors, the same filters).
    dashboard = selectors.national(selectors.Filters(year=2025))
    assert data.totals == dashboard["totals"]
    assert data.tables["by_province"].rows == next(t for t in dashboard["tables"] if t.name == "by_province").rows


def test_a_provincial_report_holds_its_province_only(year_2025):
    w = year_2025
    with translation.override("vi"):
        data = gather(2025, w.hanoi)
        _reader, text = pdf_text(document.report_pdf(data))
    assert data.totals["declared_kg"] == declared(province=w.hanoi) == Decimal("12345.50")
    assert "Thành phố Hà Nội" in text
    assert "Alpha Hà Nội" in text and "Alpha HCM" not in text  # the largest generators: the province's
    assert kg(Decimal("2500000")) in text  # received in Hà Nội from HCM: a flow into the province
    assert kg(Decimal("730.25")) not in text  # HCM → HCM is not the province's
    assert data.matrix.origins == ["Thành phố Hồ Chí Minh", "Thành phố Hà Nội"]


def test_an_empty_year_still_gives_a_report(annual):
    with translation.override("vi"):
        _reader, text = pdf_text(document.report_pdf(gather(2019)))
    assert "2019" in text and "Trang 1/" in text


def test_the_flow_matrix_pivots_the_dashboards_flows(year_2025):
    matrix = gather(2025).matrix
    assert matrix.cell("Thành phố Hà Nội", "Thành phố Hồ Chí Minh") == Decimal("12345.50")
    assert matrix.cell("Thành phố Hồ Chí Minh", "Thành phố Hà Nội") == Decimal("2500000.00")
    assert matrix.cell("Thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh") == Decimal("730.25")
    assert matrix.cell("Thành phố Hà Nội", "Thành phố Hà Nội") is None
    assert matrix.total == declared()
    assert matrix.row_total("Thành phố Hồ Chí Minh") == Decimal("2500730.25")


# --- the job ------------------------------------------------------------------------------------------------


def generate(client, data, run=None):
    if run is None:
        return client.post(reverse("stats:reports_generate"), data)
    with run():
        return client.post(reverse("stats:reports_generate"), data)


def test_the_central_official_generates_every_report_in_one_job(client, year_2025, run_tasks, settings, tmp_path):
    w = year_2025
    settings.MEDIA_ROOT = tmp_path
    client.force_login(w.central_official)
    page = client.get(reverse("stats:reports"), {"year": 2025})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    response = generate(client, {"year": 2025}, run_tasks)
    job = ExportJob.objects.get(kind=jobs.KIND)
    assert response.url == reverse("stats:reports") + "?year=2025"
    assert job.state == ExportJob.State.DONE and (job.done, job.total) == (3, 3)  # the country and both provinces
    reports = {report.province_id: report for report in StatisticsReport.objects.all()}
    assert set(reports) == {None, w.hanoi.pk, w.hcm.pk}
    assert all(".pdf" in report.file.name and "toan-quoc" not in report.file.name for report in reports.values())
    html = client.get(reverse("stats:reports"), {"year": 2025}).content.decode()
    assert "3/3" in html
    for report in reports.values():
        assert reverse("stats:report_download", args=[report.pk]) in html
    download = client.get(reverse("stats:report_download", args=[reports[w.hcm.pk].pk]))
    assert download["Content-Type"] == "application/pdf" and "no-store" in download["Cache-Control"]
    assert "bao-cao-thong-ke-ctnh-2025-ho-chi-minh.pdf" in download["Content-Disposition"]
    _reader, text = pdf_text(streamed(download))
    assert "Thành phố Hồ Chí Minh" in text
    # The request and the files' digests are in the audit chain of the job.
    actions = list(AuditEvent.objects.filter(chain=jobs.chain(job)).order_by("seq").values_list("action", flat=True))
    assert actions == ["statistics_reports.requested", "statistics_reports.generated"]


def test_progress_is_counted_document_by_document(year_2025, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    w = year_2025
    settings.MEDIA_ROOT = tmp_path
    job = jobs.start(w.central_official, 2025)  # callbacks not run: the job waits
    assert (job.state, job.done, job.total) == (ExportJob.State.PENDING, 0, 3)
    seen = []
    build = jobs.report_pdf

    def observed(data):
        seen.append(ExportJob.objects.values_list("state", "done").get(pk=job.pk))
        return build(data)

    monkeypatch.setattr(jobs, "report_pdf", observed)
    assert jobs.run_job(job.pk) == 3
    assert seen == [("running", 0), ("running", 1), ("running", 2)]


def test_asking_twice_while_the_job_waits_gives_the_same_job(year_2025):
    w = year_2025
    job = jobs.start(w.central_official, 2025)
    assert jobs.start(w.central_official, 2025) == job
    assert jobs.start(w.central_official, 2025, w.hanoi.pk) != job  # other reports: another job
    assert jobs.start(w.central_official, 2024) != job
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.DONE)
    assert jobs.start(w.central_official, 2025) != job  # done: written again, with today's figures


def test_the_page_polls_a_running_job_and_shows_its_count(client, year_2025):
    w = year_2025
    job = jobs.start(w.central_official, 2025)
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.RUNNING, done=1)
    client.force_login(w.central_official)
    for html in (client.get(reverse("stats:reports"), {"year": 2025}).content.decode(), client.get(reverse("stats:report_job", args=[job.pk])).content.decode()):
        assert "1/3" in html and f'hx-get="{reverse("stats:report_job", args=[job.pk])}"' in html and 'hx-trigger="every 2s"' in html


def test_a_second_delivery_writes_only_what_is_missing(year_2025, settings, tmp_path):
    w = year_2025
    settings.MEDIA_ROOT = tmp_path
    job = jobs.start(w.central_official, 2025)
    jobs.run_job(job.pk)
    first = set(StatisticsReport.objects.values_list("pk", flat=True))
    assert jobs.run_job(job.pk) == 3 and set(StatisticsReport.objects.values_list("pk", flat=True)) == first
    # A worker lost after two documents: the redelivered task writes the third only.
    StatisticsReport.objects.filter(province=w.hcm).delete()
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.RUNNING, done=2)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert (job.state, job.done) == (ExportJob.State.DONE, 3) and StatisticsReport.objects.count() == 3


def test_a_failed_job_says_so(client, year_2025, settings, tmp_path, monkeypatch):
    w = year_2025
    settings.MEDIA_ROOT = tmp_path
    job = jobs.start(w.hanoi_official, 2025)

    def broken(data):
        raise OSError("disk full")

    monkeypatch.setattr(jobs, "report_pdf", broken)
    with pytest.raises(OSError):
        jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED and "disk full" in job.error
    client.force_login(w.hanoi_official)
    with translation.override("vi"):  # the page speaks the portal's language
        failed = gettext("Writing the reports failed. Please try again later.")
    assert failed in client.get(reverse("stats:report_job", args=[job.pk])).content.decode()


def test_a_provincial_official_generates_and_reads_the_province_only(client, year_2025, run_tasks, settings, tmp_path):
    w = year_2025
    settings.MEDIA_ROOT = tmp_path
    central = jobs.start(w.central_official, 2025)
    jobs.run_job(central.pk)
    client.force_login(w.hanoi_official)
    response = generate(client, {"year": 2025}, run_tasks)
    assert response.status_code == 302
    job = ExportJob.objects.filter(user=w.hanoi_official).get()
    assert job.params["national"] is False and job.params["provinces"] == [w.hanoi.pk] and job.total == 1
    assert generate(client, {"year": 2025, "province": w.hcm.pk}).status_code == 404
    page = client.get(reverse("stats:reports"), {"year": 2025})
    listed = page.context["reports"]
    assert [report.province_id for report in listed] == [w.hanoi.pk]  # the newest of the province, not the others
    for report in StatisticsReport.objects.exclude(province=w.hanoi):
        assert client.get(reverse("stats:report_download", args=[report.pk])).status_code == 404
    own = StatisticsReport.objects.filter(province=w.hanoi).latest("pk")
    response = client.get(reverse("stats:report_download", args=[own.pk]))
    assert response.status_code == 200 and streamed(response).startswith(b"%PDF")
    # Another user's job: its progress is not shown.
    assert client.get(reverse("stats:report_job", args=[central.pk])).status_code == 404


def test_enterprises_and_strangers_get_nothing(client, year_2025, settings, tmp_path):
    w = year_2025
    settings.MEDIA_ROOT = tmp_path
    job = jobs.start(w.central_official, 2025)
    jobs.run_job(job.pk)
    report = StatisticsReport.objects.filter(province=w.hanoi).get()
    for user in (w.alice, w.fred, w.nobody):
        client.force_login(user)
        assert client.get(reverse("stats:reports")).status_code == 404
        assert generate(client, {"year": 2025}).status_code == 404
        assert client.get(reverse("stats:report_download", args=[report.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("stats:report_download", args=[report.pk])).status_code == 302  # to the login
    assert not ExportJob.objects.exclude(pk=job.pk).exists()


def test_the_menu_and_the_dashboard_lead_to_the_reports(client, year_2025):
    w = year_2025
    url = reverse("stats:reports")
    for user, expected in ((w.central_official, True), (w.hanoi_official, True), (w.alice, False), (w.fred, False)):
        client.force_login(user)
        assert (f'href="{url}"' in client.get(reverse("home")).content.decode()) is expected, user.username
    client.force_login(w.central_official)
    html = client.get(reverse("stats:dashboard"), {"year": 2025, "province": w.hanoi.pk}).content.decode()
    assert f'href="{url}?year=2025&amp;province={w.hanoi.pk}"' in html
