"""Finding 4 of the security test: TRUNCATE emptied the audit table past the append-only trigger (PostgreSQL).

A statement-level trigger now refuses it on the events and the chain heads, for every role, and the application
runs as a role that does not own the tables (README, "Production"; docker-compose.yml): that role may append to
the log and nothing else — it can neither UPDATE, DELETE nor TRUNCATE audit rows, nor switch a trigger off.
"""

import importlib

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from accounts import audit
from accounts.models import AuditEvent, AuditHead
from tests.manifests.test_audit_chain import raw

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="the audit tables' triggers and roles exist on PostgreSQL only (SQLite has neither TRUNCATE nor roles)",
    ),
]

restrict_app_role_sql = importlib.import_module("accounts.migrations.0005_audit_refuse_truncate").restrict_app_role_sql


def refused(sql, match):
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        raw(sql)


def test_truncate_of_the_audit_tables_is_refused_even_for_their_owner(chain):
    chain.draft()
    count = AuditEvent.objects.count()
    raw("SET CONSTRAINTS ALL IMMEDIATE")  # the foreign keys' checks of this transaction's rows would block TRUNCATE
    refused("TRUNCATE accounts_auditevent", "the audit log cannot be truncated")
    refused("TRUNCATE accounts_audithead", "the audit log cannot be truncated")
    # Truncating the users reaches the events through their foreign key with CASCADE: refused as well.
    refused("TRUNCATE accounts_user CASCADE", "the audit log cannot be truncated")
    assert AuditEvent.objects.count() == count and AuditHead.objects.exists()


@pytest.fixture
def app_role(db):
    """A role granted what production's hwms_app is granted (the tables' default privileges, then the revocation of
    migration 0005). Roles belong to the whole server: the name is the test database's, and the role is created in
    the test's transaction, so the rollback at the end removes it."""
    role = f"{connection.settings_dict['NAME']}_app"[:63]
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        cursor.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        cursor.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"')
        cursor.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
        cursor.execute(restrict_app_role_sql(role))
        cursor.execute(f'SET ROLE "{role}"')
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def test_the_application_role_appends_to_the_log_and_can_do_nothing_else_to_it(chain, app_role):
    m = chain.draft()  # the application's work, as the application's role: events appended, heads moved
    with transaction.atomic():
        audit.record(m.chain, "noted", data={"by": "app role"})
    event = AuditEvent.objects.filter(chain=m.chain).first()
    denied = "permission denied"
    refused(f"UPDATE accounts_auditevent SET action = 'forged' WHERE id = {event.pk}", denied)
    refused(f"DELETE FROM accounts_auditevent WHERE id = {event.pk}", denied)
    refused("TRUNCATE accounts_auditevent", denied)
    refused(f"DELETE FROM accounts_audithead WHERE chain = '{m.chain}'", denied)
    refused("TRUNCATE accounts_audithead", denied)
    # The ways around triggers: only the owner may disable one, only a superuser may switch them all off.
    refused("ALTER TABLE accounts_auditevent DISABLE TRIGGER ALL", "must be owner")
    refused("SET session_replication_role = replica", "permission denied")
    assert list(AuditEvent.objects.filter(chain=m.chain).values_list("action", flat=True)) == ["created", "noted"]
    assert audit.verify_chains([m.chain]) == (2, None)
