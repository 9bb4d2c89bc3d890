"""A real Celery worker recomputes a manifest's rollups (skipped without Redis and PostgreSQL, as
tests/test_worker.py explains)."""

import pytest

from manifests.models import Status
from stats import rollups
from stats.models import ManifestMonth
from stats.tasks import recompute_manifest
from tests.manifests.lifecycle import at_status
from tests.test_worker import run, worker  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_recomputes_the_rollups_of_a_completed_manifest(worker, chain, monkeypatch):  # noqa: F811
    queue, _mail, log_path = worker
    monkeypatch.setattr(recompute_manifest, "delay", lambda *args: None)  # this test sends the task itself
    manifest = at_status(chain, Status.COMPLETED)
    assert not ManifestMonth.objects.exists()
    assert run(recompute_manifest, queue, log_path, manifest.pk) > 0
    assert run(recompute_manifest, queue, log_path, manifest.pk) > 0  # delivered twice: the same rows
    assert rollups.differences() == {}
    assert ManifestMonth.objects.get().completed == 1
    assert "stats.tasks.recompute_manifest" in log_path.read_text()
