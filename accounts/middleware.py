"""Session security on every request: idle and absolute time limits, two-factor enforcement, and the audit
records of refused requests and private downloads. No query on an ordinary request: everything it needs is in
the session and on the user PortalBackend loaded."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.deprecation import MiddlewareMixin
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import two_factor

STARTED_SESSION_KEY = "hwms_signed_in_at"
SEEN_SESSION_KEY = "hwms_seen_at"
# The last-seen time is written at most this often, so a busy page does not save its session on every request.
SEEN_RESOLUTION_SECONDS = 60
# Reachable while the second factor is pending (the pages of the step itself, logging out, the language).
SECOND_FACTOR_VIEWS = frozenset(
    {"accounts:login", "accounts:logout", "accounts:two_factor", "accounts:two_factor_setup", "set_language"}
)


def start_session(request):
    """Called at sign-in: the absolute and idle limits count from now."""
    now = int(time.time())
    request.session[STARTED_SESSION_KEY] = now
    request.session[SEEN_SESSION_KEY] = now


@receiver(user_logged_in, dispatch_uid="hwms_start_session")
def _start_session_on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        start_session(request)


def _redirect(request, url):
    """A redirect; for an htmx request, one the whole page follows."""
    if request.headers.get("HX-Request"):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)


def _expired(session, now):
    started, seen = session.get(STARTED_SESSION_KEY), session.get(SEEN_SESSION_KEY)
    if started is not None and now - started > settings.HWMS_SESSION_MAX_HOURS * 3600:
        return "absolute"
    if seen is not None and now - seen > settings.HWMS_SESSION_IDLE_MINUTES * 60:
        return "idle"
    return None


class SessionSecurityMiddleware(MiddlewareMixin):
    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        session, now = request.session, int(time.time())
        reason = _expired(session, now)
        if reason:
            two_factor.record(user, "session.expired", request, {"reason": reason})
            logout(request)
            if reason == "idle":
                message = _("You were signed out after %(minutes)s minutes without activity. Please sign in again.") % {
                    "minutes": settings.HWMS_SESSION_IDLE_MINUTES
                }
            else:
                message = _("Your session has ended (%(hours)s hours after signing in). Please sign in again.") % {
                    "hours": settings.HWMS_SESSION_MAX_HOURS
                }
            messages.info(request, message)
            return _redirect(request, redirect_to_login(request.get_full_path())["Location"])
        if session.get(STARTED_SESSION_KEY) is None:
            session[STARTED_SESSION_KEY] = now
        if now - session.get(SEEN_SESSION_KEY, 0) >= SEEN_RESOLUTION_SECONDS:
            session[SEEN_SESSION_KEY] = now
        if not two_factor.must_verify(request):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in SECOND_FACTOR_VIEWS:
            request.second_factor_pending = True  # base.html shows no menu: nothing else opens yet
            return None
        url = resolve_url("accounts:two_factor") + "?" + urlencode({"next": request.get_full_path()})
        return _redirect(request, url)

    def process_exception(self, request, exception):
        # A view refused the object (outside the user's scope: 404) or the action (403): recorded once, in
        # process_response, whatever raised it.
        if isinstance(exception, Http404):
            request._hwms_refused = 404
        elif isinstance(exception, PermissionDenied):
            request._hwms_refused = 403
        return None

    def process_response(self, request, response):
        refused = getattr(request, "_hwms_refused", None) or (403 if response.status_code == 403 else None)
        # Marked by common.downloads.private_download; any other attachment (a file streamed by a view) counts too.
        filename = getattr(response, "hwms_private_download", None) or response.get("Content-Disposition")
        if not (refused or filename):
            return response
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        if refused:
            two_factor.record(
                user, "access.refused", request, {"status": refused, "method": request.method, "path": request.path[:300]}
            )
        if filename and 200 <= response.status_code < 300:
            two_factor.record(
                user, "download", request, {"file": filename, "path": request.path[:300], "query": request.GET.urlencode()[:300]}
            )
        return response
