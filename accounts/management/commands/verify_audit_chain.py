"""Re-compute the keyed hash chains of the audit events, compare them with the latest signed checkpoint, and
report OK or the first problem.

    manage.py verify_audit_chain                      # every chain, against the latest checkpoint
    manage.py verify_audit_chain --chain manifest:42  # one chain (repeatable)
    manage.py verify_audit_chain --all-checkpoints    # against every checkpoint in HWMS_AUDIT_CHECKPOINT_DIR
    manage.py verify_audit_chain --checkpoint FILE    # against this checkpoint summary (e.g. an e-mailed copy)

Exits with status 1 when a chain is broken, so cron or CI can alert on it.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.audit import latest_checkpoints, verify_chains
from accounts.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the hash chains of the audit events and the checkpoints; report OK or the first problem (exit status 1)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--chain",
            action="append",
            dest="chains",
            metavar="CHAIN",
            help="Verify only this chain, e.g. manifest:42 or organisation:7. May be given several times.",
        )
        parser.add_argument(
            "--checkpoint", action="append", dest="checkpoints", metavar="FILE", help="Compare with this checkpoint summary (.json)."
        )
        parser.add_argument("--all-checkpoints", action="store_true", help="Compare with every checkpoint, not only the latest.")

    def handle(self, *args, chains=None, checkpoints=None, all_checkpoints=False, **options):
        if checkpoints:
            checkpoints = [Path(path) for path in checkpoints]
        else:
            checkpoints = latest_checkpoints(count=None if all_checkpoints else 1)
        checked, problem = verify_chains(chains, checkpoints)
        if problem is not None:
            # CommandError prints "CommandError: BROKEN: ..." on stderr and exits with status 1.
            raise CommandError(f"BROKEN: {problem} ({checked} events verified before it)")
        events = AuditEvent.objects.all()
        if chains is not None:
            events = events.filter(chain__in=chains)
        chain_count = events.values("chain").distinct().count()
        self.stdout.write(self.style.SUCCESS(f"OK: {checked} events in {chain_count} chains verified"))
        if checkpoints:
            self.stdout.write(f"and they match the checkpoint {checkpoints[-1].name}" + (f" and {len(checkpoints) - 1} older" if len(checkpoints) > 1 else ""))
        else:
            self.stderr.write(
                "warning: no checkpoint to compare with: the last events of a chain deleted together with its head, "
                "or a whole chain deleted with its head, would go unnoticed (manage.py audit_checkpoint)"
            )
