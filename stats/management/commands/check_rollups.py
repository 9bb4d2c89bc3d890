"""Compare every rollup table with the GROUP BY over the raw manifests; exit 1 on any difference.

    manage.py check_rollups
"""

from django.core.management.base import BaseCommand, CommandError

from stats import rollups


class Command(BaseCommand):
    help = "Check the statistics' rollup tables against the raw manifests (exit status 1 on a difference)."

    def handle(self, *args, **options):
        differences = rollups.differences()
        for name, rows in differences.items():
            for key, stored, expected in rows:
                self.stdout.write(f"{name} {key}: stored {stored}, raw rows give {expected}")
        if differences:
            raise CommandError(f"rollups differ from the raw rows in: {', '.join(differences)}")
        self.stdout.write("rollups agree with the raw rows")
