"""Load the waste chapters, hazard properties, treatment methods and sample waste codes of `catalog.data`.

Idempotent: rows are matched by their natural keys (chapter/property/method code, version label, version +
waste code), created when missing, updated only where a value differs; a second run writes nothing.
Everything happens in one transaction. The data in `catalog.data` is authoritative for these rows: a manual
edit of a shipped chapter or sample code in the admin is overwritten by the next run (the official list is
imported into its own catalog version, which this command never touches).
"""

from collections import Counter

from django.core.management.base import BaseCommand
from django.db import transaction

from catalog import data as catalog_data
from catalog.models import CatalogVersion, HazardProperty, TreatmentMethod, WasteChapter, WasteCode

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


def upsert(model, lookup, values):
    """update_or_create that saves only what changed; returns (object, CREATED | UPDATED | UNCHANGED)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        return obj, CREATED
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        return obj, UNCHANGED
    for name in changed:
        setattr(obj, name, values[name])
    obj.full_clean()
    obj.save(update_fields=changed)
    return obj, UPDATED


def load_catalog():
    """Load the reference catalogs; returns {model: Counter(created=…, updated=…, unchanged=…)}."""
    counts = {}

    def count(model, outcome):
        counts.setdefault(model, Counter())[outcome] += 1

    chapters = {}
    for code, name_vi, name_en in catalog_data.CHAPTERS:
        chapters[code], outcome = upsert(WasteChapter, {"code": code}, {"name_vi": name_vi, "name_en": name_en})
        count(WasteChapter, outcome)

    properties = {}
    for code, name_vi, name_en in catalog_data.HAZARD_PROPERTIES:
        properties[code], outcome = upsert(HazardProperty, {"code": code}, {"name_vi": name_vi, "name_en": name_en})
        count(HazardProperty, outcome)

    for order, (code, name_vi, name_en) in enumerate(catalog_data.TREATMENT_METHODS, 1):
        _, outcome = upsert(TreatmentMethod, {"code": code}, {"name_vi": name_vi, "name_en": name_en, "order": order})
        count(TreatmentMethod, outcome)

    sample = dict(catalog_data.SAMPLE_VERSION)
    version, outcome = upsert(CatalogVersion, {"label": sample.pop("label")}, sample)
    count(CatalogVersion, outcome)

    for row in catalog_data.SAMPLE_WASTE_CODES:
        row = dict(row)
        code, hazard_codes = row.pop("code"), row.pop("hazard_properties")
        values = {"chapter": chapters[code[:2]], "ec_code": "", "basel_code": "", "verified": False, **row}
        waste_code, outcome = upsert(WasteCode, {"version": version, "code": code}, values)
        wanted = {properties[c] for c in hazard_codes}
        if set(waste_code.hazard_properties.all()) != wanted:
            waste_code.hazard_properties.set(wanted)
            outcome = UPDATED if outcome == UNCHANGED else outcome
        count(WasteCode, outcome)
    return counts


class Command(BaseCommand):
    help = "Load the waste chapters, hazard properties, treatment methods and sample waste codes (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            counts = load_catalog()
        for model, outcomes in counts.items():
            self.stdout.write(
                f"{model._meta.verbose_name_plural}: {outcomes[CREATED]} created, {outcomes[UPDATED]} updated, {outcomes[UNCHANGED]} unchanged"
            )
