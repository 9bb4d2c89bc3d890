"""The hash-chained audit events and `manage.py verify_audit_chain`: OK after a lifecycle, tampering found.

On PostgreSQL a trigger refuses UPDATE and DELETE of events, so the tamper tests first show the refusal,
then switch the trigger off for the session (`session_replication_role = replica`, as a database owner
restoring a dump could) to play the attacker with direct database access.
"""

import itertools
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.audit import compute_hash
from accounts.models import AuditEvent
from manifests import services
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def full_lifecycle(w):
    m = services.sign(w.alice, w.draft(), PASSWORD)
    lines = list(m.lines.all())
    m = services.pickup(
        w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in lines}, latitude=Decimal("21.028511"), longitude=Decimal("105.804817"), accuracy_m=Decimal("8.5")
    )
    m = services.deliver(w.dan, m)
    m = services.receive(w.fred, m, password=PASSWORD, lines={line.pk: {"received_quantity_kg": line.quantity_kg} for line in lines})
    m = services.treat(w.fred, m, password=PASSWORD, lines={line.pk: {"treatment_method": w.incineration, "treated_on": timezone.localdate()} for line in lines})
    revision = services.request_revision(w.alice, m, changes={lines[0].pk: {"received_quantity_kg": "99"}}, comment="Cân lại")
    services.decide_revision(w.fred, revision, approve=True)
    return m


def verify(*args):
    out = StringIO()
    call_command("verify_audit_chain", *args, stdout=out)
    return out.getvalue().strip()


def broken(*args):
    with pytest.raises(CommandError) as excinfo:
        verify(*args)
    assert excinfo.value.returncode == 1  # manage.py exits with status 1
    return str(excinfo.value)


@contextmanager
def trigger_off():
    """Let this connection UPDATE/DELETE events despite the append-only trigger (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def test_the_chain_verifies_after_a_full_lifecycle(chain):
    w = chain
    m = full_lifecycle(w)
    actions = list(AuditEvent.objects.filter(chain=m.chain).values_list("action", flat=True))
    assert actions == [
        "created", "signed", "picked_up", "delivered", "received", "treated", "completed",
        "revision.requested", "revision.approved", "revision.applied",
    ]  # fmt: skip
    total = AuditEvent.objects.count()
    chains = AuditEvent.objects.values("chain").distinct().count()
    assert chains == 2  # the manifest and Alpha's organisation chain (signature code rotation)
    assert verify() == f"OK: {total} events in {chains} chains verified"
    assert verify("--chain", m.chain) == f"OK: {len(actions)} events in 1 chains verified"


def test_transitions_that_append_two_events_and_send_their_writes_with_them_leave_chains_that_verify(chain):
    """The handover-code pickup (signed, picked_up) and a follow-up (created, signed) append twice to one chain in
    one transaction, the second time without reading the head again; their rows go in the events' statements."""
    from manifests.models import FollowUp, ManifestSnapshot, Status
    from tests.manifests.lifecycle import at_status, quantities, received_as_declared

    w = chain
    m = services.seal(w.alice, w.draft())
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m), handover_by=w.alice, handover_code=w.code)
    m = services.deliver(w.dan, m)
    lines = received_as_declared(m)
    rejected = m.lines.order_by("position").last()
    lines[rejected.pk] = {"rejected": True, "rejection_reason": "Bao bì rò rỉ"}
    m = services.receive(w.fred, m, password=PASSWORD, lines=lines)
    back = services.create_follow_up(w.alice, m, kind=FollowUp.RETURN, password=PASSWORD)
    assert list(AuditEvent.objects.filter(chain=m.chain).values_list("action", flat=True)) == [
        "created", "sealed", "signed", "picked_up", "delivered", "received", "follow_up.created",
    ]  # fmt: skip
    assert list(AuditEvent.objects.filter(chain=back.chain).values_list("action", flat=True)) == ["created", "signed"]
    m.refresh_from_db()
    assert m.status == Status.RECEIVED and m.driver == w.dan and m.generator_signed_by == w.alice
    assert list(m.lines.order_by("position").values_list("rejected", flat=True)) == [False, True]
    assert list(ManifestSnapshot.objects.filter(manifest=m).values_list("step", flat=True).order_by("pk")) == [
        "generator_signed", "picked_up", "received",
    ]  # fmt: skip
    back.refresh_from_db()
    assert back.status == Status.READY and back.lines.count() == 1 and back.declared_kg == rejected.quantity_kg
    total = AuditEvent.objects.count()
    assert verify() == f"OK: {total} events in {AuditEvent.objects.values('chain').distinct().count()} chains verified"
    assert at_status(w, Status.COMPLETED).status == Status.COMPLETED  # treated, then completed: two events too
    assert verify().startswith("OK:")


def test_events_carry_signer_organisation_role_time_and_position(chain):
    w = chain
    m = full_lifecycle(w)
    picked = AuditEvent.objects.get(chain=m.chain, action="picked_up")
    assert (picked.actor, picked.organisation, picked.role) == (w.dan, w.omega, "driver")
    assert picked.latitude == Decimal("21.028511") and picked.accuracy_m == Decimal("8.5")
    assert picked.created_at.utcoffset().total_seconds() == 0
    events = list(AuditEvent.objects.filter(chain=m.chain))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    assert events[0].prev_hash == ""


def test_the_database_refuses_to_change_or_delete_events(chain):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    w = chain
    m = w.draft()
    event = AuditEvent.objects.get(chain=m.chain)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("UPDATE accounts_auditevent SET action = 'forged' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM accounts_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(data={"forged": True})
    event.refresh_from_db()
    assert event.action == "created"


def test_changed_event_data_is_reported_with_its_chain_and_seq(chain):
    w = chain
    m = full_lifecycle(w)
    picked = AuditEvent.objects.get(chain=m.chain, action="picked_up")
    tampered = dict(picked.data, vehicle="99Z-999.99")
    with trigger_off():
        assert raw("UPDATE accounts_auditevent SET data = %s WHERE id = %s", [json.dumps(tampered), picked.pk]) == 1
    message = broken()
    assert message.startswith("BROKEN: ")
    assert f"{m.chain}#{picked.seq}: content does not match its hash" in message
    # The other chains still verify one by one.
    assert verify("--chain", f"organisation:{w.alpha.pk}").startswith("OK: 1 events")


def test_a_rehashed_forgery_breaks_the_next_link(chain):
    """Recomputing the forged event's own hash is not enough: the next event still points at the old one."""
    w = chain
    m = full_lifecycle(w)
    received = AuditEvent.objects.get(chain=m.chain, action="received")
    received.data = {"lines": {}}
    new_hash = compute_hash(received)
    with trigger_off():
        raw("UPDATE accounts_auditevent SET data = %s, hash = %s WHERE id = %s", [json.dumps(received.data), new_hash, received.pk])
    assert f"{m.chain}#{received.seq + 1}: previous-hash link broken" in broken()


def test_a_deleted_middle_event_is_detected(chain):
    w = chain
    m = full_lifecycle(w)
    delivered = AuditEvent.objects.get(chain=m.chain, action="delivered")
    with trigger_off():
        assert raw("DELETE FROM accounts_auditevent WHERE id = %s", [delivered.pk]) == 1
    message = broken("--chain", m.chain)
    assert f"{m.chain}: missing event before #{delivered.seq + 1} (expected #{delivered.seq})" in message


def test_a_deleted_last_event_is_detected_by_the_chain_head(chain):
    w = chain
    m = full_lifecycle(w)
    last = AuditEvent.objects.filter(chain=m.chain).order_by("-seq").first()
    with trigger_off():
        assert raw("DELETE FROM accounts_auditevent WHERE id = %s", [last.pk]) == 1
    message = broken("--chain", m.chain)
    assert f"{m.chain}: events missing at the end (the head records #{last.seq}, the last event is #{last.seq - 1})" in message


def test_a_deleted_whole_chain_is_detected_by_its_head(chain):
    w = chain
    m = full_lifecycle(w)
    count = AuditEvent.objects.filter(chain=m.chain).count()
    with trigger_off():
        assert raw("DELETE FROM accounts_auditevent WHERE chain = %s", [m.chain]) == count
    assert f"{m.chain}: every event of the chain is missing (the head records #{count})" in broken()


def test_events_without_a_head_are_reported(chain):
    w = chain
    m = full_lifecycle(w)
    with trigger_off():
        assert raw("DELETE FROM accounts_audithead WHERE chain = %s", [m.chain]) == 1
    assert f"{m.chain}: no chain head recorded for this chain" in broken("--chain", m.chain)


def test_the_database_refuses_to_delete_a_head_or_move_it_anywhere_but_one_step_forward(chain):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL")
    w = chain
    m = full_lifecycle(w)
    with pytest.raises(DatabaseError, match="cannot be deleted"), transaction.atomic():
        raw("DELETE FROM accounts_audithead WHERE chain = %s", [m.chain])
    with pytest.raises(DatabaseError, match="one step forward"), transaction.atomic():
        raw("UPDATE accounts_audithead SET seq = seq - 1 WHERE chain = %s", [m.chain])
    with pytest.raises(DatabaseError, match="one step forward"), transaction.atomic():
        raw("UPDATE accounts_audithead SET seq = seq + 1, hash = 'x' WHERE chain = %s", [m.chain])
    with pytest.raises(DatabaseError, match="starts at sequence 0"), transaction.atomic():
        raw("INSERT INTO accounts_audithead (chain, seq, hash) VALUES ('forged:1', 5, 'x')")


def test_a_changed_time_or_actor_is_detected(chain):
    w = chain
    m = full_lifecycle(w)
    signed = AuditEvent.objects.get(chain=m.chain, action="signed")
    with trigger_off():
        raw("UPDATE accounts_auditevent SET actor_id = %s WHERE id = %s", [w.bob.pk, signed.pk])
    assert f"{m.chain}#{signed.seq}: content does not match" in broken()


def test_an_unknown_chain_verifies_nothing(chain):
    assert verify("--chain", "manifest:0") == "OK: 0 events in 0 chains verified"


@pytest.mark.django_db(transaction=True)
def test_manage_py_exits_non_zero_on_a_broken_chain(chain, monkeypatch):
    """The real command line, against the test database (PostgreSQL: a second process sees committed data)."""
    if connection.vendor != "postgresql":
        pytest.skip("a separate process cannot open SQLite's in-memory test database")
    from manifests.tasks import send_notification_emails

    monkeypatch.setattr(send_notification_emails, "delay", lambda ids: None)
    w = chain
    m = services.sign(w.alice, w.draft(), PASSWORD)
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        DEBUG="1",
    )
    command = [sys.executable, "manage.py", "verify_audit_chain"]
    cwd = Path(settings.BASE_DIR)
    ok = subprocess.run(command, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: 3 events in 2 chains verified")
    event = AuditEvent.objects.get(chain=m.chain, action="signed")
    with trigger_off():
        raw("UPDATE accounts_auditevent SET role = 'viewer' WHERE id = %s", [event.pk])
    bad = subprocess.run(command, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert f"BROKEN: {m.chain}#{event.seq}: content does not match its hash" in bad.stderr
