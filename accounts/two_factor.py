"""Two-factor sign-in (django-otp): a TOTP authenticator app per user and a set of one-time recovery codes.

Required for officials (a Jurisdiction) and administrators (staff, superusers); offered to enterprise users, who
turn it on from their account page. A session is verified once a code from one of the user's devices was accepted
in it: django-otp's session key (DEVICE_ID_SESSION_KEY) then holds the device, and accounts.middleware lets the
request through without a query.

Wrong codes back off per device (django-otp's throttling: 1, 2, 4, 8… seconds, kept in the database, so a new
password login does not reset it) and count as failed logins for django-axes, which locks the username on the
address like wrong passwords do.
"""

import base64
import time

import segno
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit
from .audit import RequestContext
from .models import Jurisdiction, User

# Session keys: this login must pass the second factor (the user has a device); recovery codes to show once.
PENDING_SESSION_KEY = "hwms_2fa_pending"
NEW_CODES_SESSION_KEY = "hwms_2fa_new_codes"
TOTP_NAME, RECOVERY_NAME = "authenticator", "recovery"


def requires_two_factor(user):
    """Officials and administrators must sign in with a second factor (no query: PortalBackend loads the
    jurisdiction with the user)."""
    if user.is_staff or user.is_superuser:
        return True
    try:
        return user.jurisdiction is not None
    except Jurisdiction.DoesNotExist:
        return False


def is_verified(request):
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


def authenticator(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def must_verify(request):
    """Whether this signed-in session still has to pass the second factor."""
    if is_verified(request):
        return False
    return bool(request.session.get(PENDING_SESSION_KEY)) or requires_two_factor(request.user)


def mark_verified(request, device):
    """The session passed the second factor with `device`: a new session key, the device remembered."""
    request.session.cycle_key()
    otp_login(request, device)
    request.session.pop(PENDING_SESSION_KEY, None)


def record(user, action, request=None, data=None):
    """Append a security event (sign-in, second factor, refusal, download) to the user's audit chain."""
    context = RequestContext.from_request(request) if request is not None else audit.NO_CONTEXT
    with transaction.atomic():
        audit.record(f"user:{user.pk}", action, actor=user, data=data, context=context)


def normalise_code(code):
    return "".join((code or "").split()).replace("-", "").lower()


class Throttled(Exception):
    def __init__(self, until):
        super().__init__(until)
        self.seconds = max(1, int((until - timezone.now()).total_seconds() + 0.999))


def check_code(user, code):
    """The device that accepts `code` (a 6-digit TOTP code or a recovery code, used up), or None.

    Raises Throttled while the device backs off after wrong codes. The device row is locked, so two requests
    cannot spend one code twice.
    """
    code = normalise_code(code)
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=user, confirmed=True):
            allowed, info = device.verify_is_allowed()
            if not allowed:
                raise Throttled(info.get("locked_until") or timezone.now())
            if device.verify_token(code):
                return device
    return None


def record_failed_login(request, username):
    """A wrong password (or a locked-out attempt): in the chain of the account it named, when there is one."""
    user = User._default_manager.filter(username=username).only("pk").first()
    with transaction.atomic():
        audit.record(
            f"user:{user.pk}" if user else "login:unknown-user",
            "login.failed",
            data={"username": username[:150], "locked": bool(getattr(request, "axes_locked_out", False))},
            context=RequestContext.from_request(request),
        )


def count_failure(request, user):
    """A wrong code counts as a failed login for django-axes (username and address)."""
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)


def is_locked_out(request, user):
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


# --- enrolment -------------------------------------------------------------------------------------------


def pending_authenticator(user):
    """The authenticator being set up (unconfirmed), created on first use: the same key until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=TOTP_NAME).first()
    return device or TOTPDevice.objects.create(user=user, confirmed=False, name=TOTP_NAME)


def secret(device):
    """The key in base32 as authenticator apps take it, in groups of four for typing."""
    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device):
    return segno.make(device.config_url, error="m", micro=False).svg_inline(scale=4, border=2)


def new_recovery_codes(user):
    """Replace the user's recovery codes with a new set; returns the codes (shown once, never again)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.HWMS_RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def remaining_recovery_codes(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def confirm_authenticator(user, device, code, request=None):
    """Confirm the authenticator being set up with a code from it; the user's other authenticators are removed
    and a new set of recovery codes made. Returns the codes, or None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
    allowed, info = device.verify_is_allowed()
    if not allowed:
        raise Throttled(info.get("locked_until") or timezone.now())
    if not device.verify_token(normalise_code(code)):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = new_recovery_codes(user)
    record(user, "two_factor.enrolled", request, {"device": device.persistent_id})
    return codes


@transaction.atomic
def regenerate_recovery_codes(user, request=None):
    codes = new_recovery_codes(user)
    record(user, "two_factor.recovery_codes_regenerated", request, {"count": len(codes)})
    return codes


@transaction.atomic
def disable(user, request=None):
    """Remove every device of the user (enterprise users only: the caller checks requires_two_factor)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    record(user, "two_factor.removed", request)


# --- for tests and the demo data ---------------------------------------------------------------------------


def current_code(device, at=None):
    """The code an authenticator app shows now for `device` (the next one when this one was already used)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at if at is not None else time.time()
    if totp.t() <= device.last_t:
        # The step after the last one used; t() counts the device's drift (which django-otp moves when a code of
        # a neighbouring step was accepted), so the time is that step's start less the drift.
        totp.time = device.t0 + (device.last_t + 1 - device.drift) * device.step
    return f"{totp.token():0{device.digits}d}"


def give_authenticator(user):
    """A confirmed authenticator for `user` (created when missing), without the enrolment pages."""
    device = authenticator(user)
    return device or TOTPDevice.objects.create(user=user, confirmed=True, name=TOTP_NAME)
