"""Recompute the access index of the lists and its counters from the manifests (after a restore or a bulk
load that bypassed the services). The portal keeps both up to date by itself at every change."""

from django.core.management.base import BaseCommand
from django.db import transaction

from manifests import access
from manifests.models import AccessCount, ManifestAccess


class Command(BaseCommand):
    help = "Recompute the manifests' access index (ManifestAccess) and its counters (AccessCount)."

    def handle(self, *args, **options):
        with transaction.atomic():
            access.rebuild()
        self.stdout.write(f"{ManifestAccess.objects.count()} access rows, {AccessCount.objects.count()} counters")
