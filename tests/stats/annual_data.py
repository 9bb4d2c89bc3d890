"""Manifests of past years written straight into the tables (the annual report only reads them): each at the
status, times and quantities a test needs, consistent with the manifests' database constraints."""

import datetime as dt
import itertools
import zoneinfo
from decimal import Decimal

from catalog.models import PhysicalState
from manifests.models import FollowUp, Manifest, ManifestLine, Packaging, Status

VN = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
_numbers = itertools.count(1)


def local(year, month, day, hour=10, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN)


def line(code, quantity, *, pickup=None, received=None, rejected=False, planned=None, method=None, treated_on=None):
    return {
        "waste_code": code,
        "quantity_kg": Decimal(quantity),
        "pickup_quantity_kg": None if pickup is None else Decimal(pickup),
        "received_quantity_kg": None if received is None else Decimal(received),
        "rejected": rejected,
        "rejection_reason": "Bao bì rò rỉ" if rejected else "",
        "planned_method": planned,
        "treatment_method": method,
        "treated_on": treated_on,
    }


def manifest(w, picked_up_at, lines, *, status=Status.COMPLETED, site=None, facility_site=None, permit=None, received_at=None, origin=None, origin_kind=""):
    """A manifest of `site` (Alpha Hà Nội) to `facility_site` (Omega) picked up at `picked_up_at` (None: never)."""
    site = site or w.alpha_hn
    facility_site = facility_site or w.omega_site
    if permit is None and origin_kind != FollowUp.RETURN:
        permit = w.permit
    handed_over = picked_up_at is not None
    if received_at is None and handed_over and status in (Status.RECEIVED, Status.COMPLETED, Status.REJECTED):
        received_at = picked_up_at + dt.timedelta(days=1)
    m = Manifest.objects.create(
        number=f"T-{next(_numbers):06d}",
        status=status,
        generator=site.organisation,
        generator_site=site,
        facility=facility_site.organisation,
        facility_site=facility_site,
        permit=permit,
        transporter=w.omega,
        prepared_by=site.organisation,
        province=site.province,
        facility_province=facility_site.province,
        planned_pickup_date=(picked_up_at or local(2025, 1, 1)).date(),
        created_by=w.alice,
        generator_signed_at=picked_up_at,
        generator_signed_by=w.alice if handed_over else None,
        picked_up_at=picked_up_at,
        vehicle=w.truck if handed_over else None,
        received_at=received_at,
        completed_at=received_at if status == Status.COMPLETED else None,
        rejection_reason="Bao bì rò rỉ" if status == Status.REJECTED else "",
        cancelled_at=local(2025, 1, 2) if status == Status.CANCELLED else None,
        origin=origin,
        origin_kind=origin_kind,
    )
    ManifestLine.objects.bulk_create(
        [
            ManifestLine(
                manifest=m,
                position=position,
                description="Chất thải",
                physical_state=PhysicalState.LIQUID,
                packaging_type=Packaging.DRUM,
                packaging_count=1,
                **data,
            )
            for position, data in enumerate(lines, start=1)
        ]
    )
    return m
