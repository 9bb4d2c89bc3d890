"""Pages of two-factor sign-in: the second step after the password, setting up an authenticator app, recovery
codes, and (enterprise users only) turning it off. The rules are in accounts.two_factor."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from . import two_factor
from .forms import ConfirmAuthenticatorForm, ReauthenticateForm, SecondFactorForm


def _next_url(request):
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(view_name, next_url):
    return f"{reverse(view_name)}?{urlencode({'next': next_url})}"


def _locked_out(request):
    """Too many wrong codes (django-axes): signed out, and the login locked like after wrong passwords."""
    from .views import lockout_response

    logout(request)
    request.hwms_second_factor_step = True  # the page says "wrong codes" (django-axes calls lockout_response too)
    return lockout_response(request)


def _wait_message(throttled):
    return ngettext(
        "Too many wrong codes. Wait %(seconds)d second and try again.",
        "Too many wrong codes. Wait %(seconds)d seconds and try again.",
        throttled.seconds,
    ) % {"seconds": throttled.seconds}


WRONG_CODE = gettext_lazy("This code is not right. Check that your phone's clock is correct and type the code shown now.")


def _refuse_code(request, form):
    """A wrong code: recorded, counted for django-axes, shown on the form; the lockout page once locked."""
    request.hwms_second_factor_step = True
    two_factor.record(request.user, "two_factor.failed", request)
    two_factor.count_failure(request, request.user)
    form.add_error("code", WRONG_CODE)
    return _locked_out(request) if two_factor.is_locked_out(request, request.user) else None


@login_required
def second_factor(request):
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    user, next_url = request.user, _next_url(request)
    if two_factor.is_verified(request):
        return redirect(next_url)
    if not two_factor.has_device(user):
        if two_factor.requires_two_factor(user):
            return redirect(_with_next("accounts:two_factor_setup", next_url))
        request.session.pop(two_factor.PENDING_SESSION_KEY, None)
        return redirect(next_url)
    if two_factor.is_locked_out(request, user):
        return _locked_out(request)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.check_code(user, form.cleaned_data["code"])
        except two_factor.Throttled as throttled:
            form.add_error("code", _wait_message(throttled))
        else:
            if device is None:
                locked = _refuse_code(request, form)
                if locked:
                    return locked
            else:
                recovery = isinstance(device, StaticDevice)
                two_factor.mark_verified(request, device)
                two_factor.record(user, "two_factor.verified", request, {"method": "recovery_code" if recovery else "totp"})
                if recovery:
                    left = two_factor.remaining_recovery_codes(user)
                    messages.warning(
                        request,
                        ngettext(
                            "You signed in with a recovery code; %(count)d code is left. Make new ones from your account page.",
                            "You signed in with a recovery code; %(count)d codes are left. Make new ones from your account page.",
                            left,
                        )
                        % {"count": left},
                    )
                return redirect(next_url)
    return render(request, "accounts/two_factor/verify.html", {"form": form, "next": next_url})


@login_required
def setup(request):
    """Set up (or replace) the authenticator app: scan the QR code, confirm with a code, get recovery codes."""
    user, next_url = request.user, _next_url(request)
    replacing = two_factor.has_device(user)
    if replacing and not two_factor.is_verified(request):
        return redirect(_with_next("accounts:two_factor", next_url))
    device = two_factor.pending_authenticator(user)
    form = ConfirmAuthenticatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.confirm_authenticator(user, device, form.cleaned_data["code"], request)
        except two_factor.Throttled as throttled:
            form.add_error("code", _wait_message(throttled))
        else:
            if codes is None:
                form.add_error("code", WRONG_CODE)
            else:
                device.refresh_from_db()
                two_factor.mark_verified(request, device)
                request.session[two_factor.NEW_CODES_SESSION_KEY] = codes
                messages.success(request, _("Two-factor sign-in is on."))
                return redirect(_with_next("accounts:two_factor_codes", next_url))
    context = {
        "form": form,
        "next": next_url,
        "replacing": replacing,
        "required": two_factor.requires_two_factor(user),
        "qr": mark_safe(two_factor.qr_svg(device)),  # noqa: S308 - segno's SVG of our own otpauth URI
        "secret": two_factor.secret(device),
    }
    return render(request, "accounts/two_factor/setup.html", context)


def _reauthenticate(request, form):
    """(True, None) once the password and a current code were typed again; otherwise (False, None) with the
    errors on the form, or (False, the lockout page) when wrong passwords and codes locked the account."""
    user = request.user
    if two_factor.is_locked_out(request, user):
        return False, _locked_out(request)
    if not form.is_valid():
        return False, None
    if not user.check_password(form.cleaned_data["password"]):
        two_factor.count_failure(request, user)
        form.add_error("password", _("Wrong password."))
        return False, (_locked_out(request) if two_factor.is_locked_out(request, user) else None)
    try:
        device = two_factor.check_code(user, form.cleaned_data["code"])
    except two_factor.Throttled as throttled:
        form.add_error("code", _wait_message(throttled))
        return False, None
    if device is None:
        return False, _refuse_code(request, form)
    return True, None


@login_required
def recovery_codes(request):
    """New recovery codes, shown once after they are made; making a new set needs the password and a code."""
    user = request.user
    if not two_factor.has_device(user):
        return redirect("accounts:profile")
    codes = request.session.pop(two_factor.NEW_CODES_SESSION_KEY, None)
    form = ReauthenticateForm(request.POST or None)
    if request.method == "POST":
        confirmed, locked = _reauthenticate(request, form)
        if locked:
            return locked
        if confirmed:
            request.session[two_factor.NEW_CODES_SESSION_KEY] = two_factor.regenerate_recovery_codes(user, request)
            messages.success(request, _("New recovery codes made; the old ones no longer work."))
            return redirect("accounts:two_factor_codes")
    context = {
        "codes": codes,
        "form": form,
        "remaining": two_factor.remaining_recovery_codes(user),
        "next": _next_url(request),
    }
    return render(request, "accounts/two_factor/recovery_codes.html", context)


@login_required
def disable(request):
    """Turn two-factor sign-in off: for enterprise users only (officials and administrators must keep it)."""
    user = request.user
    if two_factor.requires_two_factor(user):
        raise PermissionDenied(_("Two-factor sign-in is required for officials and administrators."))
    if not two_factor.has_device(user):
        return redirect("accounts:profile")
    form = ReauthenticateForm(request.POST or None)
    if request.method == "POST":
        confirmed, locked = _reauthenticate(request, form)
        if locked:
            return locked
        if confirmed:
            two_factor.disable(user, request)
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("accounts:profile")
    return render(request, "accounts/two_factor/disable.html", {"form": form})
