"""The backup and restore drill (scripts/backup_drill.sh) run on the test database: pg_dump, restore into a fresh
database, then the row counts, the rollups and the audit log (against a checkpoint) agree."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.audit import write_checkpoint
from accounts.models import AuditEvent
from tests.factories import PASSWORD
from tests.manifests.test_audit_chain import full_lifecycle

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="the drill is pg_dump and pg_restore: PostgreSQL only (set DATABASE_URL)",
    ),
]


def drill(tmp_path, *args):
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        DEBUG="1",
        PYTHON=sys.executable,
        HWMS_AUDIT_CHECKPOINT_DIR=settings.HWMS_AUDIT_CHECKPOINT_DIR,
    )
    script = Path(settings.BASE_DIR) / "scripts" / "backup_drill.sh"
    return subprocess.run([str(script), *args], check=False, env=env, capture_output=True, text=True, timeout=300)


def test_a_dump_restored_into_a_fresh_database_agrees_with_the_original(chain, tmp_path, settings, monkeypatch):
    from manifests import services
    from manifests.tasks import send_notification_emails

    monkeypatch.setattr(send_notification_emails, "delay", lambda ids: None)
    settings.HWMS_AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    w = chain
    full_lifecycle(w)
    services.sign(w.alice, w.draft(), PASSWORD)
    write_checkpoint()
    target = f"{connection.settings_dict['NAME']}_drill"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')

    result = drill(tmp_path, target)

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "rollups agree with the raw rows" in out
    events, chains = AuditEvent.objects.count(), AuditEvent.objects.values("chain").distinct().count()
    assert chains == 3  # two manifests and Alpha's organisation
    assert f"OK: {events} events in {chains} chains verified" in out and "and they match the checkpoint audit-checkpoint-" in out
    assert f"DRILL OK: {target} restored from a dump of {connection.settings_dict['NAME']} agrees with it" in out
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target])
        assert cursor.fetchone() is None  # dropped after the drill


def test_the_drill_refuses_to_restore_over_an_existing_database(tmp_path):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (existing,) = cursor.fetchone()
    result = drill(tmp_path, existing)
    assert result.returncode != 0 and "already exists" in result.stderr
