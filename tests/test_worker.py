"""A real Celery worker process runs real tasks against Redis and the PostgreSQL test database.

Runs in CI (.ci/run sets DATABASE_URL and REDIS_URL); skipped without Redis, and on SQLite, whose
in-memory test database another process cannot open. The worker listens on a queue of its own, so a
worker of a developer's docker-compose stack cannot take these tasks, and these tests cannot take theirs.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from accounts.models import Membership
from accounts.tasks import send_membership_welcome
from manifests.models import Notification
from manifests.tasks import send_notification_emails
from tests import factories

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60


def worker_database_url():
    """The DATABASE_URL of the test database (test_<name>), for the worker process."""
    db = connection.settings_dict
    user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(settings, tmp_path):
    """Start `celery worker` on a unique queue; yield (queue, mail folder); stop it afterwards."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs Redis: set REDIS_URL (as .ci/run does)")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a worker process cannot open SQLite's in-memory test database")
    # This process only sends: tasks must go to the broker, not run in-process. The Celery app reads
    # its configuration through Django's settings, so the settings fixture switches it and restores it.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from hwms.celery import app

    assert app.conf.task_always_eager is False and app.conf.broker_url == redis_url

    queue = f"hwms-test-{uuid.uuid4().hex[:12]}"
    mail_dir = tmp_path / "mail"
    log_path = tmp_path / "worker.log"
    env = dict(
        os.environ,
        DATABASE_URL=worker_database_url(),
        DB_CONN_MAX_AGE="0",
        REDIS_URL=redis_url,
        HWMS_TESTING="1",
        CELERY_TASK_ALWAYS_EAGER="0",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    command = [
        sys.executable, "-m", "celery", "-A", "hwms", "worker",
        "--pool=solo", "--concurrency=1", "-l", "info", "-Q", queue, "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=Path(django_settings.BASE_DIR), env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield queue, mail_dir, log_path
    finally:
        stop_worker(process)
        import redis

        client = redis.Redis.from_url(redis_url)
        client.delete(queue, *client.keys(f"_kombu.binding*.{queue}"))  # the queue's bookkeeping in Redis


def stop_worker(process):
    """Stop a worker process (warm shutdown), killing it if it does not stop."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def run(task, queue, log_path, *args):
    result = task.apply_async(args=list(args), queue=queue)
    try:
        return result.get(timeout=TIMEOUT)
    except Exception:
        print(log_path.read_text())  # shown by pytest on failure
        raise
    finally:
        result.forget()


def test_a_real_worker_sends_the_welcome_email(worker, world):
    queue, mail_dir, log_path = worker
    membership = factories.MembershipFactory(
        user=factories.UserFactory(username="laixe", email="laixe@example.vn"), organisation=world.omega, role=Membership.Role.DRIVER
    )
    assert run(send_membership_welcome, queue, log_path, membership.pk) == "laixe@example.vn"
    mails = list(mail_dir.glob("*.log"))
    assert len(mails) == 1
    text = mails[0].read_text()
    assert "To: laixe@example.vn" in text and "Omega" in text
    # Processed by the worker: its log names the task, which never ran in this process.
    assert "accounts.tasks.send_membership_welcome" in log_path.read_text()


def test_a_real_worker_emails_a_notification_and_marks_it(worker, chain):
    queue, mail_dir, log_path = worker
    w = chain
    manifest = w.draft()
    # Told as a member of the facility: a notice reaches only a current member (finding 6).
    notification = Notification.objects.create(user=w.fred, organisation_id=manifest.facility_id, manifest=manifest, kind=Notification.Kind.READY)
    assert run(send_notification_emails, queue, log_path, [notification.pk]) == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    (mail,) = mail_dir.glob("*.log")
    assert "To: fred@example.vn" in mail.read_text() and manifest.number in mail.read_text()
    # A second delivery of the same task (Redis re-delivers after a crash) sends nothing more.
    assert run(send_notification_emails, queue, log_path, [notification.pk]) == 0
    assert len(list(mail_dir.glob("*.log"))) == 1
