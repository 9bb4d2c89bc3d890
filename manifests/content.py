"""The canonical content of a manifest: what is signed, hashed, snapshotted and printed."""

import hashlib
import json


def _d(value):
    return None if value is None else str(value)


def manifest_content(manifest):
    """Plain, JSON-ready dict of everything a signature covers (parties, plan, lines, later steps)."""
    lines = []
    prefetched = "lines" in getattr(manifest, "_prefetched_objects_cache", {})
    rows = manifest.lines.all() if prefetched else manifest.lines.select_related("waste_code", "received_waste_code", "treatment_method", "planned_method")
    for line in rows:
        lines.append(
            {
                "position": line.position,
                "waste_code": line.waste_code.code,
                "description": line.description,
                "physical_state": line.physical_state,
                "packaging_type": line.packaging_type,
                "packaging_count": line.packaging_count,
                "quantity_kg": _d(line.quantity_kg),
                "planned_method": line.planned_method.code if line.planned_method_id else None,
                "planned_method_note": line.planned_method_note,
                "pickup_quantity_kg": _d(line.pickup_quantity_kg),
                "received_quantity_kg": _d(line.received_quantity_kg),
                "received_waste_code": line.received_waste_code.code if line.received_waste_code_id else None,
                "discrepancy": line.discrepancy,
                "discrepancy_comment": line.discrepancy_comment,
                "rejected": line.rejected,
                "rejection_reason": line.rejection_reason,
                "treatment_method": line.treatment_method.code if line.treatment_method_id else None,
                "treatment_note": line.treatment_note,
                "pickup_discrepancy": line.pickup_discrepancy,
                "treated_on": _d(line.treated_on),
            }
        )
    return {
        "number": manifest.number,
        "version": manifest.version,
        "generator": {"tax_code": manifest.generator.tax_code, "name": manifest.generator.name, "site": manifest.generator_site_id},
        "facility": {"tax_code": manifest.facility.tax_code, "name": manifest.facility.name, "site": manifest.facility_site_id},
        "permit": manifest.permit.number if manifest.permit_id else None,
        "origin": {"number": manifest.origin.number, "kind": manifest.origin_kind} if manifest.origin_id else None,
        "transporter": {"tax_code": manifest.transporter.tax_code, "name": manifest.transporter.name},
        "planned_pickup_date": _d(manifest.planned_pickup_date),
        "vehicle": manifest.vehicle.plate if manifest.vehicle_id else None,
        "lines": lines,
    }


def content_hash(content):
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
