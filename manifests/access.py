"""Keeping ManifestAccess and AccessCount in step with the manifests, inside each change's transaction.

`sync(manifest)` is called by every service that changes who may see a manifest or what its list rows show
(status, flags, parties): it derives the rows the manifest should have from its fields, writes the difference,
and moves the counters by the same difference. Deriving instead of patching keeps one definition of the rows,
`desired_rows`, mirroring accounts.policy.manifest_q (drafts only for the organisation preparing them; past the
draft the parties, the provinces of the generator and the facility, and the country).
"""

from collections import Counter
from dataclasses import dataclass

from django.db import connection

from accounts import policy
from common import sql

from .models import AccessCount, ManifestAccess, Status
from .signals import manifest_changed

Kind = ManifestAccess.Kind
FLAGS = ("has_discrepancy", "has_rejection", "overdue")
# Counter keys besides the statuses.
FLAG_KEYS = {"has_discrepancy": "discrepancy", "has_rejection": "rejection", "overdue": "overdue"}


@dataclass(frozen=True)
class Row:
    kind: int
    ref: int
    site_id: int | None = None
    other_site_id: int | None = None
    transports: bool = False


def _is_overdue(manifest):
    return manifest.overdue_since is not None and not manifest.is_closed


def desired_rows(manifest):
    """The scopes that reach the manifest, one Row each."""
    if manifest.is_private:
        site_id = manifest.generator_site_id if manifest.prepared_by_id == manifest.generator_id else manifest.facility_site_id
        return [Row(Kind.ORGANISATION, manifest.prepared_by_id, site_id)]
    sites = {}
    for org_id, site_id in ((manifest.generator_id, manifest.generator_site_id), (manifest.facility_id, manifest.facility_site_id)):
        sites.setdefault(org_id, []).append(site_id)
    rows = []
    for org_id, org_sites in sites.items():
        rows.append(Row(Kind.ORGANISATION, org_id, org_sites[0], org_sites[1] if len(org_sites) > 1 else None, org_id == manifest.transporter_id))
    if manifest.transporter_id not in sites:
        rows.append(Row(Kind.ORGANISATION, manifest.transporter_id, transports=True))
    for province in dict.fromkeys((manifest.province_id, manifest.facility_province_id)):
        rows.append(Row(Kind.PROVINCE, province))
    rows.append(Row(Kind.COUNTRY, 0))
    return rows


def _keys(values):
    """Counter keys of one row: its status and its flags."""
    keys = [values["status"]]
    keys += [FLAG_KEYS[flag] for flag in FLAGS if values[flag]]
    return keys


def state(manifest):
    """What a manifest's rows copy, as it stands (taken when it is locked, to move the rows without reading them)."""
    return {
        "status": manifest.status,
        "created_at": manifest.created_at,
        "province": manifest.province_id,
        "facility_province": manifest.facility_province_id,
        "has_discrepancy": manifest.has_discrepancy,
        "has_rejection": manifest.has_rejection,
        "overdue": _is_overdue(manifest),
    }


def sync(manifest, before=None, created=False):
    """Bring the manifest's access rows and the counters to its current state. Call inside the transaction
    that changed it, after saving it.

    `before`: its state when it was locked. Past the draft the scopes of a manifest no longer change, so its
    rows are then moved with one UPDATE without being read first. `created`: the manifest was created in this
    transaction, it has no rows yet.
    """
    manifest_changed.send(sender=type(manifest), manifest=manifest)  # the one hook for the apps above (stats)
    before = before or getattr(manifest, "_access_before", None)
    if before is not None and before["status"] != Status.DRAFT and manifest.status != Status.DRAFT:
        return _move(manifest, before)
    values = state(manifest)
    wanted = {(row.kind, row.ref): row for row in desired_rows(manifest)}
    columns = ("pk", "kind", "ref", "site_id", "other_site_id", "transports", *values)
    existing = {} if created else {(row["kind"], row["ref"]): row for row in ManifestAccess.objects.filter(manifest=manifest).values(*columns)}
    delta = Counter()
    new_keys = _keys(values)
    kept, reshaped = [], []
    for scope, row in existing.items():
        old_keys = _keys(row)
        if scope not in wanted:
            for key in old_keys:
                delta[(scope, key)] -= 1
            continue
        target = wanted[scope]
        shape = {"site_id": target.site_id, "other_site_id": target.other_site_id, "transports": target.transports}
        if any(row[name] != value for name, value in shape.items()):
            reshaped.append((row["pk"], shape))
        if any(row[name] != value for name, value in values.items()):
            kept.append(row["pk"])
            for key in old_keys:
                delta[(scope, key)] -= 1
            for key in new_keys:
                delta[(scope, key)] += 1
    # The values are the manifest's, the same on each of its rows: one UPDATE for all of them, sent with the
    # counters' changes.
    statements = [sql.update_queryset_statement(ManifestAccess.objects.filter(pk__in=kept), values)] if kept else []
    for pk, shape in reshaped:  # only when the parties of a draft change
        ManifestAccess.objects.filter(pk=pk).update(**shape)
    gone = [row["pk"] for scope, row in existing.items() if scope not in wanted]
    if gone:
        ManifestAccess.objects.filter(pk__in=gone).delete()
    added = [
        ManifestAccess(
            manifest=manifest, kind=row.kind, ref=row.ref, site_id=row.site_id, other_site_id=row.other_site_id,
            transports=row.transports, **values,
        )
        for scope, row in wanted.items()
        if scope not in existing
    ]
    if added:
        statements.insert(0, sql.insert_statement(ManifestAccess, added))
        for row in added:
            for key in new_keys:
                delta[((row.kind, row.ref), key)] += 1
    _count(delta, statements)


def _move(manifest, before):
    values = state(manifest)
    if values == before:
        return
    delta = Counter()
    for row in desired_rows(manifest):
        for key in _keys(before):
            delta[((row.kind, row.ref), key)] -= 1
        for key in _keys(values):
            delta[((row.kind, row.ref), key)] += 1
    # The values are the manifest's, the same on each of its rows: one UPDATE, sent with the counters'.
    _count(delta, [sql.update_queryset_statement(ManifestAccess.objects.filter(manifest=manifest), values)])


def _count(delta, statements=()):
    """Apply counter differences: an upsert adds the positive steps (a counter is created at its first use), an
    UPDATE FROM a list of rows subtracts the others (their counters exist: the row being left was counted; an
    upsert cannot carry them, the proposed row would break the count >= 0 check). Rows come in a fixed order, so
    two transactions moving the same counters cannot deadlock.

    `statements`: (sql, params) of other writes to send with them; on PostgreSQL all go in one statement, the
    first ones as data-modifying WITH queries (they see the same snapshot: none of them may read what another
    writes)."""
    statements = list(statements)
    steps = [(kind, ref, key, step) for ((kind, ref), key), step in sorted(delta.items()) if step]
    table = AccessCount._meta.db_table
    down = [value for step in steps if step[3] < 0 for value in step]
    if down:
        rows = " UNION ALL ".join(["SELECT %s AS kind, %s AS ref, %s AS key, %s AS step"] * (len(down) // 4))
        statements.append(
            (
                f"UPDATE {table} SET count = {table}.count + d.step FROM ({rows}) AS d "
                f"WHERE {table}.kind = d.kind AND {table}.ref = d.ref AND {table}.key = d.key",
                down,
            )
        )
    up = [value for step in steps if step[3] > 0 for value in step]
    if up:
        values = ", ".join(["(%s, %s, %s, %s)"] * (len(up) // 4))
        statements.append(
            (
                f"INSERT INTO {table} (kind, ref, key, count) VALUES {values} "
                f"ON CONFLICT (kind, ref, key) DO UPDATE SET count = {table}.count + excluded.count",
                up,
            )
        )
    sql.execute_together(statements)


# Past the draft (policy.PRIVATE in SQL): not a draft, nor a draft cancelled before it was ever sent.
SHARED_SQL = "NOT (m.status = 'draft' OR (m.status = 'cancelled' AND m.number LIKE '" + policy.DRAFT_REFERENCE_PREFIX + "%%'))"

ROWS_SQL = """
INSERT INTO manifests_manifestaccess (manifest_id, kind, ref, site_id, other_site_id, transports, status, created_at,
                                      province, facility_province, has_discrepancy, has_rejection, overdue)
SELECT m.id, r.kind, r.ref, r.site_id, r.other_site_id, r.transports, m.status, m.created_at, m.province_id,
       m.facility_province_id, m.has_discrepancy, m.has_rejection,
       m.overdue_since IS NOT NULL AND m.status NOT IN ('completed', 'rejected', 'cancelled')
FROM manifests_manifest m
CROSS JOIN LATERAL (VALUES
    -- desired_rows in SQL: a draft reaches only the organisation preparing it, through the preparing site.
    (%(org)s, CASE WHEN {shared} OR m.prepared_by_id = m.generator_id THEN m.generator_id END,
     m.generator_site_id,
     CASE WHEN {shared} AND m.facility_id = m.generator_id THEN m.facility_site_id END,
     {shared} AND m.transporter_id = m.generator_id),
    (%(org)s, CASE WHEN m.facility_id <> m.generator_id AND ({shared} OR m.prepared_by_id = m.facility_id)
                   THEN m.facility_id END,
     m.facility_site_id, NULL, {shared} AND m.transporter_id = m.facility_id),
    (%(org)s, CASE WHEN {shared} AND m.transporter_id NOT IN (m.generator_id, m.facility_id) THEN m.transporter_id END,
     NULL, NULL, true),
    (%(province)s, CASE WHEN {shared} THEN m.province_id END, NULL, NULL, false),
    (%(province)s, CASE WHEN {shared} AND m.facility_province_id <> m.province_id THEN m.facility_province_id END,
     NULL, NULL, false),
    (%(country)s, CASE WHEN {shared} THEN 0 END, NULL, NULL, false)
) AS r(kind, ref, site_id, other_site_id, transports)
WHERE r.ref IS NOT NULL {where}
"""

COUNT_SQL = """
INSERT INTO manifests_accesscount (kind, ref, key, count)
SELECT kind, ref, status, count(*) FROM manifests_manifestaccess GROUP BY kind, ref, status
UNION ALL SELECT kind, ref, 'discrepancy', count(*) FROM manifests_manifestaccess WHERE has_discrepancy GROUP BY kind, ref
UNION ALL SELECT kind, ref, 'rejection', count(*) FROM manifests_manifestaccess WHERE has_rejection GROUP BY kind, ref
UNION ALL SELECT kind, ref, 'overdue', count(*) FROM manifests_manifestaccess WHERE overdue GROUP BY kind, ref
"""


def insert_rows(where="", params=None):
    """The access rows of the manifests matching `where` (SQL over `m`, PostgreSQL), written in one statement;
    returns how many. For bulk loads; a running portal keeps the rows with sync()."""
    kinds = {"org": Kind.ORGANISATION.value, "province": Kind.PROVINCE.value, "country": Kind.COUNTRY.value}
    with connection.cursor() as cursor:
        sql = ROWS_SQL.format(shared=SHARED_SQL, where=f"AND ({where})" if where else "")
        cursor.execute(sql, {**kinds, **(params or {})})
        return cursor.rowcount


def recount():
    """Every counter recomputed from the rows, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM manifests_accesscount")
        cursor.execute(COUNT_SQL)


def rebuild():
    """Recompute every access row and counter from the manifests (after a bulk load, or to repair)."""
    from .models import Manifest

    ManifestAccess.objects.all().delete()
    if connection.vendor == "postgresql":
        insert_rows()
        recount()
        return
    AccessCount.objects.all().delete()
    for manifest in Manifest.objects.order_by("pk").iterator(chunk_size=2000):
        sync(manifest)
