"""On PostgreSQL, refuse TRUNCATE of the audit tables (events and chain heads), which the row-level triggers of
0002 do not see, and take UPDATE, DELETE and TRUNCATE on them away from the application's role.

The tables' owner can still disable any trigger: production runs the application as a role that does not own the
tables (README, "Production"; settings.HWMS_DB_APP_ROLE, `hwms_app` by default). When that role exists at
migration time, this migration leaves it only what appending needs: SELECT and INSERT on the events, SELECT,
INSERT and UPDATE on the heads (the head trigger lets a head move only one step forward).
"""

from django.conf import settings
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION hwms_refuse_audit_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log cannot be truncated (% of %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_auditevent_no_truncate
    BEFORE TRUNCATE ON accounts_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION hwms_refuse_audit_truncate();
CREATE TRIGGER accounts_audithead_no_truncate
    BEFORE TRUNCATE ON accounts_audithead
    FOR EACH STATEMENT EXECUTE FUNCTION hwms_refuse_audit_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS accounts_audithead_no_truncate ON accounts_audithead;
DROP TRIGGER IF EXISTS accounts_auditevent_no_truncate ON accounts_auditevent;
DROP FUNCTION IF EXISTS hwms_refuse_audit_truncate();
"""


def restrict_app_role_sql(role):
    """What the application's role may not do to the audit tables (also run by hand after creating the role)."""
    quoted = '"' + role.replace('"', '""') + '"'
    return (
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON accounts_auditevent FROM {quoted}; "
        f"REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON accounts_audithead FROM {quoted};"
    )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [settings.HWMS_DB_APP_ROLE])
        role_exists = cursor.fetchone() is not None
    if role_exists:
        schema_editor.execute(restrict_app_role_sql(settings.HWMS_DB_APP_ROLE), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_auditevent_key_id")]

    operations = [migrations.RunPython(forwards, backwards)]
