"""Re-compute the hash chain of the audit events and report OK or the first broken link.

    manage.py verify_audit_chain                      # every chain
    manage.py verify_audit_chain --chain manifest:42  # one chain (repeatable)

Exits with status 1 when a chain is broken, so cron or CI can alert on it.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.audit import verify_chains
from accounts.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the hash chains of the audit events; report OK or the first broken link (exit status 1)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--chain",
            action="append",
            dest="chains",
            metavar="CHAIN",
            help="Verify only this chain, e.g. manifest:42 or organisation:7. May be given several times.",
        )

    def handle(self, *args, chains=None, **options):
        checked, problem = verify_chains(chains)
        if problem is not None:
            # CommandError prints "CommandError: BROKEN: ..." on stderr and exits with status 1.
            raise CommandError(f"BROKEN: {problem} ({checked} events verified before it)")
        events = AuditEvent.objects.all()
        if chains is not None:
            events = events.filter(chain__in=chains)
        chain_count = events.values("chain").distinct().count()
        self.stdout.write(self.style.SUCCESS(f"OK: {checked} events in {chain_count} chains verified"))
