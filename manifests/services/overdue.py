"""Overdue manifests: flagged when not completed some days after pickup (the periodic task)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import access, notifications
from ..models import Manifest, Status
from ._shared import _lock, _record

OPEN_AFTER_PICKUP = (Status.IN_TRANSIT, Status.DELIVERED, Status.RECEIVED)


def flag_overdue(now=None):
    """Flag manifests not completed N days (settings.HWMS_OVERDUE_DAYS) after pickup; safe to run twice."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.HWMS_OVERDUE_DAYS)
    flagged = 0
    candidates = Manifest.objects.filter(status__in=OPEN_AFTER_PICKUP, picked_up_at__lt=cutoff, overdue_since__isnull=True)
    for manifest_id in candidates.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            manifest = _lock(Manifest(pk=manifest_id))
            if manifest.overdue_since is not None or manifest.status not in OPEN_AFTER_PICKUP:
                continue
            manifest.overdue_since = now
            manifest.save(update_fields=["overdue_since", "updated_at"])
            access.sync(manifest)
            _record(manifest, "overdue.flagged", None, None, "system", {"days": settings.HWMS_OVERDUE_DAYS})
            notifications.notify(manifest, notifications.Kind.OVERDUE, [manifest.generator_id, manifest.facility_id], officials=True)
            flagged += 1
    return flagged
