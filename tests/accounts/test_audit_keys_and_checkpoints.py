"""Findings 3 of the security test: someone with write access to the database alone cannot forge the audit log.

The hashes are keyed (HMAC-SHA256 under HWMS_AUDIT_KEY, kept outside the database), and a signed checkpoint of
every chain head is written outside the database (manage.py audit_checkpoint, nightly by Celery beat). Each test
plays the attacker with direct database access (PostgreSQL: triggers off for the session, as the tables' owner
could) and without the key.
"""

import gzip
import hashlib
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from accounts import audit
from accounts.audit import compute_hash, make_checkpoint, verify_chains, write_checkpoint
from accounts.models import AuditEvent, AuditHead
from tests.manifests.test_audit_chain import raw, trigger_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoints(settings, tmp_path):
    settings.HWMS_AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    return tmp_path / "checkpoints"


def append(chain, *actions):
    with transaction.atomic():
        return [audit.record(chain, action, data={"n": index}) for index, action in enumerate(actions)]


def verify(*args):
    out = StringIO()
    call_command("verify_audit_chain", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def broken(*args):
    with pytest.raises(CommandError) as excinfo:
        verify(*args)
    return str(excinfo.value)


def rewrite_without_the_key(chain, first_data, key_id=None):
    """What a database-only attacker can do: edit the first event, recompute every hash of the chain with plain
    SHA-256 (the algorithm is public, the key is not), link them again and move the head onto the new last hash."""
    previous = ""
    with trigger_off():
        for event in AuditEvent.objects.filter(chain=chain).order_by("seq"):
            if event.seq == 1:
                event.data = first_data
            event.prev_hash = previous
            event.key_id = event.key_id if key_id is None else key_id
            stored_key, event.key_id = event.key_id, ""
            event.hash = compute_hash(event)  # the unkeyed SHA-256
            event.key_id = stored_key
            raw(
                "UPDATE accounts_auditevent SET data = %s, prev_hash = %s, hash = %s, key_id = %s WHERE id = %s",
                [json.dumps(event.data), event.prev_hash, event.hash, event.key_id, event.pk],
            )
            previous = event.hash
        raw("UPDATE accounts_audithead SET hash = %s WHERE chain = %s", [previous, chain])


def cut_last_event_and_head(chain):
    last = AuditEvent.objects.filter(chain=chain).order_by("-seq").first()
    with trigger_off():
        raw("DELETE FROM accounts_auditevent WHERE id = %s", [last.pk])
        raw("UPDATE accounts_audithead SET seq = %s, hash = %s WHERE chain = %s", [last.seq - 1, last.prev_hash, chain])
    return last


def delete_chain_and_head(chain):
    with trigger_off():
        raw("DELETE FROM accounts_auditevent WHERE chain = %s", [chain])
        raw("DELETE FROM accounts_audithead WHERE chain = %s", [chain])


def test_events_are_hashed_with_the_key_and_its_id(settings):
    settings.HWMS_AUDIT_KEY, settings.HWMS_AUDIT_KEY_ID = "k" * 40, "2026a"
    (event,) = append("manifest:1", "created")
    assert event.key_id == "2026a"
    assert event.hash != hashlib.sha256(b"").hexdigest() and len(event.hash) == 64
    settings.HWMS_AUDIT_KEY = "another key, same id" + "x" * 20
    assert verify_chains() == (0, "manifest:1#1: content does not match its hash")


def test_editing_the_first_event_and_recomputing_unkeyed_hashes_is_detected():
    append("manifest:1", "created", "signed", "picked_up")
    rewrite_without_the_key("manifest:1", {"n": "forged"})
    assert "manifest:1#1: content does not match its hash" in broken()


def test_passing_the_rewritten_chain_off_as_unkeyed_is_detected():
    """Same rewrite, the events marked as written before keys existed: no keyed event or checkpoint vouches."""
    append("manifest:1", "created", "signed", "picked_up")
    rewrite_without_the_key("manifest:1", {"n": "forged"}, key_id="")
    assert "manifest:1: events #1 to #3 have unkeyed hashes that neither a keyed event nor a checkpoint vouches for" in broken()


def test_an_unkeyed_event_after_keyed_ones_is_detected():
    append("manifest:1", "created", "signed")
    last = AuditEvent.objects.get(chain="manifest:1", seq=2)
    last.key_id = ""
    with trigger_off():
        raw("UPDATE accounts_auditevent SET key_id = '', hash = %s WHERE id = %s", [compute_hash(last), last.pk])
        raw("UPDATE accounts_audithead SET hash = %s WHERE chain = 'manifest:1'", [compute_hash(last)])
    assert "manifest:1#2: an unkeyed hash after keyed ones" in broken()


def test_rewriting_a_chain_recorded_by_a_checkpoint_is_detected_even_when_passed_off_as_unkeyed(checkpoints):
    append("manifest:1", "created", "signed", "picked_up")
    make_checkpoint()
    rewrite_without_the_key("manifest:1", {"n": "forged"}, key_id="")
    assert "manifest:1#3: differs from the checkpoint of" in broken()


def test_deleting_the_last_event_and_its_head_consistently_is_detected_by_the_checkpoint(checkpoints):
    append("manifest:1", "created", "signed", "picked_up")
    append("manifest:2", "created")
    make_checkpoint()
    cut_last_event_and_head("manifest:1")
    # The chain itself is consistent again: only the checkpoint written outside the database tells.
    assert verify_chains(checkpoints=[]) == (3, None)
    assert "manifest:1: event #3, recorded by the checkpoint of" in broken()
    assert "is missing (deleted since)" in broken("--chain", "manifest:1")
    assert verify("--chain", "manifest:2").startswith("OK: 1 events in 1 chains verified")


def test_deleting_a_whole_chain_with_its_head_is_detected_by_the_checkpoint(checkpoints):
    append("manifest:1", "created", "signed")
    append("manifest:2", "created")
    make_checkpoint()
    delete_chain_and_head("manifest:1")
    assert verify_chains(checkpoints=[]) == (1, None)
    assert "manifest:1: event #2, recorded by the checkpoint of" in broken()


def test_events_appended_after_a_checkpoint_still_verify(checkpoints):
    append("manifest:1", "created")
    make_checkpoint()
    append("manifest:1", "signed")
    append("manifest:3", "created")
    output = verify()
    assert output.startswith("OK: 3 events in 2 chains verified")
    assert "and they match the checkpoint audit-checkpoint-" in output


def test_a_checkpoint_is_signed_and_its_heads_file_bound_to_the_signature(checkpoints):
    append("manifest:1", "created", "signed")
    summary_path = write_checkpoint()
    summary = json.loads(summary_path.read_text())
    assert (summary["chains"], summary["events"], summary["key_id"]) == (1, 2, "k1")
    heads = checkpoints / summary["heads_file"]
    assert gzip.decompress(heads.read_bytes()).decode().splitlines() == [
        f"manifest:1\t2\t{AuditHead.objects.get(chain='manifest:1').hash}"
    ]
    # An attacker who can also write the directory, but has no key: a new heads file, or a re-signed summary.
    heads.write_bytes(gzip.compress(b"manifest:1\t1\tx\n"))
    assert "its heads file does not match the signed digest" in broken()
    summary["heads_sha256"] = hashlib.sha256(b"manifest:1\t1\tx\n").hexdigest()
    summary_path.write_text(json.dumps(summary))
    assert "signature does not match (forged or damaged)" in broken()


def test_every_checkpoint_can_be_checked_not_only_the_latest(checkpoints):
    append("manifest:1", "created", "signed")
    first = write_checkpoint()
    cut_last_event_and_head("manifest:1")
    write_checkpoint()  # a later checkpoint written over the cut log (without verifying) agrees with it
    assert verify().startswith("OK")
    assert "event #2, recorded by the checkpoint of" in broken("--all-checkpoints")
    assert "event #2, recorded by the checkpoint of" in broken("--checkpoint", str(first))


def test_the_checkpoint_command_refuses_a_broken_log_and_tells_the_central_officials(checkpoints, world, mailoutbox):
    world.central_official.email = "central@example.vn"
    world.central_official.save()
    world.hanoi_official.email = "hanoi@example.vn"
    world.hanoi_official.save()
    append("manifest:1", "created", "signed")
    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert "checkpoint written:" in out.getvalue()
    (sent,) = mailoutbox
    assert sent.to == ["central@example.vn"]  # the nationwide officials only
    written = sorted(checkpoints.glob("*.json"))
    assert len(written) == 1 and json.loads(written[0].read_text())["signature"] in sent.body
    cut_last_event_and_head("manifest:1")
    with pytest.raises(CommandError, match="BROKEN: manifest:1: event #2, recorded by the checkpoint"):
        call_command("audit_checkpoint", stdout=StringIO())
    assert len(sorted(checkpoints.glob("*.json"))) == 1  # nothing signed over the cut log
    assert len(mailoutbox) == 2 and "manifest:1: event #2" in mailoutbox[1].body


def test_the_nightly_task_writes_a_checkpoint_and_beat_schedules_it(checkpoints, settings):
    from accounts.tasks import write_audit_checkpoint

    append("manifest:1", "created")
    path = write_audit_checkpoint.delay().get()
    assert path.endswith(".json") and json.loads(Path(path).read_text())["chains"] == 1
    schedule = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert schedule["task"] == write_audit_checkpoint.name


def test_key_rotation_keeps_older_events_verifiable(settings, checkpoints):
    append("manifest:1", "created")
    write_checkpoint()
    old_key = settings.HWMS_AUDIT_KEY
    settings.HWMS_AUDIT_KEY, settings.HWMS_AUDIT_KEY_ID = "n" * 40, "k2"
    settings.HWMS_AUDIT_RETIRED_KEYS = {"k1": old_key}
    (later,) = append("manifest:1", "signed")
    assert later.key_id == "k2"
    assert verify().startswith("OK: 2 events in 1 chains verified")
    settings.HWMS_AUDIT_RETIRED_KEYS = {}
    assert "manifest:1#1: hashed with an unknown key id 'k1'" in broken("--checkpoint", str(sorted(checkpoints.glob("*.json"))[0]))


def test_events_from_before_the_keys_are_vouched_for_by_the_first_checkpoint(checkpoints):
    """A database upgraded from unkeyed hashes: its chains verify once the first checkpoint has recorded them, and
    a keyed event appended to such a chain vouches for the unkeyed start through its HMAC of the previous hash."""
    append("manifest:1", "created", "signed")
    append("manifest:2", "created")
    for chain in ("manifest:1", "manifest:2"):
        rewrite_without_the_key(chain, {"n": 0}, key_id="")  # the same content, hashed as before the upgrade
    assert "manifest:1: events #1 to #2 have unkeyed hashes" in broken()
    make_checkpoint()  # the first checkpoint accepts them, and records them
    assert verify().startswith("OK: 3 events in 2 chains verified")
    append("manifest:2", "signed")
    assert verify_chains(checkpoints=[]) == (4, "manifest:1: events #1 to #2 have unkeyed hashes that neither a keyed event nor a checkpoint vouches for")
    rewrite_without_the_key("manifest:1", {"n": "forged"}, key_id="")
    assert "manifest:1#2: differs from the checkpoint" in broken()


def test_the_append_path_computes_one_hmac_per_event(monkeypatch):
    calls = []
    real = audit.hmac.new
    monkeypatch.setattr(audit.hmac, "new", lambda *args, **kw: calls.append(1) or real(*args, **kw))
    append("manifest:1", "created", "signed")
    assert len(calls) == 2


def test_production_requires_an_audit_key(tmp_path):
    import os
    import subprocess
    import sys

    from django.conf import settings

    dropped = ("DEBUG", "HWMS_TESTING", "HWMS_AUDIT_KEY", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        SECRET_KEY="x" * 20 + "production-secret-key-0123456789",
        ALLOWED_HOSTS="hwms.example.vn",
        SITE_URL="https://hwms.example.vn",
        EMAIL_HOST="smtp.example.vn",
    )
    run = dict(env=env, capture_output=True, text=True, cwd=settings.BASE_DIR)
    missing = subprocess.run([sys.executable, "manage.py", "check"], **run)
    assert missing.returncode != 0 and "HWMS_AUDIT_KEY must be set" in missing.stderr
    env["HWMS_AUDIT_KEY"] = "dev-only-audit-key-do-not-use-in-production"
    development_key = subprocess.run([sys.executable, "manage.py", "check"], **run)
    assert development_key.returncode != 0 and "HWMS_AUDIT_KEY must be set" in development_key.stderr
    env["HWMS_AUDIT_KEY"] = "a-production-audit-key-of-40-characters!!"
    assert subprocess.run([sys.executable, "manage.py", "check"], **run).returncode == 0
