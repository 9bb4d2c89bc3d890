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
    "IdempotencyRecord",
    "Manifest",
    "ManifestCounter",
    "ManifestLine",
    "ManifestSnapshot",
    "Notification",
    "Packaging",
    "Revision",
    "RevisionDecision",
    "SignatureCode",
    "Status",
]
