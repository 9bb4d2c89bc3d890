"""On PostgreSQL, make the audit log append-only at the database level.

Events: UPDATE and DELETE are refused. Chain heads: DELETE is refused; a new head starts empty (sequence 0);
a head moves only one step forward, onto the event of its chain that carries that sequence number and hash.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION hwms_refuse_audit_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_auditevent_append_only
    BEFORE UPDATE OR DELETE ON accounts_auditevent
    FOR EACH ROW EXECUTE FUNCTION hwms_refuse_audit_change();

CREATE OR REPLACE FUNCTION hwms_check_audit_head() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit chain heads cannot be deleted';
    ELSIF TG_OP = 'INSERT' THEN
        IF NEW.seq <> 0 OR NEW.hash <> '' THEN
            RAISE EXCEPTION 'a new audit chain head starts at sequence 0';
        END IF;
    ELSIF NEW.chain <> OLD.chain OR NEW.seq <> OLD.seq + 1 OR NOT EXISTS (
        SELECT 1 FROM accounts_auditevent e WHERE e.chain = NEW.chain AND e.seq = NEW.seq AND e.hash = NEW.hash
    ) THEN
        RAISE EXCEPTION 'an audit chain head moves one step forward, onto the event just appended';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_audithead_forward_only
    BEFORE INSERT OR UPDATE OR DELETE ON accounts_audithead
    FOR EACH ROW EXECUTE FUNCTION hwms_check_audit_head();
"""

DROP = """
DROP TRIGGER IF EXISTS accounts_audithead_forward_only ON accounts_audithead;
DROP FUNCTION IF EXISTS hwms_check_audit_head();
DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON accounts_auditevent;
DROP FUNCTION IF EXISTS hwms_refuse_audit_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
