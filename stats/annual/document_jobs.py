"""The PDF and the XLSX of a large submitted report, written by Celery rather than in the request.

A treatment facility that receives from thousands of generators files a report of thousands of rows; laying it
out takes seconds (about 14 s for the largest at national scale), too long for a request. Such a document is an
ExportJob of kind "annual_document": the page shows its progress and offers the file when written. A report is
frozen, so the document of a (user, report, format) is written once and offered again. A small report is
still answered at once (stats.views.annual).
"""

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation

from ..models import AnnualReport, ExportJob
from ..reports.jobs import recording_failure
from .documents import report_pdf, report_xlsx
from .tables import report_tables

KIND = "annual_document"
# Rows of a report above which its documents are written by a job (a few hundred rows lay out in well under a
# second; the largest facilities' reports run to thousands).
INSTANT_ROWS = 600

# The documents of a submitted report: (renderer, content type, shown inline).
DOCUMENTS = {
    "pdf": (report_pdf, "application/pdf", True),
    "xlsx": (report_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
}


def rows(report):
    return sum(len(table.rows) for table in report_tables(report.content))


def is_large(report):
    return rows(report) > INSTANT_ROWS


def file_name(report, extension):
    return f"bao-cao-ctnh-{report.year}-{report.site_id}-v{report.version}.{extension}"


def start(user, report, extension):
    """The job writing `report`'s document for `user`: one already written or under way is reused (the content
    is frozen), else a new one, run after the commit."""
    existing = (
        ExportJob.objects.filter(user=user, kind=KIND, params__report=report.pk, params__extension=extension)
        .exclude(state=ExportJob.State.FAILED)
        .first()
    )
    if existing is not None:
        return existing
    params = {"report": report.pk, "extension": extension, "language": translation.get_language() or settings.LANGUAGE_CODE}
    job = ExportJob.objects.create(user=user, kind=KIND, params=params, total=1)
    from .tasks import write_annual_document

    transaction.on_commit(lambda: write_annual_document.delay(job.pk))
    return job


def run_job(job_id):
    """Write the document of the job (safe to run twice: a written one is kept)."""
    job = ExportJob.objects.get(pk=job_id, kind=KIND)
    if job.state == ExportJob.State.DONE:
        return job.filename
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.RUNNING, done=0, total=1)
    report = AnnualReport.objects.select_related("site", "organisation", "submitted_by").get(pk=job.params["report"])
    extension = job.params["extension"]
    render, _content_type, _inline = DOCUMENTS[extension]
    with recording_failure(job):
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            content = render(report)
        job.file.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(content), save=False)
    job.filename, job.state, job.done, job.finished_at = file_name(report, extension), ExportJob.State.DONE, 1, timezone.now()
    job.save(update_fields=["file", "filename", "state", "done", "finished_at"])
    return job.filename
