"""The report job: an ExportJob of kind "statistics" that writes the national report and the provincial ones of a
year (all 34 in one job for a central official), one StatisticsReport each, its progress counted in documents
("12/35"). Run by Celery (stats.tasks.run_statistics_reports); safe to deliver twice (the documents already
written are kept, the rest are written) and recorded in the audit chain of the job (requested, generated with
each file's SHA-256)."""

import contextlib
import datetime as dt
import hashlib
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone, translation

from accounts import audit
from accounts.audit import NO_CONTEXT
from gis.models import Province

from ..models import ExportJob, StatisticsReport
from .access import report_scope
from .data import gather
from .document import report_pdf

KIND = "statistics"
SAME_REPORTS = ("year", "national", "provinces")  # the params that say which reports a job writes
UNFINISHED_REUSED_FOR = 3600  # seconds: Redis redelivers an unacknowledged task after an hour


def chain(job):
    return f"export_job:{job.pk}"


def file_name(year, province):
    place = province.codename.replace("_", "-") if province else "toan-quoc"
    return f"bao-cao-thong-ke-ctnh-{year}-{place}.pdf"


def start(user, year, province=None, context=NO_CONTEXT):
    """Queue the reports of `year` the user may have: with `province` (a code) that province's alone; without,
    everything in the user's scope (the national report and the 34 provinces' for a central official, the
    province's for a provincial official). 404 (Http404) outside the scope."""
    scope = report_scope(user)
    if province is not None:
        if not scope.covers(province):
            raise Http404
        national, provinces = False, [province]
    else:
        national, provinces = scope.national, list(scope.provinces().values_list("code", flat=True))
    params = {"year": year, "national": national, "provinces": provinces, "language": translation.get_language() or settings.LANGUAGE_CODE}
    waiting = _unfinished(user, params)
    if waiting is not None:  # asked twice (a double click, a second tab): the job under way serves
        return waiting
    with transaction.atomic():
        job = ExportJob.objects.create(user=user, kind=KIND, params=params, total=len(provinces) + national)
        audit.record(chain(job), "statistics_reports.requested", actor=user, data=params, context=context)
    from ..tasks import run_statistics_reports

    transaction.on_commit(lambda: run_statistics_reports.delay(job.pk))
    return job


@contextlib.contextmanager
def recording_failure(job):
    """Mark the job failed (with the error, for its page) when the block raises; the error goes on to Celery."""
    try:
        yield
    except Exception as error:  # the page shows that it failed; the worker log has the rest
        ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.FAILED, error=str(error)[:500], finished_at=timezone.now())
        raise


def _unfinished(user, params):
    """The user's job for the same reports that is still waiting or running, if it started within the broker's
    redelivery time (an older one may have been lost with its worker: a new job is written then)."""
    recent = timezone.now() - dt.timedelta(seconds=UNFINISHED_REUSED_FOR)
    waiting = ExportJob.objects.filter(
        user=user, kind=KIND, state__in=(ExportJob.State.PENDING, ExportJob.State.RUNNING), created_at__gte=recent
    )
    same = {key: params[key] for key in SAME_REPORTS}
    return next((job for job in waiting if {key: job.params.get(key) for key in SAME_REPORTS} == same), None)


def targets(job):
    """The places of the job in order: None (the country) first when asked, then province codes."""
    return ([None] if job.params.get("national") else []) + list(job.params.get("provinces", []))


def _write(job, year, province):
    """One report written and counted; False when a second delivery of the task wrote it meanwhile."""
    content = report_pdf(gather(year, province))
    report = StatisticsReport(job=job, year=year, province=province, filename=file_name(year, province))
    report.file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(content), save=False)
    try:
        with transaction.atomic():
            report.save()
            ExportJob.objects.filter(pk=job.pk).update(done=F("done") + 1)
    except IntegrityError:
        report.file.delete(save=False)
        return False
    return True


def run_job(job_id):
    """Write the job's reports that are not written yet, counting progress; mark the job done (or failed)."""
    job = ExportJob.objects.get(pk=job_id, kind=KIND)
    if job.state == ExportJob.State.DONE:
        return job.done
    places = targets(job)
    written = set(job.reports.values_list("province_id", flat=True))
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.RUNNING, total=len(places), done=len(written))
    provinces = Province.objects.in_bulk([code for code in places if code is not None])
    year = job.params["year"]
    with recording_failure(job), translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        for code in places:
            if code not in written:
                _write(job, year, provinces[code] if code is not None else None)
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job.pk)
        if job.state != ExportJob.State.DONE:
            job.state, job.finished_at, job.done = ExportJob.State.DONE, timezone.now(), job.total
            job.save(update_fields=["state", "finished_at", "done"])
            audit.record(chain(job), "statistics_reports.generated", actor=job.user, data={"year": year, "files": _digests(job)})
    return job.done


def _digests(job):
    digests = {}
    for report in job.reports.all():
        with report.file.open("rb") as stream:
            digests[str(report.province_id or "national")] = hashlib.sha256(stream.read()).hexdigest()
    return digests
