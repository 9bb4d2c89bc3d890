"""Writing and verifying the hash-chained audit events (accounts.models.AuditEvent)."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .models import AuditEvent, AuditHead


@dataclass(frozen=True)
class RequestContext:
    """Where a change came from: IP, browser and, from phones, the position and its accuracy."""

    ip: str | None = None
    user_agent: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    accuracy_m: Decimal | None = None

    @classmethod
    def from_request(cls, request, latitude=None, longitude=None, accuracy_m=None):
        # REMOTE_ADDR is the proxy's address behind gunicorn/nginx unless the proxy overwrites it;
        # production documents setting it from X-Forwarded-For at the proxy.
        return cls(
            ip=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            latitude=latitude,
            longitude=longitude,
            accuracy_m=accuracy_m,
        )


NO_CONTEXT = RequestContext()


def _text(value):
    return "" if value is None else str(value)


def compute_hash(event):
    """SHA-256 over the canonical JSON of the event's content and the previous hash."""
    payload = {
        "chain": event.chain,
        "seq": event.seq,
        "action": event.action,
        "actor": event.actor_id,
        "organisation": event.organisation_id,
        "role": event.role,
        "created_at": event.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "ip": _text(event.ip),
        "user_agent": event.user_agent,
        "latitude": _text(event.latitude),
        "longitude": _text(event.longitude),
        "accuracy_m": _text(event.accuracy_m),
        "data": event.data,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _quantize(value, places):
    return None if value is None else Decimal(value).quantize(Decimal(places))


def _lock_head(chain):
    """The chain's head row, locked for the rest of the transaction (created empty for a new chain; two writers
    starting the same chain at once both insert-or-ignore, then wait for each other on the lock)."""
    head = AuditHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        AuditHead.objects.bulk_create([AuditHead(chain=chain)], ignore_conflicts=True)
        head = AuditHead.objects.select_for_update().get(chain=chain)
    return head


def record(chain, action, *, actor=None, organisation=None, role="", data=None, context=NO_CONTEXT):
    """Append one event to `chain`. Call inside the transaction that makes the change.

    The chain's head row is locked first, so appends to one chain are serialised whatever the caller locked;
    the head moves to the new event in the same transaction.
    """
    assert transaction.get_connection().in_atomic_block, "audit.record must run inside transaction.atomic"
    head = _lock_head(chain)
    event = AuditEvent(
        chain=chain,
        seq=head.seq + 1,
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        organisation=organisation,
        role=role or "",
        # Microseconds survive the round trip on both SQLite and PostgreSQL, so the hash re-computes.
        created_at=timezone.now(),
        ip=context.ip,
        user_agent=context.user_agent,
        latitude=_quantize(context.latitude, "0.000001"),
        longitude=_quantize(context.longitude, "0.000001"),
        accuracy_m=_quantize(context.accuracy_m, "0.1"),
        data=json.loads(json.dumps(data or {}, default=str)),
        prev_hash=head.hash,
    )
    event.hash = compute_hash(event)
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


def verify_chains(chains=None):
    """Return (checked_count, first_problem or None). A problem names the chain, seq and what is wrong.

    Each chain is re-hashed link by link, and its last event must be the one its head records: an event
    deleted from the end of a chain, or a chain deleted whole, is reported like a broken link.
    """
    events = AuditEvent.objects.order_by("chain", "seq")
    heads = AuditHead.objects.order_by("chain")
    if chains is not None:
        events, heads = events.filter(chain__in=chains), heads.filter(chain__in=chains)
    expected = {head.chain: (head.seq, head.hash) for head in heads.iterator(chunk_size=5000)}
    checked = 0
    previous_chain, previous_hash, expected_seq = None, "", 1

    def tail_problem(chain, last_seq, last_hash):
        head_seq, head_hash = expected.pop(chain, (None, None))
        if head_seq is None:
            return f"{chain}: no chain head recorded for this chain"
        if head_seq != last_seq or head_hash != last_hash:
            return f"{chain}: events missing at the end (the head records #{head_seq}, the last event is #{last_seq})"
        return None

    for event in events.iterator(chunk_size=2000):
        if event.chain != previous_chain:
            if previous_chain is not None:
                problem = tail_problem(previous_chain, expected_seq - 1, previous_hash)
                if problem:
                    return checked, problem
            previous_chain, previous_hash, expected_seq = event.chain, "", 1
        if event.seq != expected_seq:
            return checked, f"{event.chain}: missing event before #{event.seq} (expected #{expected_seq})"
        if event.prev_hash != previous_hash:
            return checked, f"{event.chain}#{event.seq}: previous-hash link broken"
        if compute_hash(event) != event.hash:
            return checked, f"{event.chain}#{event.seq}: content does not match its hash"
        previous_hash, expected_seq = event.hash, expected_seq + 1
        checked += 1
    if previous_chain is not None:
        problem = tail_problem(previous_chain, expected_seq - 1, previous_hash)
        if problem:
            return checked, problem
    for chain, (head_seq, _hash) in sorted(expected.items()):
        if head_seq:
            return checked, f"{chain}: every event of the chain is missing (the head records #{head_seq})"
    return checked, None
