"""Manifest numbers: readable, unique, from a configurable pattern with the year and province code.

One counter row per (province, year), locked while the number is taken, so two manifests numbered at once
never get the same number; the UNIQUE constraint on Manifest.number is the last guard. A number is taken when a
manifest is sealed or signed, in that transaction: a refused or abandoned draft leaves no gap.
"""

import secrets

from django.conf import settings
from django.utils import timezone

from common import sql

from .models import DRAFT_REFERENCE_PREFIX, ManifestCounter


def next_number(province_id, when=None):
    """Take the next number for the province; call inside the transaction that seals or signs the manifest.

    One statement creates the year's counter or moves it on, and keeps its row locked until the commit: call it
    late in the transaction, so that other manifests of the province wait for as short a time as possible."""
    when = when or timezone.localtime()
    last = sql.increment(ManifestCounter, {"province_id": province_id, "year": when.year}, "last", 1)
    return settings.HWMS_MANIFEST_NUMBER_PATTERN.format(province=province_id, year=when.year, seq=last)


def draft_reference():
    """A draft's temporary reference: random, so that drafts never take (or leave gaps in) the official numbers."""
    return f"{DRAFT_REFERENCE_PREFIX}{secrets.token_hex(5).upper()}"
