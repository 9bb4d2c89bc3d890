"""Verify the audit log, then write a signed checkpoint of every chain head outside the database and e-mail it.

    manage.py audit_checkpoint                 # into settings.HWMS_AUDIT_CHECKPOINT_DIR
    manage.py audit_checkpoint --dir /mnt/x    # elsewhere

Celery beat runs it every night (accounts.tasks.write_audit_checkpoint). Exits with status 1, writing nothing,
when the log does not verify.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.audit import AuditLogBroken, make_checkpoint


class Command(BaseCommand):
    help = "Verify the audit log and write a signed checkpoint of every chain head outside the database."

    def add_arguments(self, parser):
        parser.add_argument("--dir", dest="directory", help="Directory for the checkpoint (default: HWMS_AUDIT_CHECKPOINT_DIR).")

    def handle(self, *args, directory=None, **options):
        try:
            path = make_checkpoint(directory)
        except AuditLogBroken as exc:
            raise CommandError(f"BROKEN: {exc}; no checkpoint written") from exc
        self.stdout.write(self.style.SUCCESS(f"checkpoint written: {path}"))
