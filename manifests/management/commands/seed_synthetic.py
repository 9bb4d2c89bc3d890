"""Load synthetic national data on PostgreSQL for benchmarks (manifests.synthetic says what and how).

    manage.py seed_synthetic --manifests 1000000 --years 3 --seed 1
    manage.py seed_synthetic --reset            # remove the synthetic data again
"""

import time

from django.core.management.base import BaseCommand, CommandError

from manifests import synthetic


class Command(BaseCommand):
    help = "Load synthetic organisations, sites, people and manifests (PostgreSQL), deterministic for a seed."

    def add_arguments(self, parser):
        parser.add_argument("--manifests", type=int, default=None, help="How many manifests (default 100,000).")
        parser.add_argument("--years", type=int, default=3)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--force", action="store_true", help="Run even though the database holds real manifests.")
        parser.add_argument("--reset", action="store_true", help="Remove the synthetic data (and load again if --manifests is given).")

    def handle(self, *args, manifests, years, seed, force, reset, **options):
        if reset:
            synthetic.reset()
            self.stdout.write("synthetic data removed")
            if manifests is None:
                return
        manifests = 100_000 if manifests is None else manifests
        if not 1 <= manifests <= 20_000_000 or not 1 <= years <= 20:
            raise CommandError("--manifests must be between 1 and 20,000,000 and --years between 1 and 20.")
        started = time.monotonic()

        def out(message):
            self.stdout.write(f"[{time.monotonic() - started:7.1f} s] {message}")

        try:
            synthetic.seed(manifests, years, seed, out=out, force=force)
        except synthetic.SyntheticError as error:
            raise CommandError(str(error)) from None
        out(self.style.SUCCESS(f"done: {manifests} synthetic manifests over {years} years (seed {seed})"))
