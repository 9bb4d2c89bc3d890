"""Roadside verification: the signed, expiring token in the QR code printed on the manifest.

The token carries the manifest id and the version it was printed for, signed with Django's
TimestampSigner (SECRET_KEY, own salt). It is short enough to keep the QR code small and
cannot be forged; it expires settings.HWMS_VERIFY_TOKEN_MAX_AGE_DAYS days after it was printed.

Tokens are issued on the hour: a manifest version printed several times within an hour carries the
same code, so its QR code is identical (and common.documents caches the encoded matrix); in exchange a
token may expire up to an hour before the configured age.
"""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import pgettext_lazy

SALT = "manifests.verification"


class TokenError(Exception):
    """The token cannot be used."""


class TokenInvalid(TokenError):
    """Malformed or tampered with (answer 404: nothing is disclosed)."""


class TokenExpired(TokenError):
    """Authentic but older than the allowed age (answer 410 with a readable page)."""


@dataclass(frozen=True)
class TokenData:
    manifest_id: int
    version: int


ISSUE_STEP_SECONDS = 3600


class _HourlySigner(signing.TimestampSigner):
    def timestamp(self):
        now = int(time.time())
        return signing.b62_encode(now - now % ISSUE_STEP_SECONDS)


def _signer():
    return _HourlySigner(salt=SALT)


def token_max_age():
    return timedelta(days=settings.HWMS_VERIFY_TOKEN_MAX_AGE_DAYS)


def make_token(manifest):
    return _signer().sign(f"{manifest.pk}.{manifest.version}")


def read_token(token, max_age=None):
    """Return TokenData; raise TokenExpired for an authentic but old token, TokenInvalid otherwise."""
    age = token_max_age() if max_age is None else max_age
    try:
        value = _signer().unsign(token or "", max_age=age)
    except signing.SignatureExpired as exc:
        # SignatureExpired is only raised after the signature itself was checked.
        raise TokenExpired(str(exc)) from exc
    except signing.BadSignature as exc:
        raise TokenInvalid(str(exc)) from exc
    try:
        pk, version = (int(part) for part in value.split("."))
    except ValueError as exc:
        raise TokenInvalid("malformed payload") from exc
    return TokenData(manifest_id=pk, version=version)


def verify_path(manifest):
    return reverse("manifests:verify", args=[make_token(manifest)])


def verify_url(manifest, request=None):
    """Absolute URL of the public verification page (SITE_URL; the request's host when SITE_URL is empty)."""
    path = verify_path(manifest)
    site_url = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if site_url:
        return f"{site_url}{path}"
    if request is not None:
        return request.build_absolute_uri(path)
    return path


# Labels of the audit actions written by manifests.services, for the public page and the PDF.
EVENT_LABELS = {
    "created": pgettext_lazy("manifest event", "Created"),
    "draft.saved": pgettext_lazy("manifest event", "Draft saved"),
    "sealed": pgettext_lazy("manifest event", "Finalised for the generator's signature"),
    "signed": pgettext_lazy("manifest event", "Signed by the generator"),
    "cancelled": pgettext_lazy("manifest event", "Cancelled"),
    "refused": pgettext_lazy("manifest event", "Refused by the generator (prepared in its name by another organisation)"),
    "picked_up": pgettext_lazy("manifest event", "Picked up"),
    "delivered": pgettext_lazy("manifest event", "Delivered to the facility"),
    "received": pgettext_lazy("manifest event", "Received by the facility"),
    "rejected": pgettext_lazy("manifest event", "Rejected by the facility"),
    "treated": pgettext_lazy("manifest event", "Treatment recorded"),
    "completed": pgettext_lazy("manifest event", "Completed"),
    "revision.requested": pgettext_lazy("manifest event", "Revision requested"),
    "revision.approved": pgettext_lazy("manifest event", "Revision approved by a party"),
    "revision.refused": pgettext_lazy("manifest event", "Revision refused"),
    "revision.applied": pgettext_lazy("manifest event", "Revision applied (new version)"),
    "overdue.flagged": pgettext_lazy("manifest event", "Flagged overdue"),
}


def event_label(action):
    return EVENT_LABELS.get(action, action)


def last_event(manifest):
    from accounts.models import AuditEvent

    return AuditEvent.objects.filter(chain=manifest.chain).only("action", "created_at").order_by("-seq").first()
