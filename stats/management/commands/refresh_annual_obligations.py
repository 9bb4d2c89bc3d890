from django.core.management.base import BaseCommand, CommandError

from stats.annual import obligations, periods


class Command(BaseCommand):
    help = "Recompute which sites must file the annual hazardous waste report of a year (default: last year)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args, **options):
        year = options["year"] or periods.last_closed_year()
        if not periods.reportable(year):
            raise CommandError(f"{year} is not a year that is over.")
        count = obligations.refresh(year)
        self.stdout.write(f"{year}: {count} sites must report.")
