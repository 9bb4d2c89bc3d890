"""The documents of a large annual report are written by a job (the page shows its progress, then the file); a
small report's are answered at once. Scope as for the report itself."""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from pypdf import PdfReader

from manifests.models import Status
from stats.annual import document_jobs, services
from stats.models import ExportJob
from tests.factories import PASSWORD

from .annual_data import VN, line, local, manifest
from .test_report_pdfs import streamed

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(annual, settings, tmp_path):
    w = annual
    settings.MEDIA_ROOT = tmp_path
    manifest(w, local(2025, 3, 1), [line(w.oil, "100", received="97.5", planned=w.incineration)], status=Status.RECEIVED)
    w.report = services.submit(w.alice, w.alpha_hn, 2025, form="05.A", entries=[], password=PASSWORD, now=dt.datetime(2026, 1, 5, tzinfo=VN))
    return w


def test_a_small_report_is_answered_at_once(client, filed):
    client.force_login(filed.alice)
    response = client.get(reverse("annual_reports:pdf", args=[filed.report.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"] and "inline" in response["Content-Disposition"]
    assert not ExportJob.objects.exists()


def test_a_large_report_is_written_by_a_job_with_its_page(client, filed, monkeypatch, run_tasks):
    w = filed
    monkeypatch.setattr(document_jobs, "INSTANT_ROWS", 0)  # this report's rows count as many
    client.force_login(w.hanoi_official)
    url = reverse("annual_reports:pdf", args=[w.report.pk])
    with run_tasks():
        response = client.get(url)
    job = ExportJob.objects.get(kind=document_jobs.KIND)
    assert response.url == reverse("annual_reports:document_job", args=[job.pk])
    assert (job.state, job.done, job.total, job.user) == (ExportJob.State.DONE, 1, 1, w.hanoi_official)
    page = client.get(response.url).content.decode()
    download_url = reverse("annual_reports:document_job_download", args=[job.pk])
    assert download_url in page and "Alpha Hà Nội" in page
    download = client.get(download_url)
    assert download["Content-Type"] == "application/pdf" and "no-store" in download["Cache-Control"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(streamed(download))).pages)
    assert "Alpha Hà Nội" in text and "97,5" in text and "Trang 1/" in text
    # The report is frozen: asking again offers the same document.
    assert client.get(url).url == response.url and ExportJob.objects.count() == 1
    # The XLSX likewise.
    with run_tasks():
        response = client.get(reverse("annual_reports:xlsx", args=[w.report.pk]))
    xlsx_job = ExportJob.objects.exclude(pk=job.pk).get()
    download = client.get(reverse("annual_reports:document_job_download", args=[xlsx_job.pk]))
    assert "attachment" in download["Content-Disposition"] and download["Content-Disposition"].endswith('-v1.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(streamed(download)))
    assert w.report.content_hash in {row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    # Another user: not this job (404), even in scope of the report; outside the scope, not the report either.
    client.force_login(w.central_official)
    assert client.get(reverse("annual_reports:document_job", args=[job.pk])).status_code == 404
    assert client.get(download_url).status_code == 404
    client.force_login(w.hcm_official)
    assert client.get(url).status_code == 404


def test_a_waiting_job_shows_its_progress_and_no_download(client, filed, monkeypatch):
    w = filed
    monkeypatch.setattr(document_jobs, "INSTANT_ROWS", 0)
    client.force_login(w.alice)
    response = client.get(reverse("annual_reports:pdf", args=[w.report.pk]))  # the task is not run
    job = ExportJob.objects.get()
    assert job.state == ExportJob.State.PENDING
    page = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in page and "<progress" in page
    assert client.get(reverse("annual_reports:document_job_download", args=[job.pk])).status_code == 404
    assert document_jobs.run_job(job.pk).endswith(".pdf")
    assert 'hx-trigger' not in client.get(response.url, headers={"HX-Request": "true"}).content.decode()
