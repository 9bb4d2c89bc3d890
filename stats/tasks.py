"""Celery tasks of the statistics: thin, take ids, safe to run twice and in any order."""

import os
import time
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.db import transaction

from . import exports, rollups
from .reports import jobs as report_jobs


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def recompute_manifest(manifest_id):
    """The rollup rows one manifest touches, recomputed from the raw rows (enqueued after each transition).

    All or nothing: a worker killed in the middle leaves the rows as they were, and the task, acknowledged only
    once done, is delivered again (to the same worker or another) and recomputes them from scratch."""
    with transaction.atomic():
        written = rollups.recompute(manifest_id)
        _hold_for_tests()
    return written


def _hold_for_tests():
    """Test hook (tests/test_worker_faults.py), inert unless settings.HWMS_TASK_HOLD_DIR names a folder holding a
    file `hold`: the task then says it is in flight (a file named after its process) and waits, its work written
    but not committed, until `hold` is removed — the moment a test kills the worker."""
    if not settings.HWMS_TASK_HOLD_DIR:
        return
    folder = Path(settings.HWMS_TASK_HOLD_DIR)
    if not (folder / "hold").exists():
        return
    (folder / f"in-flight-{os.getpid()}").touch()
    give_up = time.monotonic() + 300
    while (folder / "hold").exists() and time.monotonic() < give_up:
        time.sleep(0.05)


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
