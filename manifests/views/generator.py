"""Generator staff's pages (and facility staff preparing on a generator's behalf): the list with filters,
the draft form with its lines, the detail page with the timeline, signing, sealing, cancelling, and the
company signature code. Reads come from manifests.selectors, writes from manifests.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import policy
from catalog.search import search_waste_codes
from common.integers import bounded_pk
from common.pagination import capped_count

from .. import draft_choices, rules, selectors, services
from ..filters import ManifestFilter
from ..forms import (
    LINE_PREFIX,
    CancelForm,
    DecisionForm,
    FollowUpForm,
    LineFormSet,
    ManifestForm,
    RefuseForm,
    SignForm,
    line_initial,
    waste_code_suggestions,
)
from ..forms_transport import PasswordSignatureForm as HandoverCodeForm
from ..models import HandoverCode
from ..signatures import signature_blocks
from .common import (
    TransitionError,
    apply_transition_error,
    cursors,
    detail_url,
    guard,
    request_context,
    submit_transition,
    success,
)

FILTERED_COUNT_CAP = 500


# --- list ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def manifest_list(request):
    """Newest first, a keyset page at a time; the total from the counters, or capped when filtered."""
    filterset = ManifestFilter(request.GET or None, queryset=selectors.scope_rows(request.user), request=request)
    filtered = bool(request.GET.dict().keys() - {"after", "before"})
    page = selectors.manifest_page(filterset.qs, **cursors(request))
    if filtered:
        # A filter on the manifest (a waste code, a party) is checked row by row: count 500 at most. A waste code
        # matches many manifests: counted newest first, as the page walks the scope's index (unordered, PostgreSQL
        # merged the whole lines index with a large generator's rows: 80 ms at 3 M manifests, against a few).
        order = ("-created_at", "-manifest_id") if request.GET.get("waste_code", "").strip() else ()
        count, capped = capped_count(filterset.qs, FILTERED_COUNT_CAP, order_by=order)
    else:
        count, capped = selectors.scope_total(request.user), False
    context = {
        "filter": filterset,
        "page": page,
        "count": count,
        "capped": capped,
        "can_create": selectors.can_create(request.user),
        "filtered": filtered,
    }
    return render(request, "manifests/list.html", context)


# --- draft -----------------------------------------------------------------------------------------------


def _draft_forms(request, manifest=None):
    data = request.POST if request.method == "POST" else None
    initial, lines = None, []
    if manifest is not None:
        initial = {
            "generator_site": manifest.generator_site_id,
            "facility_site": manifest.facility_site_id,
            "permit": manifest.permit_id,
            "transporter": manifest.transporter_id,
            "planned_pickup_date": manifest.planned_pickup_date,
            "note": manifest.note,
        }
        lines = line_initial(manifest.lines.select_related("waste_code").order_by("position"))
    form = ManifestForm(data, user=request.user, initial=initial)
    formset = LineFormSet(data, prefix=LINE_PREFIX, initial=lines or None)
    return form, formset


def _valid(form, formset):
    form_ok, lines_ok = form.is_valid(), formset.is_valid()
    return form_ok and lines_ok and formset.check_permit(form.cleaned_data.get("permit"))


def _save_draft(request, form, formset, manifest=None):
    """Create or update through the services; None (errors added to the form) when refused.

    A refused permission is not a form error: it answers 403 like every other view.
    """
    data = form.cleaned_data
    fields = {name: data[name] for name in ("generator_site", "facility_site", "permit", "transporter", "planned_pickup_date")}
    fields["note"] = data.get("note", "")
    try:
        if manifest is None:
            return services.create_draft(request.user, lines=formset.line_inputs(), context=request_context(request), **fields)
        return services.update_draft(request.user, manifest, lines=formset.line_inputs(), context=request_context(request), **fields)
    except TransitionError as error:
        apply_transition_error(form, error)
    return None


def _after_save(request, manifest, created):
    if created:
        messages.success(request, _("Draft %(number)s saved. Only your organisation sees it until it is signed or sent for signature.") % {"number": manifest.number})
    else:
        messages.success(request, _("Draft %(number)s saved.") % {"number": manifest.number})
    if request.POST.get("then") == "sign" and all(rules.may(request.user, manifest, "sign")):
        return redirect("manifests:sign", pk=manifest.pk)
    return redirect(detail_url(manifest))


def _render_form(request, form, formset, manifest=None):
    context = {
        "form": form,
        "formset": formset,
        "manifest": manifest,
        "suggestions": waste_code_suggestions(),
        "can_sign_after": _may_sign_after(request.user, manifest),
    }
    return render(request, "manifests/form.html", context)


def _may_sign_after(user, manifest):
    if manifest is not None:
        return rules.may(user, manifest, "sign")[0]
    return policy.actable_sites(user).filter(organisation__is_generator=True).exists()


@login_required
@require_http_methods(["GET", "POST"])
def create(request):
    if not selectors.can_create(request.user):
        raise PermissionDenied(_("You may prepare manifests only for your own sites or for your own facility."))
    form, formset = _draft_forms(request)
    if request.method == "POST" and _valid(form, formset):
        manifest = _save_draft(request, form, formset)
        if manifest is not None:
            return _after_save(request, manifest, created=True)
    return _render_form(request, form, formset)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    manifest = selectors.get_manifest_for_user(request.user, pk)
    refused = guard(request, manifest, "edit")
    if refused:
        return refused
    form, formset = _draft_forms(request, manifest)
    if request.method == "POST" and _valid(form, formset):
        saved = _save_draft(request, form, formset, manifest)
        if saved is not None:
            return _after_save(request, saved, created=False)
    return _render_form(request, form, formset, manifest)


@login_required
@require_GET
def waste_code_search(request):
    """Suggestions for the waste code inputs (htmx): codes of the current catalog by code or name."""
    query = request.GET.get("q")
    if query is None:
        # htmx sends the input under its own name (lines-3-waste_code).
        query = next((value for key, value in request.GET.items() if key.endswith("waste_code")), "")
    codes = search_waste_codes(query[:100])
    return render(request, "manifests/partials/waste_code_options.html", {"codes": codes})


# --- detail ----------------------------------------------------------------------------------------------


def detail_context(user, manifest):
    lines = selectors.manifest_lines(manifest)
    revisions = selectors.revisions(manifest)
    pending = next((r for r in revisions if r.state == r.State.PENDING), None)
    events = selectors.timeline(manifest)
    context = {
        "manifest": manifest,
        "lines": lines,
        "totals": selectors.line_totals(lines),
        "actions": selectors.available_actions(user, manifest),
        "events": events,
        "signature_blocks": signature_blocks(manifest, events),
        # Only a rejected load has follow-ups (services.create_follow_up): no query for the others.
        "follow_ups": list(manifest.follow_ups.only("pk", "number", "origin_kind", "status")) if manifest.has_rejection else [],
        "revisions": revisions,
        "pending": pending,
    }
    if pending is not None:
        context["pending_changes"] = selectors.revision_changes(pending, lines)
        context["deciding_org"] = selectors.deciding_organisation(user, pending, manifest)
        context["decision_form"] = DecisionForm()
    return context


@login_required
@require_GET
def detail(request, pk):
    manifest = selectors.get_manifest_for_user(request.user, pk)
    return render(request, "manifests/detail.html", detail_context(request.user, manifest))


# --- signature, seal, cancel -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def sign(request, pk):
    manifest = selectors.get_manifest_for_user(request.user, pk)
    refused = guard(request, manifest, "sign")
    if refused:
        return refused
    form = SignForm(request.POST if request.method == "POST" else None)
    done = submit_transition(
        request,
        form,
        lambda data: services.sign(request.user, manifest, data["password"], context=request_context(request)),
        lambda result: success(
            request,
            _("You signed manifest %(number)s. The transporter and the facility are notified.") % {"number": manifest.number},
            detail_url(manifest),
        ),
    )
    if done:
        return done
    lines = selectors.manifest_lines(manifest)
    context = {
        "manifest": manifest,
        "lines": lines,
        "totals": selectors.line_totals(lines),
        "form": form,
        "content_hash": selectors.signing_hash(manifest),
    }
    return render(request, "manifests/sign.html", context)


@login_required
@require_POST
def seal(request, pk):
    manifest = selectors.get_manifest_for_user(request.user, pk)
    refused = guard(request, manifest, "seal")
    if refused:
        return refused
    try:
        services.seal(request.user, manifest, context=request_context(request))
    except TransitionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Manifest %(number)s is waiting for the generator's signature.") % {"number": manifest.number})
    return redirect(detail_url(manifest))


def _ended_with_a_reason(request, pk, action, form_class, end, message, template):
    """The pages that end a manifest with a written reason (cancel; refuse what others prepared in one's name):
    the rules' guard, the reason form, the service, the message."""
    manifest = selectors.get_manifest_for_user(request.user, pk)
    refused = guard(request, manifest, action)
    if refused:
        return refused
    form = form_class(request.POST if request.method == "POST" else None)
    done = submit_transition(
        request,
        form,
        lambda data: end(request.user, manifest, data["reason"], context=request_context(request)),
        lambda result: success(request, message % {"number": manifest.number}, detail_url(manifest)),
    )
    return done or render(request, template, {"manifest": manifest, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request, pk):
    return _ended_with_a_reason(
        request, pk, "cancel", CancelForm, services.cancel, _("Manifest %(number)s is cancelled."), "manifests/cancel.html"
    )


@login_required
@require_GET
def counterparties(request):
    """Search of the draft form's long party lists: ?role=generator_site|facility_site|transporter|permit&q=…
    (&site= for the permits of one facility site). Only the user's permitted choices, at most
    draft_choices.COUNTERPARTY_RESULTS of them, as JSON [{"value", "label", "site"?}]."""
    role = request.GET.get("role", "")
    site = bounded_pk(request.GET.get("site"))
    found = draft_choices.counterparty_search(request.user, role, request.GET.get("q", ""), site)
    if found is None:
        raise Http404(_("There is no such list."))
    field = ManifestForm.base_fields[role]  # its labels, without building the form's lists
    results = [{"value": obj.pk, "label": field.label_from_instance(obj)} for obj in found]
    if role == "permit":
        for result, permit in zip(results, found, strict=True):
            result["site"] = permit.site_id
    response = JsonResponse({"results": results, "limit": draft_choices.COUNTERPARTY_RESULTS})
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def refuse(request, pk):
    """The generator refuses a manifest another organisation prepared in its name (before signing or pickup)."""
    return _ended_with_a_reason(
        request, pk, "refuse", RefuseForm, services.refuse, _("Manifest %(number)s is refused and cancelled."), "manifests/refuse.html"
    )


@login_required
@require_http_methods(["GET", "POST"])
def follow_up(request, pk):
    """The generator decides where a rejected load goes: a new manifest, linked to this one, signed now."""
    manifest = selectors.get_manifest_for_user(request.user, pk)
    refused = guard(request, manifest, "follow_up")
    if refused:
        return refused
    if not selectors.needs_follow_up(manifest):
        messages.info(request, _("Nothing rejected on this manifest waits for a decision."))
        return redirect(detail_url(manifest))
    form = FollowUpForm(request.POST if request.method == "POST" else None, original=manifest)
    done = submit_transition(
        request,
        form,
        lambda data: services.create_follow_up(
            request.user,
            manifest,
            kind=data["kind"],
            facility_site=data.get("facility_site"),
            permit=data.get("permit"),
            planned_method=data.get("planned_method"),
            planned_method_note=data.get("planned_method_note", ""),
            password=data["password"],
            context=request_context(request),
        ),
        lambda created: success(
            request,
            _("Manifest %(number)s is signed for the rejected waste of %(origin)s; the transporter can collect it.")
            % {"number": created.number, "origin": manifest.number},
            detail_url(created),
        ),
    )
    if done:
        return done
    rejected = [line for line in selectors.manifest_lines(manifest) if line.rejected]
    return render(request, "manifests/follow_up.html", {"manifest": manifest, "form": form, "rejected": rejected})


# --- personal handover code ------------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def handover_code(request, org_pk):
    """The member's own handover confirmation code, typed on the driver's phone at the gate when nobody signed
    ahead: the record then names this person. A new code is shown once, in the answer to the POST that set it;
    only its hash is stored."""
    organisation = policy.get_organisation_for_user(request.user, org_pk)
    if not organisation.is_generator:
        raise Http404(_("Only the generator's staff hold a handover confirmation code."))
    if policy.role_in(request.user, organisation) not in policy.ACT_ROLES:
        raise PermissionDenied(_("Only the generator's staff hold a handover confirmation code."))
    form = HandoverCodeForm(request.POST if request.method == "POST" else None)
    new_code = None
    if request.method == "POST" and form.is_valid():
        try:
            new_code = services.set_handover_code(request.user, organisation, form.cleaned_data["password"], context=request_context(request))
        except TransitionError as error:
            apply_transition_error(form, error)
    record = HandoverCode.objects.filter(membership__user=request.user, membership__organisation=organisation).first()
    context = {
        "organisation": organisation,
        "record": record,
        "locked": bool(record and record.locked_until and record.locked_until > timezone.now()),
        "new_code": new_code,
        "form": form,
    }
    return render(request, "manifests/handover_code.html", context)


urlpatterns = [
    path("", manifest_list, name="list"),
    path("new/", create, name="create"),
    path("waste-codes/", waste_code_search, name="waste_code_search"),
    path("<id:pk>/", detail, name="detail"),
    path("<id:pk>/edit/", edit, name="edit"),
    path("<id:pk>/sign/", sign, name="sign"),
    path("<id:pk>/seal/", seal, name="seal"),
    path("<id:pk>/cancel/", cancel, name="cancel"),
    path("<id:pk>/refuse/", refuse, name="refuse"),
    path("counterparties/", counterparties, name="counterparties"),
    path("<id:pk>/follow-up/", follow_up, name="follow_up"),
    path("organisations/<id:org_pk>/handover-code/", handover_code, name="handover_code"),
]
