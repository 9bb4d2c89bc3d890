"""Writing and verifying the hash-chained audit events (accounts.models.AuditEvent), and the signed checkpoints
of every chain's head written outside the database.

Each event's hash is an HMAC-SHA256 under a key kept outside the database (settings.HWMS_AUDIT_KEY, its id stored
on the event): someone who can write the database but does not hold the key cannot recompute the hashes of an
edited chain. What the key alone cannot show (the last events of a chain deleted together with its head, or a
whole chain deleted) the checkpoints show: a daily file listing every head's sequence and hash, signed with the
key, kept in a directory outside the database and e-mailed to the central officials (README, "What the audit
log protects, and against whom").
"""

import gzip
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common import sql

from .models import AuditEvent, AuditHead, User


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


class UnknownKey(LookupError):
    """An event or a checkpoint names a key id that is neither the current key nor a retired one."""


def audit_key(key_id):
    """The secret (bytes) of `key_id`: the current key or a retired one kept to verify older events."""
    if key_id == settings.HWMS_AUDIT_KEY_ID:
        return settings.HWMS_AUDIT_KEY.encode()
    try:
        return settings.HWMS_AUDIT_RETIRED_KEYS[key_id].encode()
    except KeyError:
        raise UnknownKey(key_id) from None


def _canonical(payload):
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def compute_hash(event):
    """HMAC-SHA256, under the key the event names (event.key_id), over the canonical JSON of the event's content and
    the previous hash. Events written before keys were introduced (key_id "") have a plain SHA-256."""
    canonical = _canonical(
        {
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
    )
    if not event.key_id:
        return hashlib.sha256(canonical).hexdigest()
    return hmac.new(audit_key(event.key_id), canonical, hashlib.sha256).hexdigest()


def _quantize(value, places):
    return None if value is None else Decimal(value).quantize(Decimal(places))


def _lock_head(chain, new=False):
    """The chain's head row, locked for the rest of the transaction (created empty for a new chain; two writers
    starting the same chain at once both insert-or-ignore, then wait for each other on the lock).

    `new`: the caller knows the chain cannot exist yet (it names a row created in this transaction); the head is
    inserted without being looked for, and an existing one fails on its primary key instead of being continued.
    """
    if new:
        return AuditHead.objects.create(chain=chain)
    head = AuditHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        AuditHead.objects.bulk_create([AuditHead(chain=chain)], ignore_conflicts=True)
        head = AuditHead.objects.select_for_update().get(chain=chain)
    return head


# On PostgreSQL the event and its head's move are one statement: the head is updated from the inserted row, so the
# head's trigger (accounts migration 0002) finds the event it moves onto. The change's own writes go first in it.
APPEND_SQL = """WITH {also}event AS ({insert} RETURNING id, chain, seq, hash)
UPDATE {head} SET seq = event.seq, hash = event.hash FROM event WHERE {head}.chain = event.chain RETURNING event.id"""


def _append(event, head, also):
    """Write `also` (the change's (sql, params) statements), insert the event and move the head onto it."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        sql.execute(also)
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
        return
    insert, params = sql.insert_statement(AuditEvent, [event])
    first = "".join(f"change{index} AS ({statement}), " for index, (statement, _params) in enumerate(also))
    with connection.cursor() as cursor:
        cursor.execute(
            APPEND_SQL.format(also=first, insert=insert, head=AuditHead._meta.db_table),
            [*(value for _statement, statement_params in also for value in statement_params), *params],
        )
        event.pk = cursor.fetchone()[0]
    event._state.adding, event._state.db = False, connection.alias
    head.seq, head.hash = event.seq, event.hash


def record(chain, action, *, actor=None, organisation=None, role="", data=None, context=NO_CONTEXT, new_chain=False, also=(), after=None):
    """Append one event to `chain`. Call inside the transaction that makes the change.

    The chain's head row is locked first, so appends to one chain are serialised whatever the caller locked;
    the head moves to the new event in the same transaction. `new_chain`: the chain names an object created in
    this transaction (see _lock_head). `also`: writes of the change, (sql, params) from common.sql, sent with the
    event (one round trip on PostgreSQL, where none of them may read another's rows). `after`: the event this same
    transaction appended to the chain last; its head is locked since, and is not read again.
    """
    assert transaction.get_connection().in_atomic_block, "audit.record must run inside transaction.atomic"
    if after is not None:
        assert after.chain == chain, "`after` is an event of the same chain"
        head = AuditHead(chain=chain, seq=after.seq, hash=after.hash)
        head._state.adding = False
    else:
        head = _lock_head(chain, new=new_chain)
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
        key_id=settings.HWMS_AUDIT_KEY_ID,
    )
    event.hash = compute_hash(event)
    _append(event, head, also)
    return event


def verify_chains(chains=None, checkpoints=None, *, unkeyed_ok=False):
    """Return (checked_count, first_problem or None). A problem names the chain, seq and what is wrong.

    Each chain is re-hashed link by link under the keys, and its last event must be the one its head records: an
    event deleted from the end of a chain, or a chain deleted whole, is reported like a broken link. Then the
    database is compared with `checkpoints` (paths of checkpoint summaries; by default the latest one in
    settings.HWMS_AUDIT_CHECKPOINT_DIR): every head a checkpoint recorded must still be there, with its hash, so
    a chain cut back together with its head, deleted with its head, or rewritten since is reported.

    Unkeyed events (written before keys were introduced) are accepted only as the start of a chain that a keyed
    event continues, or that a checkpoint recorded; `unkeyed_ok` accepts them without (the first checkpoint after
    the upgrade, which then vouches for them).
    """
    if checkpoints is None:
        checkpoints = latest_checkpoints()
    events = AuditEvent.objects.order_by("chain", "seq")
    heads = AuditHead.objects.order_by("chain")
    if chains is not None:
        events, heads = events.filter(chain__in=chains), heads.filter(chain__in=chains)
    expected = {head.chain: (head.seq, head.hash) for head in heads.iterator(chunk_size=5000)}
    unvouched = {}  # chain -> (seq, hash) of its last event, for chains whose every event is unkeyed
    checked = 0
    previous_chain, previous_hash, expected_seq, keyed = None, "", 1, False

    def tail_problem(chain, last_seq, last_hash):
        head_seq, head_hash = expected.pop(chain, (None, None))
        if head_seq is None:
            return f"{chain}: no chain head recorded for this chain"
        if head_seq != last_seq or head_hash != last_hash:
            return f"{chain}: events missing at the end (the head records #{head_seq}, the last event is #{last_seq})"
        if not keyed:
            unvouched[chain] = (last_seq, last_hash)
        return None

    for event in events.iterator(chunk_size=2000):
        if event.chain != previous_chain:
            if previous_chain is not None:
                problem = tail_problem(previous_chain, expected_seq - 1, previous_hash)
                if problem:
                    return checked, problem
            previous_chain, previous_hash, expected_seq, keyed = event.chain, "", 1, False
        if event.seq != expected_seq:
            return checked, f"{event.chain}: missing event before #{event.seq} (expected #{expected_seq})"
        if event.prev_hash != previous_hash:
            return checked, f"{event.chain}#{event.seq}: previous-hash link broken"
        if keyed and not event.key_id:
            return checked, f"{event.chain}#{event.seq}: an unkeyed hash after keyed ones (rewritten without the key)"
        try:
            matches = hmac.compare_digest(compute_hash(event), event.hash)
        except UnknownKey:
            return checked, f"{event.chain}#{event.seq}: hashed with an unknown key id {event.key_id!r}"
        if not matches:
            return checked, f"{event.chain}#{event.seq}: content does not match its hash"
        previous_hash, expected_seq, keyed = event.hash, expected_seq + 1, keyed or bool(event.key_id)
        checked += 1
    if previous_chain is not None:
        problem = tail_problem(previous_chain, expected_seq - 1, previous_hash)
        if problem:
            return checked, problem
    for chain, (head_seq, _hash) in sorted(expected.items()):
        if head_seq:
            return checked, f"{chain}: every event of the chain is missing (the head records #{head_seq})"
    for path in checkpoints:
        problem = compare_with_checkpoint(path, chains, unvouched)
        if problem:
            return checked, problem
    if unvouched and not unkeyed_ok:
        chain, (seq, _hash) = min(unvouched.items())
        return checked, (
            f"{chain}: events #1 to #{seq} have unkeyed hashes that neither a keyed event nor a checkpoint vouches for"
        )
    return checked, None


# Checkpoints ----------------------------------------------------------------------------------------------------

CHECKPOINT_FORMAT = "hwms-audit-checkpoint/1"
CHECKPOINT_PREFIX = "audit-checkpoint-"


def checkpoint_directory(directory=None):
    directory = directory or settings.HWMS_AUDIT_CHECKPOINT_DIR
    return Path(directory) if directory else None


def latest_checkpoints(directory=None, count=1):
    """Paths of the newest `count` checkpoint summaries (all of them for count=None), oldest first."""
    directory = checkpoint_directory(directory)
    if directory is None or not directory.is_dir():
        return []
    paths = sorted(directory.glob(f"{CHECKPOINT_PREFIX}*.json"))
    return paths if count is None else paths[-count:]


def _signature(summary):
    unsigned = {key: value for key, value in summary.items() if key != "signature"}
    return hmac.new(audit_key(summary["key_id"]), _canonical(unsigned), hashlib.sha256).hexdigest()


def _write_atomically(path, write):
    temporary = path.with_name(path.name + ".tmp")
    write(temporary)
    os.replace(temporary, path)


def write_checkpoint(directory=None, now=None):
    """Write a signed checkpoint of every chain head into `directory` (default settings.HWMS_AUDIT_CHECKPOINT_DIR).

    Two files: `<name>.heads.gz` (one "chain<TAB>seq<TAB>hash" line per chain) and `<name>.json`, the summary:
    chain and event counts, the SHA-256 of the heads lines, the key id and an HMAC signature over all of it. The
    summary is written last, so a checkpoint cut short by a crash is never read. Returns the summary's path.
    """
    directory = checkpoint_directory(directory)
    if directory is None:
        raise ImproperlyConfigured("HWMS_AUDIT_CHECKPOINT_DIR must be set to write audit checkpoints.")
    directory.mkdir(parents=True, exist_ok=True)
    now = now or timezone.now()
    name = CHECKPOINT_PREFIX + now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    heads_path, summary_path = directory / f"{name}.heads.gz", directory / f"{name}.json"
    digest, totals = hashlib.sha256(), {"chains": 0, "events": 0}

    def write_heads(path):
        rows = AuditHead.objects.filter(seq__gt=0).order_by("chain").values_list("chain", "seq", "hash")
        with gzip.open(path, "wt", encoding="utf-8", newline="\n") as out:
            for chain, seq, hash_ in rows.iterator(chunk_size=5000):
                line = f"{chain}\t{seq}\t{hash_}\n"
                out.write(line)
                digest.update(line.encode("utf-8"))
                totals["chains"] += 1
                totals["events"] += seq

    _write_atomically(heads_path, write_heads)
    summary = {
        "format": CHECKPOINT_FORMAT,
        "created_at": now.astimezone(UTC).isoformat(),
        **totals,
        "heads_file": heads_path.name,
        "heads_sha256": digest.hexdigest(),
        "key_id": settings.HWMS_AUDIT_KEY_ID,
    }
    summary["signature"] = _signature(summary)
    _write_atomically(summary_path, lambda path: path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8"))
    return summary_path


def read_checkpoint(path):
    """(summary, problem): the summary of a checkpoint once its signature and heads file are checked."""
    path = Path(path)
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        signature_ok = summary.get("format") == CHECKPOINT_FORMAT and hmac.compare_digest(
            _signature(summary), summary.get("signature", "")
        )
    except UnknownKey as exc:
        return None, f"checkpoint {path.name}: signed with an unknown key id {exc.args[0]!r}"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        signature_ok = False
    if not signature_ok:
        return None, f"checkpoint {path.name}: unreadable or its signature does not match (forged or damaged)"
    digest = hashlib.sha256()
    try:
        for line in _checkpoint_lines(_heads_path(path, summary)):
            digest.update(line.encode("utf-8"))
    except (OSError, EOFError):
        return None, f"checkpoint {path.name}: its heads file {summary['heads_file']} is missing or unreadable"
    if digest.hexdigest() != summary["heads_sha256"]:
        return None, f"checkpoint {path.name}: its heads file does not match the signed digest"
    return summary, None


def _heads_path(summary_path, summary):
    """The heads file beside its summary, or in the checkpoint directory (for a summary kept from the e-mail)."""
    beside = Path(summary_path).with_name(summary["heads_file"])
    directory = checkpoint_directory()
    return beside if beside.exists() or directory is None else directory / summary["heads_file"]


def _checkpoint_lines(heads_path):
    with gzip.open(heads_path, "rt", encoding="utf-8", newline="\n") as lines:
        yield from lines


def _batches(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def compare_with_checkpoint(path, chains=None, unvouched=None):
    """The first difference between the database and the checkpoint at `path` (restricted to `chains`), or None.

    Every head the checkpoint recorded must still be an event of the database with the same hash. Chains of
    `unvouched` (unkeyed events) that the checkpoint recorded as they are are removed from it.
    """
    summary, problem = read_checkpoint(path)
    if problem:
        return problem
    when = summary["created_at"]
    wanted = None if chains is None else set(chains)
    recorded = (line.rstrip("\n").split("\t") for line in _checkpoint_lines(_heads_path(path, summary)))
    for batch in _batches(((c, int(s), h) for c, s, h in recorded if wanted is None or c in wanted), 2000):
        found = {
            (chain, seq): hash_
            for chain, seq, hash_ in AuditEvent.objects.filter(
                chain__in={chain for chain, _seq, _hash in batch}, seq__in={seq for _chain, seq, _hash in batch}
            ).values_list("chain", "seq", "hash")
        }
        for chain, seq, hash_ in batch:
            actual = found.get((chain, seq))
            if actual is None:
                return f"{chain}: event #{seq}, recorded by the checkpoint of {when}, is missing (deleted since)"
            if actual != hash_:
                return f"{chain}#{seq}: differs from the checkpoint of {when} (rewritten since)"
            if unvouched is not None and unvouched.get(chain) == (seq, hash_):
                del unvouched[chain]
    return None


class AuditLogBroken(Exception):
    """verify_chains found a problem: no checkpoint is signed over a broken log."""


def checkpoint_recipients():
    """The central (nationwide) officials' addresses and settings.HWMS_AUDIT_CHECKPOINT_EMAILS."""
    officials = User.objects.filter(
        is_active=True, jurisdiction__isnull=False, jurisdiction__province__isnull=True
    ).exclude(email="")
    return sorted(set(officials.values_list("email", flat=True)) | set(settings.HWMS_AUDIT_CHECKPOINT_EMAILS))


def make_checkpoint(directory=None):
    """Verify the log (against the previous checkpoint too), then write a new checkpoint and e-mail its summary.

    A broken log gets no checkpoint: the recipients are e-mailed the problem and AuditLogBroken is raised.
    Returns the new summary's path.
    """
    previous = latest_checkpoints(directory)
    checked, problem = verify_chains(checkpoints=previous, unkeyed_ok=not previous)
    recipients = checkpoint_recipients()
    with translation.override(settings.LANGUAGE_CODE):
        if problem:
            if recipients:
                send_mail(
                    _("HWMS: the audit log failed verification"),
                    _("The audit log failed verification; no checkpoint was written.\n\n%(problem)s\n")
                    % {"problem": problem},
                    None,
                    recipients,
                )
            raise AuditLogBroken(problem)
        path = write_checkpoint(directory)
        if recipients:
            summary = path.read_text(encoding="utf-8")
            send_mail(
                _("HWMS: audit log checkpoint %(name)s") % {"name": path.stem},
                _(
                    "The audit log verified (%(count)s events) and its checkpoint was written outside the database. "
                    "Keep this e-mail: the summary below, signed with the audit key, lets anyone later check that "
                    "no chain of the log was cut or rewritten since (manage.py verify_audit_chain --checkpoint).\n\n"
                    "%(summary)s"
                )
                % {"count": checked, "summary": summary},
                None,
                recipients,
            )
    return path
