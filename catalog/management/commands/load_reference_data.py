"""Load every national reference list: geography (gis) then the waste catalog (catalog). Idempotent."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load provinces, wards, pre-2025 provinces, waste chapters and codes, hazard properties, treatment methods."

    def handle(self, *args, **options):
        call_command("load_geography", stdout=self.stdout, stderr=self.stderr)
        call_command("load_catalog", stdout=self.stdout, stderr=self.stderr)
