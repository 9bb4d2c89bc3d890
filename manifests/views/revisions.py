"""Revisions of a completed manifest: a party proposes new values with a reason, the other parties approve
or refuse; once all agree the proposal becomes the next version (manifests.services). Nothing signed is
edited in place."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import rules, selectors, services
from ..forms import DecisionForm, RevisionForm
from ..models import Revision
from .common import TransitionError, apply_transition_error, detail_url, guard, request_context


@login_required
@require_http_methods(["GET", "POST"])
def revision_create(request, pk):
    manifest = selectors.get_manifest_for_user(request.user, pk)
    refused = guard(request, manifest, "request_revision")
    if refused:
        return refused
    if manifest.revisions.filter(state=Revision.State.PENDING).exists():
        messages.error(request, _("A revision of this manifest is already awaiting approval."))
        return redirect(detail_url(manifest))
    lines = selectors.manifest_lines(manifest)
    form = RevisionForm(request.POST if request.method == "POST" else None, manifest=manifest, lines=lines)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            form.add_error(None, _("Propose at least one changed value."))
        else:
            try:
                services.request_revision(
                    request.user, manifest, changes=changes, comment=form.cleaned_data["comment"], context=request_context(request)
                )
            except TransitionError as error:
                apply_transition_error(form, error)
            else:
                messages.success(request, _("Revision proposed. The other parties are asked to approve it."))
                return redirect(detail_url(manifest))
    return render(request, "manifests/revision_form.html", {"manifest": manifest, "lines": lines, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def revision_decide(request, revision_pk):
    revision = get_object_or_404(Revision.objects.filter(manifest__in=selectors.visible_manifests(request.user)), pk=revision_pk)
    manifest = selectors.get_manifest_for_user(request.user, revision.manifest_id)
    deciding_org = selectors.deciding_organisation(request.user, revision, manifest)
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if revision.state != Revision.State.PENDING:
            messages.error(request, _("This revision has already been decided."))
            return redirect(detail_url(manifest))
        if deciding_org is None:
            raise PermissionDenied(rules.RULES["decide_revision"].refusal)
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            try:
                decided = services.decide_revision(
                    request.user, revision, approve=approve, comment=form.cleaned_data["comment"], context=request_context(request)
                )
            except TransitionError as error:
                apply_transition_error(form, error)
            else:
                if decided.state == Revision.State.APPROVED:
                    manifest.refresh_from_db(fields=["version"])
                    text = _("Revision approved by every party: manifest %(number)s is now at version %(version)s.")
                elif decided.state == Revision.State.REFUSED:
                    text = _("You refused the revision; manifest %(number)s stays at version %(version)s.")
                else:
                    text = _("Your approval is recorded; the revision waits for the other parties.")
                messages.success(request, text % {"number": manifest.number, "version": manifest.version})
                return redirect(detail_url(manifest))
    context = {
        "manifest": manifest,
        "revision": revision,
        "changes": selectors.revision_changes(revision, selectors.manifest_lines(manifest)),
        "deciding_org": deciding_org,
        "decision_form": form,
    }
    return render(request, "manifests/revision_decide.html", context)


urlpatterns = [
    path("<id:pk>/revisions/new/", revision_create, name="revision_create"),
    path("revisions/<id:revision_pk>/decide/", revision_decide, name="revision_decide"),
]
