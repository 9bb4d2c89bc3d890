"""Project-level pages. The home page composes the summaries each app offers for the user's role; the apps
below do not know about each other's summaries."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts import selectors as account_selectors
from manifests import selectors as manifest_selectors


@login_required
@require_GET
def home(request):
    if account_selectors.drives_only(request.user):
        return redirect("manifests:driver_list")
    context = account_selectors.home_summary(request.user)
    if context["memberships"] or context.get("official"):
        context["manifest_summary"] = manifest_selectors.home_summary(request.user)
    return render(request, "home.html", context)
