"""Exports of the statistics: every dashboard table as XLSX or CSV (small: written at once, from the rollups),
and a year of manifest lines in the user's scope (long: an ExportJob run by Celery, with its progress)."""

import tempfile
import uuid

import tablib
from django.core.files import File
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import policy
from common.spreadsheets import CSVExport, XLSXExport, stream_csv
from manifests.models import ManifestLine

from .models import ExportJob
from .rollups import COUNTED, _period

FORMATS = {"xlsx": XLSXExport, "csv": CSVExport}
CHUNK = 5000


def export_table(table, fmt):
    """(bytes, content type) of one dashboard table (stats.selectors.Table)."""
    dataset = tablib.Dataset(headers=[str(label) for _name, label, _kind in table.columns])
    dataset.title = str(table.title)
    for row in table.rows:
        dataset.append(row)
    export_format = FORMATS[fmt]()
    return export_format.export_data(dataset), export_format.get_content_type()


LINE_COLUMNS = (
    ("manifest__number", _("Manifest number")),
    ("manifest__generator_signed_at", _("Handed over at")),
    ("manifest__status", _("Status")),
    ("manifest__generator__name", _("Generator")),
    ("manifest__generator_site__name", _("Generator site")),
    ("manifest__province__name", _("Province")),
    ("manifest__facility__name", _("Treatment facility")),
    ("waste_code__code", _("Waste code")),
    ("physical_state", _("Physical state")),
    ("quantity_kg", _("Declared (kg)")),
    ("pickup_quantity_kg", _("Quantity at pickup (kg)")),
    ("received_quantity_kg", _("Received (kg)")),
    ("rejected", _("Rejected")),
    ("treatment_method__code", _("Treatment method")),
    ("treated_on", _("Treated on")),
)


def lines_scope_q(user, province=None):
    """The lines of a year's export: counted manifests the user may read (accounts.policy.manifest_q), within
    `province` (the generator's) when given."""
    q = Q(manifest__in=_visible(user))
    if province:
        q &= Q(manifest__province=province)
    return q


def _visible(user):
    from manifests.selectors import visible_manifests

    return visible_manifests(user).filter(status__in=COUNTED).values("pk")


def year_lines(user, year, province=None):
    period = _period(year)
    return (
        ManifestLine.objects.filter(
            lines_scope_q(user, province),
            manifest__generator_signed_at__gte=period[0],
            manifest__generator_signed_at__lt=period[1],
        )
        .order_by("manifest_id", "position")
        .values_list(*[name for name, _label in LINE_COLUMNS])
    )


def _rows(queryset, job):
    done = 0
    for row in queryset.iterator(chunk_size=CHUNK):
        row = list(row)
        if row[1] is not None:
            row[1] = timezone.localtime(row[1]).replace(tzinfo=None, microsecond=0)
        yield row
        done += 1
        if done % CHUNK == 0:
            ExportJob.objects.filter(pk=job.pk).update(done=done)


def run_job(job_id):
    """Write the export of an ExportJob (kind "lines": a year of lines as CSV) and mark it done; safe to run
    twice (a finished job is left as it is)."""
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if job.state == ExportJob.State.DONE:
        return job.filename
    queryset = year_lines(job.user, job.params["year"], job.params.get("province"))
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.RUNNING, total=queryset.count(), done=0)
    try:
        with tempfile.TemporaryFile() as out:
            for chunk in stream_csv([str(label) for _name, label in LINE_COLUMNS], _rows(queryset, job)):
                out.write(chunk)
            out.seek(0)
            job.filename = f"lines-{job.params['year']}.csv"
            # Stored under an unguessable name: the file is served only by the job's download view, to its owner.
            job.file.save(f"{uuid.uuid4().hex}.csv", File(out), save=False)
    except Exception as error:  # the page shows that it failed; the worker log has the rest
        ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.FAILED, error=str(error)[:500], finished_at=timezone.now())
        raise
    job.state, job.finished_at = ExportJob.State.DONE, timezone.now()
    job.done = job.total = ExportJob.objects.values_list("total", flat=True).get(pk=job.pk)
    job.save(update_fields=["file", "filename", "state", "finished_at", "done", "total"])
    return job.filename


def start_lines_export(user, year, province=None):
    from django.db import transaction

    from .tasks import run_export

    scope = policy.scope_for(user)
    if not (scope.is_official or scope.is_admin or scope.roles):
        return None
    job = ExportJob.objects.create(user=user, kind="lines", params={"year": year, "province": province})
    transaction.on_commit(lambda: run_export.delay(job.pk))
    return job
