"""The user's notifications in the portal (the same ones are e-mailed by Celery)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from common.pagination import keyset_page

from .. import notifications, selectors
from .common import cursors


@login_required
@require_GET
def notification_list(request):
    page = keyset_page(selectors.notifications_for(request.user), **cursors(request))
    return render(request, "manifests/notifications.html", {"page": page, "unread": notifications.unread_count(request.user)})


@login_required
@require_POST
def mark_all_read(request):
    count = notifications.mark_all_read(request.user)
    if count:
        messages.success(
            request,
            ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", count) % {"count": count},
        )
    else:
        messages.info(request, _("There was no unread notification."))
    return redirect("manifests:notifications")


urlpatterns = [
    path("notifications/", notification_list, name="notifications"),
    path("notifications/read/", mark_all_read, name="notifications_read"),
]
