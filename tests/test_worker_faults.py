"""Background work under faults: a worker killed (SIGKILL) in the middle of a rollup task loses nothing and counts
nothing twice (docs/background-work.md).

A real worker process on Redis and the PostgreSQL test database (skipped without them, as tests/test_worker.py
explains). The task is stopped in flight by the test hook of stats.tasks (HWMS_TASK_HOLD_DIR): its rows are
written but not committed when the worker is killed. The test worker's Redis visibility timeout is a few seconds
(production: 2 hours), so that a restarted worker gets the unacknowledged task back within the test.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from manifests.models import ManifestLine, Status
from stats import rollups
from stats.models import ManifestMonth, WasteYear
from stats.tasks import recompute_manifest
from tests.manifests.lifecycle import at_status
from tests.test_worker import stop_worker, worker_database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 3  # seconds, the test worker's (docs: production 2 hours)
WAIT = 90  # seconds at most for anything the worker does (a loaded CI machine)


def wait_for(condition, what, log_paths=()):
    give_up = time.monotonic() + WAIT
    while time.monotonic() < give_up:
        if condition():
            return
        time.sleep(0.2)
    for path in log_paths:
        print(path.read_text())  # shown by pytest on failure
    pytest.fail(f"waited {WAIT} s for {what}")


@pytest.fixture
def broker(settings):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs Redis: set REDIS_URL (as .ci/run does)")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a worker process cannot open SQLite's in-memory test database")
    import redis

    queue = f"hwms-test-{uuid.uuid4().hex[:12]}"
    yield redis_url, queue
    client = redis.Redis.from_url(redis_url)
    client.delete(queue, *client.keys(f"_kombu.binding*.{queue}"))


class Workers:
    """Start `celery worker` processes on one queue, one after another; kill or stop them."""

    def __init__(self, redis_url, queue, folder):
        self.redis_url, self.queue, self.folder = redis_url, queue, folder
        self.processes, self.logs = [], []

    def start(self, pool="solo", visibility_timeout=VISIBILITY_TIMEOUT):
        log_path = self.folder / f"worker-{len(self.logs) + 1}.log"
        env = dict(
            os.environ,
            DATABASE_URL=worker_database_url(),
            DB_CONN_MAX_AGE="0",
            REDIS_URL=self.redis_url,
            HWMS_TESTING="1",
            CELERY_TASK_ALWAYS_EAGER="0",
            HWMS_CELERY_VISIBILITY_TIMEOUT=str(visibility_timeout),
            HWMS_CELERY_RESTORE_SECONDS="1",  # sweep for unacknowledged tasks every second (production: a minute)
            HWMS_TASK_HOLD_DIR=str(self.folder),
        )
        command = [
            sys.executable, "-m", "celery", "-A", "hwms", "worker",
            f"--pool={pool}", "--concurrency=1", "-l", "info", "-Q", self.queue, "-n", f"{self.queue}-{len(self.logs)}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        with log_path.open("w") as log:
            process = subprocess.Popen(command, cwd=Path(django_settings.BASE_DIR), env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        self.logs.append(log_path)
        return process

    def stop_all(self):
        for process in self.processes:
            stop_worker(process)


@pytest.fixture
def workers(broker, tmp_path):
    redis_url, queue = broker
    pool = Workers(redis_url, queue, tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()


def stale_rollups(w):
    """Two manifests whose rollups the (eager) tasks of every transition kept, then a change they have not seen
    yet: the facility's weighing corrected in the rows (as a lost task would leave it). Returns the completed
    manifest and the differences."""
    completed = at_status(w, Status.COMPLETED)
    at_status(w, Status.READY)
    assert rollups.differences() == {}
    ManifestLine.objects.filter(manifest=completed).update(received_quantity_kg=Decimal("77.70"))
    stale = rollups.differences()
    assert set(stale) >= {"manifest_month", "waste_year", "facility_year"}
    return completed, stale


def assert_counted_once(completed):
    """Exactly the raw GROUP BY: two manifests counted once each, the corrected weight once."""
    assert rollups.differences() == {}
    assert sum(ManifestMonth.objects.values_list("manifests", flat=True)) == 2
    assert sum(WasteYear.objects.values_list("received_kg", flat=True)) == Decimal("77.70") * completed.lines.count()


def in_flight(workers):
    wait_for(lambda: any(workers.folder.glob("in-flight-*")), "the task to be in flight", workers.logs)
    (marker,) = workers.folder.glob("in-flight-*")
    return int(marker.name.removeprefix("in-flight-"))


def stored():
    return {
        name: sorted(
            map(
                repr,
                grouping.model.objects.values_list(*[f.attname for f in grouping.model._meta.concrete_fields if f.name != "id"]),
            )
        )
        for name, grouping in rollups.GROUPINGS.items()
    }


def test_a_worker_killed_in_the_middle_of_a_rollup_task_loses_and_doubles_nothing(chain, workers, settings):
    completed, stale = stale_rollups(chain)
    settings.CELERY_TASK_ALWAYS_EAGER = False  # from here on, tasks go through Redis to the worker
    before = stored()

    # The task is sent; the worker stops it in flight (its deletes and inserts written, not committed) and is killed.
    (workers.folder / "hold").touch()
    first = workers.start()
    recompute_manifest.apply_async(args=[completed.pk], queue=workers.queue)
    assert in_flight(workers) == first.pid  # the solo pool runs the task in the worker process itself
    assert stored() == before  # nothing of the uncommitted work is visible
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=15)
    assert first.returncode == -signal.SIGKILL
    assert stored() == before  # the killed worker's transaction was rolled back: nothing half-written
    assert rollups.differences() == stale

    # A new worker gets the unacknowledged task back once the visibility timeout has passed, and finishes it.
    (workers.folder / "hold").unlink()
    workers.start()
    wait_for(lambda: rollups.differences() == {}, "the redelivered task to correct the rollups", workers.logs)
    assert "stats.tasks.recompute_manifest" in workers.logs[1].read_text()
    assert "succeeded" in workers.logs[1].read_text()

    assert_counted_once(completed)

    # Delivered yet again (at least once means possibly twice): the same rows.
    after = stored()
    result = recompute_manifest.apply_async(args=[completed.pk], queue=workers.queue)
    assert result.get(timeout=WAIT) > 0
    result.forget()
    assert stored() == after and rollups.differences() == {}


def test_a_pool_process_killed_under_a_rollup_task_gives_the_task_back_at_once(chain, workers, settings):
    """The prefork pool: the process running the task dies (SIGKILL), the worker survives it. With
    task_reject_on_worker_lost the task goes back to the queue and runs again in a new pool process, without
    waiting for Redis's visibility timeout (2 hours here, as in production); without it, it is lost as failed."""
    completed, _stale = stale_rollups(chain)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    (workers.folder / "hold").touch()
    worker = workers.start(pool="prefork", visibility_timeout=2 * 3600)
    recompute_manifest.apply_async(args=[completed.pk], queue=workers.queue)
    child = in_flight(workers)
    assert child != worker.pid
    os.kill(child, signal.SIGKILL)
    (workers.folder / "hold").unlink()
    wait_for(lambda: rollups.differences() == {}, "the task given back to run again", workers.logs)
    assert worker.poll() is None  # the worker itself went on
    log = workers.logs[0].read_text()
    assert "WorkerLostError" in log and "succeeded" in log
    assert_counted_once(completed)
