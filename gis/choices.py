"""The provinces offered by the list filters, from the cache: otherwise every list page reads and builds the 34
rows again. The entry is dropped whenever a province is saved or deleted (signals, gis.apps) and after
load_geography's bulk upsert (which sends no signals)."""

from django.core.cache import cache

CACHE_KEY = "gis:province-choices:v1"
CACHE_SECONDS = 24 * 3600


def province_choices():
    """(code, name) of every province, by code (the order of Province.Meta)."""
    choices = cache.get(CACHE_KEY)
    if choices is None:
        from .models import Province

        choices = [(province.pk, str(province)) for province in Province.objects.all()]
        cache.set(CACHE_KEY, choices, CACHE_SECONDS)
    return choices


def forget_province_choices(**kwargs):
    cache.delete(CACHE_KEY)
