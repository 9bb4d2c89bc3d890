"""Documents of a manifest: the PDF copy of record, the completion certificate ("copy 4"), and the public
roadside verification page that the QR code printed on both opens (signed, expiring token; no login)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import policy
from common.downloads import private_download

from .. import rules, selectors, verification
from ..models import Manifest, Status
from ..pdf import cached_manifest_pdf, render_certificate_pdf
from .common import manifest_for_action


def _pdf_response(content, filename):
    return private_download(HttpResponse(content, content_type="application/pdf"), filename, inline=True)


@login_required
@require_GET
@never_cache
def manifest_pdf(request, pk):
    manifest = selectors.get_manifest_for_user(request.user, pk)
    return _pdf_response(cached_manifest_pdf(manifest, request), f"{manifest.number}.pdf")


@login_required
@require_GET
@never_cache
def certificate_pdf(request, pk):
    manifest = manifest_for_action(request.user, pk, "certificate")
    if manifest.status != Status.COMPLETED:
        raise Http404(_("The completion certificate exists once the manifest is completed."))
    return _pdf_response(render_certificate_pdf(manifest, request), f"{manifest.number}-certificate.pdf")


def _links_for(user, manifest):
    if not getattr(user, "is_authenticated", False):
        return None, None
    if not selectors.visible_manifests(user).filter(pk=manifest.pk).exists():
        return None, None
    pickup_url = reverse("manifests:pickup", args=[manifest.pk]) if all(rules.may(user, manifest, "pickup")) else None
    return pickup_url, reverse("manifests:detail", args=[manifest.pk])


@require_GET
@never_cache
def verify(request, token):
    """Public page for a roadside check: number, status, parties, lines, vehicle and last event; nothing more."""
    try:
        data = verification.read_token(token)
    except verification.TokenExpired:
        response = render(request, "manifests/verify.html", {"expired": True}, status=410)
        response["X-Robots-Tag"] = "noindex"
        return response
    except verification.TokenInvalid:
        raise Http404(_("This verification code is not valid.")) from None
    # A draft, or a draft cancelled before it was ever sent, stays private to whoever prepared it, even with a
    # token printed on its copy.
    manifest = (
        Manifest.objects.exclude(policy.PRIVATE)
        .select_related("generator", "generator_site__province", "transporter", "facility", "vehicle")
        .filter(pk=data.manifest_id)
        .first()
    )
    if manifest is None:
        raise Http404(_("This verification code is not valid."))
    lines = list(manifest.lines.select_related("waste_code").order_by("position"))
    event = verification.last_event(manifest)
    pickup_url, detail_url = _links_for(request.user, manifest)
    context = {
        "manifest": manifest,
        "lines": lines,
        "last_event": event,
        "last_event_label": verification.event_label(event.action) if event else "",
        "printed_version": data.version,
        "pickup_url": pickup_url,
        "detail_url": detail_url,
    }
    response = render(request, "manifests/verify.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


urlpatterns = [
    path("<id:pk>/pdf/", manifest_pdf, name="pdf"),
    path("<id:pk>/certificate/", certificate_pdf, name="certificate"),
    path("verify/<str:token>/", verify, name="verify"),
]
