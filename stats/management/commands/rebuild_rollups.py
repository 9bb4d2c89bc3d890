"""Rebuild every rollup table from the raw manifests (stats.rollups.rebuild).

    manage.py rebuild_rollups [--async]
"""

import time

from django.core.management.base import BaseCommand

from stats import rollups
from stats.tasks import rebuild_rollups


class Command(BaseCommand):
    help = "Rebuild the statistics' rollup tables from the raw manifests."

    def add_arguments(self, parser):
        parser.add_argument("--async", dest="run_async", action="store_true", help="Enqueue the rebuild for a Celery worker.")

    def handle(self, *args, run_async=False, **options):
        if run_async:
            rebuild_rollups.delay()
            self.stdout.write("rebuild enqueued")
            return
        started = time.monotonic()
        for name, rows in rollups.rebuild().items():
            self.stdout.write(f"{name}: {rows} rows")
        self.stdout.write(f"rebuilt in {time.monotonic() - started:.1f} s")
