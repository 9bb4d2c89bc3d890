from .catalog import CatalogVersion, HazardProperty, PhysicalState, TreatmentMethod, WasteChapter, WasteCode
from .manifest import (
    IdempotencyRecord,
    Manifest,
    ManifestCounter,
    ManifestLine,
    ManifestSnapshot,
    Notification,
    Packaging,
    Revision,
    RevisionDecision,
    SignatureCode,
    Status,
)

__all__ = [
    "CatalogVersion",
    "HazardProperty",
    "IdempotencyRecord",
    "Manifest",
    "ManifestCounter",
    "ManifestLine",
    "ManifestSnapshot",
    "Notification",
    "Packaging",
    "PhysicalState",
    "Revision",
    "RevisionDecision",
    "SignatureCode",
    "Status",
    "TreatmentMethod",
    "WasteChapter",
    "WasteCode",
]
