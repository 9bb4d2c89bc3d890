"""Driver pages, for phones on poor networks: the organisation's pickups, open one by number, confirm the
pickup (vehicle, quantities at the gate, position, generator's code) and the delivery at the facility.

Every POST carries an idempotency key, so a phone that retries a request writes nothing twice.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import policy
from accounts.models import Membership
from common.headers import permissions_policy
from common.pagination import capped_count

from .. import selectors, services
from ..forms_transport import DeliverForm, PickupForm
from ..models import Manifest, Status
from .common import manifest_for_action, request_context, submit_transition, success

Role = Membership.Role
TRANSPORT_ROLES = policy.TRANSPORT_ROLES
TO_PICK_UP = (Status.SEALED, Status.READY)
# Phones on slow networks: each section shows at most this many; the rest is reachable by number.
SECTION_LIMIT = 20
COUNT_CAP = 1_000


def transporter_ids(user):
    """The transporter organisations the user drives or works for."""
    return [org.pk for org in policy.organisations_with(user, "transporter", TRANSPORT_ROLES)]


def driver_manifests(user):
    """Manifests assigned to the user's transporter organisations, within what the policy lets them see."""
    return selectors.visible_manifests(user).filter(transporter_id__in=transporter_ids(user))


def transported(user):
    """Manifests the user's transporter organisations carry, from the manifests' own columns: the sections of the
    driver's list, whose statuses are all past the handover, where the rule (policy.manifest_q) lets every member
    of the transporter read them. Without the rule's OR each section walks its own index (Manifest.Meta)."""
    return Manifest.objects.filter(transporter_id__in=transporter_ids(user))


def action_url(manifest):
    if manifest.status == Status.IN_TRANSIT:
        return reverse("manifests:deliver", args=[manifest.pk])
    return reverse("manifests:pickup", args=[manifest.pk])


@login_required
@require_GET
def driver_list(request):
    # The manifests alone, then their parties and places by primary key (selectors.attach): joined, PostgreSQL
    # spent longer planning these three queries than the rest of the page.
    manifests = transported(request.user)
    start_of_today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    sections = {
        "to_pick_up": manifests.filter(status__in=TO_PICK_UP).order_by("planned_pickup_date", "number"),
        "to_deliver": manifests.filter(status=Status.IN_TRANSIT).order_by("picked_up_at", "number"),
        "delivered_today": manifests.filter(delivered_at__gte=start_of_today).order_by("-delivered_at"),
    }
    context = {name: list(queryset[: SECTION_LIMIT + 1]) for name, queryset in sections.items()}
    listed = [manifest for items in context.values() for manifest in items]
    selectors.load_for_transport(selectors.attach_parties(listed))
    truncated = any(len(items) > SECTION_LIMIT for items in context.values())
    # The badges count every manifest of a section (up to a thousand), not only the ones listed.
    counts = {name: capped_count(queryset, COUNT_CAP) for name, queryset in sections.items()}
    context = {name: items[:SECTION_LIMIT] for name, items in context.items()}
    selectors.load_waste_summaries([manifest for items in context.values() for manifest in items])
    context.update(
        counts=counts,
        is_transporter=bool(transporter_ids(request.user)),
        truncated=truncated,
        limit=SECTION_LIMIT,
        number=request.GET.get("number", "")[:40],
        today=timezone.localdate(),
    )
    return render(request, "manifests/driver/list.html", context)


@login_required
@require_GET
def driver_find(request):
    """Open a manifest by its number; the same answer for 'no such number' and 'not yours' (no leak)."""
    number = " ".join(request.GET.get("number", "").split())[:40]
    list_url = reverse("manifests:driver_list")
    if not number:
        messages.error(request, _("Enter the manifest number."))
        return redirect(list_url)
    manifest = driver_manifests(request.user).filter(number__iexact=number).first()
    if manifest is None:
        messages.error(
            request,
            _("Manifest %(number)s was not found or is not assigned to your organisation.") % {"number": number},
        )
        return redirect(f"{list_url}?{urlencode({'number': number})}")
    return redirect(action_url(manifest))


def _lines(manifest):
    return list(manifest.lines.select_related("waste_code").order_by("position"))


@login_required
@permissions_policy(geolocation="self")  # the phone's position is recorded at the gate
@require_http_methods(["GET", "POST"])
def pickup(request, pk):
    manifest = manifest_for_action(request.user, pk, "pickup")
    lines = _lines(manifest)
    signers = services.handover_signers(manifest) if manifest.generator_signed_at is None else []
    form = PickupForm(request.POST if request.method == "POST" else None, manifest=manifest, lines=lines, signers=signers)
    done = submit_transition(
        request,
        form,
        lambda data: services.pickup(
            request.user,
            manifest,
            vehicle=data["vehicle"],
            quantities=form.quantities,
            handover_by=data.get("handover_by"),
            handover_code=data.get("handover_code"),
            idempotency_key=data.get("idempotency_key") or None,
            context=request_context(request, **form.position),
            **form.position,
        ),
        lambda result: success(
            request,
            _("Pickup of manifest %(number)s confirmed. Deliver the waste to %(facility)s.")
            % {"number": manifest.number, "facility": manifest.facility_site.name},
            reverse("manifests:driver_list"),
        ),
        replay_url=reverse("manifests:driver_list"),
    )
    if done:
        return done
    return render(
        request,
        "manifests/driver/pickup.html",
        {"manifest": manifest, "lines": lines, "form": form, "can_act": manifest.status in TO_PICK_UP},
    )


@login_required
@permissions_policy(geolocation="self")  # the phone's position is recorded at the gate
@require_http_methods(["GET", "POST"])
def deliver(request, pk):
    manifest = manifest_for_action(request.user, pk, "deliver")
    form = DeliverForm(request.POST if request.method == "POST" else None)
    done = submit_transition(
        request,
        form,
        lambda data: services.deliver(
            request.user,
            manifest,
            idempotency_key=data.get("idempotency_key") or None,
            context=request_context(request, **form.position),
            **form.position,
        ),
        lambda result: success(
            request,
            _("Delivery of manifest %(number)s to %(facility)s confirmed.")
            % {"number": manifest.number, "facility": manifest.facility_site.name},
            reverse("manifests:driver_list"),
        ),
        replay_url=reverse("manifests:driver_list"),
    )
    if done:
        return done
    return render(
        request,
        "manifests/driver/deliver.html",
        {"manifest": manifest, "lines": _lines(manifest), "form": form, "can_act": manifest.status == Status.IN_TRANSIT},
    )


urlpatterns = [
    path("driver/", driver_list, name="driver_list"),
    path("driver/find/", driver_find, name="driver_find"),
    path("<id:pk>/pickup/", pickup, name="pickup"),
    path("<id:pk>/deliver/", deliver, name="deliver"),
]
