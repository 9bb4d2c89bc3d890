"""Login throttling: django-axes' per username-and-address lockout, plus a limit per address across usernames.

django-axes compares the largest failure count of its lockout parameters with one limit, so listing
`"ip_address"` among AXES_LOCKOUT_PARAMETERS would lock a whole office behind one address after the few failures
allowed to one account. This handler keeps axes' rule (AXES_FAILURE_LIMIT wrong passwords for one username from
one address) and adds a second, higher one: HWMS_LOGIN_ADDRESS_FAILURE_LIMIT wrong passwords from one address,
whatever the usernames, within the same cool-off period — the "password spraying" a per-account limit never sees.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum


def address_failures(request):
    """Failed logins from the request's address within the cool-off period, every username together."""
    address = getattr(request, "axes_ip_address", None)
    if not address:
        return 0
    attempts = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def address_locked(request):
    return address_failures(request) >= settings.HWMS_LOGIN_ADDRESS_FAILURE_LIMIT


class PortalAxesHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None):
        if super().is_locked(request, credentials):
            return True
        if address_locked(request):
            request.hwms_address_locked = True
            return True
        return False

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is not None and not request.axes_locked_out and address_locked(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            request.hwms_address_locked = True
            user_locked_out.send("axes", request=request, username=None, ip_address=request.axes_ip_address)
