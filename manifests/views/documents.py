"""Documents of a manifest: the PDF copy of record, the completion certificate ("copy 4"), and the public
roadside verification page that the QR code printed on both opens (signed, expiring token; no login)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import policy
from accounts.models import Membership

from .. import verification
from ..models import Manifest, Status
from ..pdf import render_certificate_pdf, render_manifest_pdf

Role = Membership.Role
# Roles of the generator or the facility that receive the completion certificate (drivers have their own pages).
CERTIFICATE_ROLES = policy.FOLLOW_ROLES
TRANSPORT_ROLES = policy.TRANSPORT_ROLES
TO_PICK_UP = (Status.SEALED, Status.READY)


def _pdf_response(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


@login_required
@require_GET
@never_cache
def manifest_pdf(request, pk):
    manifest = policy.get_manifest_for_user(request.user, pk)
    return _pdf_response(render_manifest_pdf(manifest, request), f"{manifest.number}.pdf")


def can_download_certificate(user, manifest):
    """Members of the generator or the facility, officials and administrators (visibility checked by the caller)."""
    scope = policy.scope_for(user)
    if scope.is_admin or scope.is_official:
        return True
    return any(policy.role_in(user, org_id) in CERTIFICATE_ROLES for org_id in (manifest.generator_id, manifest.facility_id))


@login_required
@require_GET
@never_cache
def certificate_pdf(request, pk):
    manifest = policy.get_manifest_for_user(request.user, pk)
    if manifest.status != Status.COMPLETED:
        raise Http404(_("The completion certificate exists once the manifest is completed."))
    if not can_download_certificate(request.user, manifest):
        raise PermissionDenied(_("The completion certificate is for the generator, the facility and the authorities."))
    return _pdf_response(render_certificate_pdf(manifest, request), f"{manifest.number}-certificate.pdf")


def _url_or_none(name, pk):
    """Links to pages built elsewhere; absent until they exist."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def _links_for(user, manifest):
    if not getattr(user, "is_authenticated", False):
        return None, None
    if not policy.visible_manifests(user).filter(pk=manifest.pk).exists():
        return None, None
    pickup_url = None
    if manifest.status in TO_PICK_UP and policy.role_in(user, manifest.transporter_id) in TRANSPORT_ROLES:
        pickup_url = _url_or_none("manifests:pickup", manifest.pk)
    return pickup_url, _url_or_none("manifests:detail", manifest.pk)


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
    manifest = (
        Manifest.objects.exclude(status=Status.DRAFT)
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
    path("<int:pk>/pdf/", manifest_pdf, name="pdf"),
    path("<int:pk>/certificate/", certificate_pdf, name="certificate"),
    path("verify/<str:token>/", verify, name="verify"),
]
