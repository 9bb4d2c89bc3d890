"""A real Celery worker writes the statistics report PDFs of a job (skipped without Redis and PostgreSQL, as
tests/test_worker.py explains)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from manifests.models import Status
from stats.annual import document_jobs, services
from stats.annual.tasks import write_annual_document
from stats.models import ExportJob, StatisticsReport
from stats.reports import jobs
from stats.tasks import run_statistics_reports
from tests.factories import PASSWORD
from tests.stats.annual_data import VN, line, local, manifest
from tests.stats.test_report_pdfs import pdf_text, streamed, year_2025  # noqa: F401 (the fixture)
from tests.test_worker import run, worker  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media(settings, tmp_path, monkeypatch):
    """One media folder for this process and the worker (which reads MEDIA_ROOT from its environment)."""
    folder = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(folder))
    settings.MEDIA_ROOT = folder
    return folder


def test_a_real_worker_writes_every_report_of_the_job(media, worker, year_2025, client, monkeypatch):  # noqa: F811
    queue, _mail, log_path = worker
    w = year_2025
    monkeypatch.setattr(run_statistics_reports, "delay", lambda *args: None)  # this test sends the task itself
    with translation.override("vi"):
        job = jobs.start(w.central_official, 2025)
    assert run(run_statistics_reports, queue, log_path, job.pk) == 3
    assert run(run_statistics_reports, queue, log_path, job.pk) == 3  # delivered twice: nothing written again
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == (ExportJob.State.DONE, 3, 3)
    assert StatisticsReport.objects.filter(job=job).count() == 3
    assert "stats.tasks.run_statistics_reports" in log_path.read_text()
    client.force_login(w.central_official)
    report = StatisticsReport.objects.get(province=w.hcm)
    response = client.get(reverse("stats:report_download", args=[report.pk]))
    _reader, text = pdf_text(streamed(response))
    assert "Thành phố Hồ Chí Minh" in text and "Trang 1/" in text  # written in the requester's language (vi)


def test_a_real_worker_writes_a_large_annual_report_document(media, worker, annual, monkeypatch):  # noqa: F811
    queue, _mail, log_path = worker
    w = annual
    manifest(w, local(2025, 3, 1), [line(w.oil, "100", received="97.5", planned=w.incineration)], status=Status.RECEIVED)
    report = services.submit(w.alice, w.alpha_hn, 2025, form="05.A", entries=[], password=PASSWORD, now=dt.datetime(2026, 1, 5, tzinfo=VN))
    monkeypatch.setattr(write_annual_document, "delay", lambda *args: None)  # this test sends the task itself
    job = document_jobs.start(w.alice, report, "xlsx")
    assert run(write_annual_document, queue, log_path, job.pk) == f"bao-cao-ctnh-2025-{w.alpha_hn.pk}-v1.xlsx"
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE and job.file.read().startswith(b"PK")  # a zip: the XLSX
    job.file.close()
    assert "stats.annual.tasks.write_annual_document" in log_path.read_text()
