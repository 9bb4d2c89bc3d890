"""Search of waste codes by code or by words of the name (see catalog.text for how text is folded)."""

from django.db.models import Q

from .codes import waste_code_prefixes
from .models import WasteCode
from .text import fold


def waste_code_q(query, path=""):
    """Q over WasteCode (or a relation reaching it by `path`, e.g. 'waste_code__') for a code or name query."""
    words = fold(query).split()
    if not words:
        return Q()
    q = Q()
    for prefix in waste_code_prefixes(query):
        q |= Q(**{f"{path}code__startswith": prefix})
    by_name = Q()
    for word in words:
        by_name &= Q(**{f"{path}search_text__contains": word})
    return q | by_name


def search_waste_codes(query, limit=20):
    """Codes of the current catalog version matching a code prefix or every word of the query, by code."""
    codes = WasteCode.objects.for_manifest().order_by("code")
    return codes.filter(waste_code_q(query))[:limit]
