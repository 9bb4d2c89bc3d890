"""Transitions under concurrency, on PostgreSQL: row locks serialise them, idempotency keys dedupe replays,
and manifest numbers never repeat.

The threaded tests need real concurrent connections, so they run on PostgreSQL only (SQLite's test
database is one in-memory connection). Each thread opens its own connection and closes it at the end.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone, translation

from accounts.models import AuditEvent, User
from manifests import services
from manifests.models import IdempotencyRecord, Manifest, ManifestCounter, Status
from tests.factories import PASSWORD

THREADS = 5


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks and concurrent connections): set DATABASE_URL")


@pytest.fixture
def quiet_notifications(monkeypatch):
    """The committed transitions enqueue e-mails; they are not the point of these tests."""
    from manifests.tasks import send_notification_emails

    monkeypatch.setattr(send_notification_emails, "delay", lambda ids: None)


def run_at_once(count, work):
    """Run work(i) in `count` threads released together; return each thread's result or exception."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(i):
        try:
            barrier.wait(timeout=10)
            with translation.override("en"):
                results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def ready_manifest(w):
    return services.sign(w.alice, w.draft(), PASSWORD)


def pickup_in_thread(w, manifest_id, key=None):
    # A fresh user and manifest per thread, as two requests would have.
    driver = User.objects.get(pk=w.dan.pk)
    manifest = Manifest.objects.get(pk=manifest_id)
    quantities = {line.pk: line.quantity_kg for line in manifest.lines.all()}
    return services.pickup(driver, manifest, vehicle=w.truck, quantities=quantities, idempotency_key=key)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_pickups_one_succeeds_the_others_get_a_clear_message(postgresql, chain, quiet_notifications):
    w = chain
    m = ready_manifest(w)
    results = run_at_once(THREADS, lambda i: pickup_in_thread(w, m.pk))
    successes = [r for r in results if isinstance(r, Manifest)]
    refusals = [r for r in results if isinstance(r, services.TransitionError)]
    assert len(successes) == 1, results
    assert len(refusals) == THREADS - 1, results
    for refusal in refusals:
        assert refusal.message == "This manifest is now “In transit”; the action is no longer possible."
    m.refresh_from_db()
    assert m.status == Status.IN_TRANSIT
    assert AuditEvent.objects.filter(chain=m.chain, action="picked_up").count() == 1
    assert m.snapshots.filter(step="picked_up").count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_pickup_and_cancel_exactly_one_wins(postgresql, chain, quiet_notifications):
    w = chain
    m = ready_manifest(w)

    def work(i):
        if i == 0:
            return services.cancel(User.objects.get(pk=w.alice.pk), Manifest.objects.get(pk=m.pk), "Hủy chuyến")
        return pickup_in_thread(w, m.pk)

    results = run_at_once(2, work)
    assert sum(isinstance(r, Manifest) for r in results) == 1, results
    assert sum(isinstance(r, services.TransitionError) for r in results) == 1, results
    m.refresh_from_db()
    actions = set(AuditEvent.objects.filter(chain=m.chain).values_list("action", flat=True))
    assert (m.status == Status.CANCELLED) == ("cancelled" in actions) != ("picked_up" in actions)


@pytest.mark.django_db
def test_an_idempotent_replay_writes_nothing_twice(chain):
    """Sequential replay (both databases): the second request with the same key gets AlreadyDone."""
    w = chain
    m = ready_manifest(w)
    q = {line.pk: line.quantity_kg for line in m.lines.all()}
    first = services.pickup(w.dan, m, vehicle=w.truck, quantities=q, idempotency_key="phone-42")
    assert first.status == Status.IN_TRANSIT
    with pytest.raises(services.AlreadyDone) as excinfo:
        services.pickup(w.dan, m, vehicle=w.truck, quantities=q, idempotency_key="phone-42")
    record = excinfo.value.record
    assert (record.action, record.manifest_id, record.user_id) == ("pickup", m.pk, w.dan.pk)
    assert AuditEvent.objects.filter(chain=m.chain, action="picked_up").count() == 1
    # The same key replays delivery too; a new key is a new request.
    services.deliver(w.dan, first, idempotency_key="phone-43")
    with pytest.raises(services.AlreadyDone):
        services.deliver(w.dan, first, idempotency_key="phone-43")
    assert AuditEvent.objects.filter(chain=m.chain, action="delivered").count() == 1
    assert IdempotencyRecord.objects.filter(user=w.dan).count() == 2


@pytest.mark.django_db
def test_a_refused_request_does_not_burn_its_key(chain):
    """The key is claimed inside the transition's transaction: a refusal rolls the claim back."""
    w = chain
    m = ready_manifest(w)
    q = {line.pk: line.quantity_kg for line in m.lines.all()}
    w.truck.active = False
    w.truck.save()
    with pytest.raises(services.TransitionError):
        services.pickup(w.dan, m, vehicle=w.truck, quantities=q, idempotency_key="phone-44")
    assert not IdempotencyRecord.objects.filter(key="phone-44").exists()
    w.truck.active = True
    w.truck.save()
    assert services.pickup(w.dan, m, vehicle=w.truck, quantities=q, idempotency_key="phone-44").status == Status.IN_TRANSIT


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_replay_gets_already_done(postgresql, chain, quiet_notifications):
    w = chain
    m = ready_manifest(w)
    results = run_at_once(THREADS, lambda i: pickup_in_thread(w, m.pk, key="tap-tap-tap"))
    successes = [r for r in results if isinstance(r, Manifest)]
    replays = [r for r in results if isinstance(r, services.AlreadyDone)]
    assert len(successes) == 1 and len(replays) == THREADS - 1, results
    assert all(r.record.manifest_id == m.pk for r in replays)
    assert AuditEvent.objects.filter(chain=m.chain, action="picked_up").count() == 1
    assert IdempotencyRecord.objects.filter(key="tap-tap-tap").count() == 1


@pytest.mark.django_db(transaction=True)
def test_manifest_numbers_under_concurrency_are_distinct_and_sequential(postgresql, chain):
    w = chain
    count = 10

    drafts = [
        services.create_draft(
            w.alice,
            generator_site=w.alpha_hn,
            facility_site=w.omega_site,
            permit=w.permit,
            transporter=w.omega,
            planned_pickup_date=timezone.localdate(),
            lines=[w.line(quantity=f"{10 + i}.00")],
        )
        for i in range(count)
    ]

    def seal(i):
        # The official number is taken when a draft is sealed (or signed), in that transaction.
        return services.seal(User.objects.get(pk=w.alice.pk), Manifest.objects.get(pk=drafts[i].pk))

    results = run_at_once(count, seal)
    assert all(isinstance(r, Manifest) for r in results), results
    numbers = sorted(r.number for r in results)
    year = timezone.localdate().year
    assert numbers == [f"01-{year}-{seq:06d}" for seq in range(1, count + 1)]
    assert ManifestCounter.objects.get(province=w.hanoi, year=year).last == count
    assert sum(r.lines.get().quantity_kg for r in results) == sum(Decimal(10 + i) for i in range(count))
