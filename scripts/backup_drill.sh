#!/usr/bin/env bash
# Backup and restore drill (README, "Backups and recovery"): pg_dump the database of DATABASE_URL, restore the dump
# into a fresh database, and show that the copy agrees with the original:
#   - the row count of every table, and the manifests by status;
#   - the statistics' rollups (manage.py check_rollups: the rollup tables against the raw manifests);
#   - the audit log (manage.py verify_audit_chain: the keyed hash chains, and the latest checkpoint written
#     outside the database, so the copy holds every event the checkpoint vouches for).
#
#   DATABASE_URL=postgres://user:password@host:5432/hwms scripts/backup_drill.sh [RESTORED_DB_NAME]
#
# The restored database is named RESTORED_DB_NAME (default: <source>_drill); it must not exist yet, and is dropped
# at the end unless KEEP=1. The role of DATABASE_URL must be allowed to create databases. Needs pg_dump,
# pg_restore and psql of the server's major version, and the application's settings in the environment
# (HWMS_AUDIT_KEY and HWMS_AUDIT_CHECKPOINT_DIR for the audit log). Run it against a quiet database or a standby:
# rows written between the dump and the counts would show as differences. Exits non-zero at the first
# disagreement, so it can run from cron.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
PYTHON="${PYTHON:-.venv/bin/python}"

base="${DATABASE_URL%%\?*}"
query="${DATABASE_URL#"$base"}"
source_db="${base##*/}"
target_db="${1:-${source_db}_drill}"
restore_url="${base%/*}/${target_db}${query}"
workdir="$(mktemp -d)"
dump="$workdir/${source_db}.dump"

cleanup() {
  rm -rf "$workdir"
  if [ "${KEEP:-0}" != "1" ] && [ "${created:-0}" = "1" ]; then
    psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$target_db\"" >/dev/null
  fi
}
trap cleanup EXIT

# Row counts of every table, then the manifests by status: one line each, comparable with diff.
COUNTS="
SELECT table_name || ' ' || (xpath('/row/c/text()', query_to_xml(
         format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text
  FROM information_schema.tables
 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
 ORDER BY table_name;
SELECT 'manifests status=' || status || ' ' || count(*) FROM manifests_manifest GROUP BY status ORDER BY status;
"

echo "1/5 pg_dump ${source_db}"
pg_dump --format=custom --file="$dump" "$DATABASE_URL"
echo "    $(du -h "$dump" | cut -f1) written"

echo "2/5 restore into the fresh database ${target_db}"
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$target_db\""
created=1
pg_restore --exit-on-error --dbname="$restore_url" "$dump"

echo "3/5 row counts of every table, manifests by status"
psql "$DATABASE_URL" -At -v ON_ERROR_STOP=1 -c "$COUNTS" > "$workdir/source.counts"
psql "$restore_url" -At -v ON_ERROR_STOP=1 -c "$COUNTS" > "$workdir/restored.counts"
if ! diff -u "$workdir/source.counts" "$workdir/restored.counts"; then
  echo "DRILL FAILED: the restored database's row counts differ (above)" >&2
  exit 1
fi
echo "    $(wc -l < "$workdir/source.counts") counts agree"

echo "4/5 rollups (manage.py check_rollups) in the restored database"
DATABASE_URL="$restore_url" "$PYTHON" manage.py check_rollups | tail -1

echo "5/5 audit log (manage.py verify_audit_chain) in both databases"
"$PYTHON" manage.py verify_audit_chain > "$workdir/source.audit"
DATABASE_URL="$restore_url" "$PYTHON" manage.py verify_audit_chain > "$workdir/restored.audit"
if ! diff -u "$workdir/source.audit" "$workdir/restored.audit"; then
  echo "DRILL FAILED: the audit log verifies differently in the restored database (above)" >&2
  exit 1
fi
sed 's/^/    /' "$workdir/restored.audit"
echo "DRILL OK: ${target_db} restored from a dump of ${source_db} agrees with it"
