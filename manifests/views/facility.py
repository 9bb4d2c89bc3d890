"""Treatment facility pages: what is coming, receipt (quantities, codes, discrepancies, rejections) and
treatment. The rules (tolerance, permit, roles, statuses) are in manifests.services."""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts import policy
from accounts.models import Membership
from common.pagination import capped_count

from .. import selectors, services
from ..forms_transport import ReceiveForm, RefuseForm, TreatForm
from ..models import Status
from .common import TransitionError, apply_transition_error, cursors, detail_url, manifest_for_action, request_context

Role = Membership.Role
READ_ROLES = policy.FOLLOW_ROLES
COUNT_CAP = 1_000
COMING = (Status.READY, Status.IN_TRANSIT, Status.DELIVERED)
PENDING = (Status.RECEIVED,)
RECEIVABLE = (Status.IN_TRANSIT, Status.DELIVERED)


def facility_sites(user, roles=READ_ROLES):
    """The treatment facility sites the user works at (drivers excluded: they have their own pages)."""
    return policy.actable_sites(user, roles=roles).filter(organisation__is_facility=True)


@login_required
@require_GET
def incoming(request):
    """What is coming to the user's facility sites and what waits for treatment, newest first, a keyset page
    at a time; the figures per status are capped counts. Each list and count walks one partial index of the
    manifests (Manifest.Meta): the page's statuses are all past the handover, read by the facility's members."""
    sites = list(facility_sites(request.user))
    manifests = selectors.incoming_manifests(sites)
    show = request.GET.get("show")
    show = show if show in ("coming", "pending") else "coming"
    counts = {status: capped_count(manifests.filter(status=status), COUNT_CAP) for status in COMING + PENDING}
    page = selectors.manifest_page(
        manifests.filter(status__in=COMING if show == "coming" else PENDING), id_field="id", **cursors(request)
    )
    selectors.load_for_transport(page.items)
    selectors.load_waste_summaries(page.items)
    context = {
        "page": page,
        "show": show,
        "has_sites": bool(sites),
        "counts": [(status, Status(status).label, counts[status]) for status in COMING + PENDING],
        "coming_total": sum(counts[status][0] for status in COMING),
        "pending_total": sum(counts[status][0] for status in PENDING),
    }
    return render(request, "manifests/facility/incoming.html", context)


def _with_tolerance(lines):
    """Annotate each line with the quantities accepted without a discrepancy comment."""
    percent = Decimal(settings.HWMS_QUANTITY_TOLERANCE_PERCENT)
    for line in lines:
        reference = line.reference_quantity_kg
        margin = reference * percent / Decimal(100)
        line.tolerance_low = max(reference - margin, Decimal(0)).quantize(Decimal("0.01"))
        line.tolerance_high = (reference + margin).quantize(Decimal("0.01"))
    return lines


@login_required
@require_http_methods(["GET", "POST"])
def receive(request, pk):
    manifest = manifest_for_action(request.user, pk, "receive")
    lines = _with_tolerance(list(manifest.lines.select_related("waste_code", "received_waste_code").order_by("position")))
    action = request.POST.get("action") if request.method == "POST" else None
    form = ReceiveForm(request.POST if action == "receive" else None, manifest=manifest, lines=lines)
    refuse_form = RefuseForm(request.POST if action == "refuse" else None)
    if action == "refuse" and refuse_form.is_valid():
        try:
            manifest = services.receive(
                request.user,
                manifest,
                lines={},
                refuse_reason=refuse_form.cleaned_data["refuse_reason"],
                password=refuse_form.cleaned_data["password"],
                context=request_context(request),
            )
        except TransitionError as error:
            apply_transition_error(refuse_form, error)
        else:
            messages.warning(request, _("The shipment of manifest %(number)s was refused.") % {"number": manifest.number})
            return redirect("manifests:incoming")
    elif action == "receive" and form.is_valid():
        try:
            manifest = services.receive(
                request.user, manifest, lines=form.lines_data, password=form.cleaned_data["password"], context=request_context(request)
            )
        except TransitionError as error:
            form.add_transition_error(error)
        else:
            return _after_receipt(request, manifest)
    return render(
        request,
        "manifests/facility/receive.html",
        {
            "manifest": manifest,
            "lines": lines,
            "form": form,
            "refuse_form": refuse_form,
            "can_act": manifest.status in RECEIVABLE,
            "tolerance": settings.HWMS_QUANTITY_TOLERANCE_PERCENT,
            "capacity_left": services.capacity_left(manifest.permit) if manifest.permit_id else None,
        },
    )


def _after_receipt(request, manifest):
    if manifest.status == Status.REJECTED:
        messages.warning(request, _("Every line was rejected: manifest %(number)s is refused.") % {"number": manifest.number})
        return redirect("manifests:incoming")
    if manifest.over_capacity:
        messages.warning(
            request,
            _("This receipt takes %(facility)s beyond the yearly capacity of permit %(permit)s; the authorities are notified.")
            % {"facility": manifest.facility_site.name, "permit": manifest.permit.number},
        )
    if manifest.status == Status.COMPLETED:  # a returned load, received back by its generator
        messages.success(request, _("The returned waste of manifest %(number)s is received back.") % {"number": manifest.number})
        return redirect(detail_url(manifest))
    if manifest.has_discrepancy:
        messages.warning(
            request,
            _("Receipt of manifest %(number)s recorded with a discrepancy; the generator and the province are notified.")
            % {"number": manifest.number},
        )
    else:
        messages.success(request, _("Receipt of manifest %(number)s recorded.") % {"number": manifest.number})
    return redirect("manifests:treat", pk=manifest.pk)


@login_required
@require_http_methods(["GET", "POST"])
def treat(request, pk):
    manifest = manifest_for_action(request.user, pk, "treat")
    all_lines = list(manifest.lines.select_related("waste_code", "received_waste_code", "treatment_method").order_by("position"))
    pending = [line for line in all_lines if not line.rejected and not line.is_treated]
    done = [line for line in all_lines if line.rejected or line.is_treated]
    form = TreatForm(request.POST if request.method == "POST" else None, manifest=manifest, lines=pending)
    if request.method == "POST" and form.is_valid():
        try:
            manifest = services.treat(
                request.user, manifest, lines=form.lines_data, password=form.cleaned_data["password"], context=request_context(request)
            )
        except TransitionError as error:
            form.add_transition_error(error)
        else:
            if manifest.status == Status.COMPLETED:
                messages.success(
                    request,
                    _("All accepted lines are treated: manifest %(number)s is completed.") % {"number": manifest.number},
                )
                return redirect(f"{reverse('manifests:incoming')}?show=pending")
            left = manifest.lines.filter(rejected=False, treated_on__isnull=True).count()
            messages.success(
                request,
                ngettext(
                    "Treatment recorded; %(count)d line is still to be treated.",
                    "Treatment recorded; %(count)d lines are still to be treated.",
                    left,
                )
                % {"count": left},
            )
            return redirect("manifests:treat", pk=manifest.pk)
    return render(
        request,
        "manifests/facility/treat.html",
        {
            "manifest": manifest,
            "form": form,
            "done": done,
            "permitted_methods": manifest.permit.treatment_methods.order_by("order", "code"),
            "can_act": manifest.status == Status.RECEIVED and bool(pending),
        },
    )


urlpatterns = [
    path("incoming/", incoming, name="incoming"),
    path("<id:pk>/receive/", receive, name="receive"),
    path("<id:pk>/treat/", treat, name="treat"),
]
