"""Celery tasks of the statistics: thin, take ids, safe to run twice and in any order."""

from celery import shared_task
from django.db import transaction

from . import exports, rollups
from .reports import jobs as report_jobs


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def recompute_manifest(manifest_id):
    """The rollup rows one manifest touches, recomputed from the raw rows (enqueued after each transition)."""
    return rollups.recompute(manifest_id)


@shared_task(acks_late=True)
def rebuild_rollups():
    """Every rollup table rebuilt from the raw rows (Celery beat, nightly; and on demand)."""
    return rollups.rebuild()


@shared_task(acks_late=True)
def run_export(job_id):
    """A long export (ExportJob): writes the file, reporting progress as it goes."""
    return exports.run_job(job_id)


@shared_task(acks_late=True)
def run_statistics_reports(job_id):
    """A report job (stats.reports.jobs): the national and provincial statistics PDFs of a year, counted as it goes."""
    return report_jobs.run_job(job_id)


def enqueue_recompute(sender, manifest, **kwargs):
    """Receiver of manifests.signals.manifest_changed: once the change commits, recompute its rollups.
    Drafts and manifests awaiting the signature count nowhere yet: nothing to do for them."""
    if manifest.generator_signed_at is None:
        return
    manifest_id = manifest.pk
    transaction.on_commit(lambda: recompute_manifest.delay(manifest_id))
