"""Load the administrative geography: 34 provinces and 3,321 wards (vietnam-provinces) and the 63 pre-2025 provinces.

Idempotent: rows are compared with what is already stored and only new or changed rows are written (one upsert per
table, `bulk_create(update_conflicts=True)` on the code primary key, which SQLite and PostgreSQL both support).
Rows that the data no longer lists are reported, never deleted: sites and manifests point at them (PROTECT).
Everything runs in one transaction.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from vietnam_provinces import Province as VPProvince
from vietnam_provinces import Ward as VPWard

from gis.choices import forget_province_choices
from gis.models import LegacyProvince, Province, Ward

LEGACY_FIXTURE = Path(__file__).resolve().parents[2] / "data" / "legacy_provinces.json"


def province_rows():
    return [
        {"code": int(p.code), "name": p.name, "codename": p.codename, "division_type": p.division_type.value}
        for p in VPProvince.iter_all()
    ]


def ward_rows():
    return [
        {
            "code": int(w.code),
            "name": w.name,
            "codename": w.codename,
            "division_type": w.division_type.value,
            "province_id": int(w.province_code),
        }
        for w in VPWard.iter_all()
    ]


def legacy_rows(path=LEGACY_FIXTURE):
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return [
        {"code": int(r["code"]), "name": r["name"], "codename": r["codename"], "province_id": int(r["province"])}
        for r in document["provinces"]
    ]


def sync(model, rows):
    """Upsert `rows` (dicts keyed by field attname, "code" first) into `model`; return (created, updated, stale)."""
    fields = [f for f in rows[0] if f != "code"]
    stored = {values[0]: values[1:] for values in model.objects.values_list("code", *fields)}
    created, changed = [], []
    for row in rows:
        current = stored.get(row["code"])
        if current is None:
            created.append(row)
        elif current != tuple(row[f] for f in fields):
            changed.append(row)
    if created or changed:
        model.objects.bulk_create(
            [model(**row) for row in created + changed],
            batch_size=500,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=[f.removesuffix("_id") for f in fields],
        )
    stale = sorted(set(stored) - {row["code"] for row in rows})
    return len(created), len(changed), stale


class Command(BaseCommand):
    help = "Nạp 34 tỉnh/thành, 3.321 xã/phường và 63 tỉnh cũ (trước 1/7/2025) kèm ánh xạ sang tỉnh mới."

    def handle(self, *args, **options):
        tables = [
            ("provinces", Province, province_rows()),
            ("wards", Ward, ward_rows()),
            ("legacy provinces", LegacyProvince, legacy_rows()),
        ]
        report = []
        with transaction.atomic():
            for label, model, rows in tables:  # provinces first: wards and legacy provinces point at them
                created, updated, stale = sync(model, rows)
                report.append((label, len(rows), created, updated, stale))
        forget_province_choices()  # after the commit: bulk upserts send no signals
        counts = ", ".join(f"{total} {label}" for label, total, *_ in report)
        created = sum(r[2] for r in report)
        updated = sum(r[3] for r in report)
        self.stdout.write(f"{counts} ({created} created, {updated} updated)")
        for label, _total, _c, _u, stale in report:
            if stale:
                self.stderr.write(
                    f"{len(stale)} {label} in the database are not in the data (kept, not deleted): "
                    + ", ".join(map(str, stale[:20]))
                    + (" …" if len(stale) > 20 else "")
                )
