"""Officials' lists: discrepancies, rejections and overdue manifests in their jurisdiction. Everyone else
sees the same lists over the manifests they may read (their own organisations')."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import selectors
from .common import cursors


@login_required
@require_GET
def oversight(request, kind):
    if kind not in selectors.OVERSIGHT_KINDS:
        raise Http404(_("There is no such list."))
    page = selectors.manifest_page(selectors.oversight_rows(request.user, kind), province=True, **cursors(request))
    counts = selectors.oversight_counts(request.user)
    tabs = [(name, label, counts[name]) for name, label in selectors.OVERSIGHT_KINDS.items()]
    context = {"kind": kind, "title": selectors.OVERSIGHT_KINDS[kind], "tabs": tabs, "page": page}
    return render(request, "manifests/oversight.html", context)


urlpatterns = [
    path("oversight/<str:kind>/", oversight, name="oversight"),
]
