"""Manifest numbers: readable, unique, from a configurable pattern with the year and province code.

One counter row per (province, year), locked while the number is taken, so two manifests numbered at once
never get the same number; the UNIQUE constraint on Manifest.number is the last guard. A number is taken when a
manifest is sealed or signed, in that transaction: a refused or abandoned draft leaves no gap.
"""

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import DRAFT_REFERENCE_PREFIX, ManifestCounter


def _counter(province_id, year):
    try:
        with transaction.atomic():
            return ManifestCounter.objects.select_for_update().get(province_id=province_id, year=year)
    except ManifestCounter.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            ManifestCounter.objects.create(province_id=province_id, year=year, last=0)
    except IntegrityError:
        pass  # another request created it first; lock theirs
    return ManifestCounter.objects.select_for_update().get(province_id=province_id, year=year)


def next_number(province_id, when=None):
    """Take the next number for the province; call inside the transaction that seals or signs the manifest."""
    when = when or timezone.localtime()
    counter = _counter(province_id, when.year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return settings.HWMS_MANIFEST_NUMBER_PATTERN.format(province=province_id, year=when.year, seq=counter.last)


def draft_reference():
    """A draft's temporary reference: random, so that drafts never take (or leave gaps in) the official numbers."""
    return f"{DRAFT_REFERENCE_PREFIX}{secrets.token_hex(5).upper()}"
