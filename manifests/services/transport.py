"""Transport: the vehicle's check, the pickup (with the handover code when the generator has not signed ahead)
and the delivery."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, policy
from accounts.models import Permit
from common import sql

from .. import access, notifications, rules
from ..errors import TransitionError
from ..models import HandoverEntryLock, Status
from ._shared import _claim_idempotency, _lines, _lock, _record, _signature, _snapshot
from .drafts import _sign_as_generator
from .handover import _check_entry_lock, _check_handover_code, _count_wrong_handover_code, _WrongHandoverCode


def _check_vehicle(manifest, vehicle):
    """Refused unless the vehicle is the transporter's, active, and — except when the generator carries its own
    waste — listed on one of the transporter's permits in force that cover transport."""
    if vehicle is None or vehicle.organisation_id != manifest.transporter_id:
        raise TransitionError(_("Choose one of your organisation's vehicles."), field="vehicle")
    if not vehicle.active:
        raise TransitionError(_("This vehicle is not active."), field="vehicle")
    if manifest.transporter_id == manifest.generator_id:
        return
    if not Permit.transport_permits(manifest.transporter_id).filter(vehicles=vehicle).exists():
        raise TransitionError(
            _("Vehicle %(plate)s is not listed on a permit in force of %(org)s for hazardous waste transport.")
            % {"plate": vehicle.plate, "org": manifest.transporter.name},
            field="vehicle",
        )


def pickup(actor, manifest, *, vehicle, quantities, latitude=None, longitude=None, accuracy_m=None, handover_by=None, handover_code=None, idempotency_key=None, context=audit.NO_CONTEXT):
    """The driver takes the waste: vehicle, gate quantities per line, position; when the generator has not signed
    ahead, the person handing over chooses their name and types their personal handover code."""
    try:
        return _pickup(actor, manifest, vehicle, quantities, latitude, longitude, accuracy_m, handover_by, handover_code, idempotency_key, context)
    except _WrongHandoverCode as wrong:
        _count_wrong_handover_code(wrong.code_id, actor)
        raise TransitionError(_("The handover confirmation code is not correct."), field="handover_code") from None


def is_pickup_discrepancy(line, quantity):
    """The gate quantity differs from the declaration beyond the tolerance (settings, %)."""
    tolerance = line.quantity_kg * Decimal(settings.HWMS_QUANTITY_TOLERANCE_PERCENT) / Decimal(100)
    return abs(quantity - line.quantity_kg) > tolerance


@transaction.atomic
def _pickup(actor, manifest, vehicle, quantities, latitude, longitude, accuracy_m, handover_by, handover_code, idempotency_key, context):
    _claim_idempotency(actor, idempotency_key, "pickup", manifest.pk)
    manifest = _lock(manifest)
    transporter = rules.check(actor, manifest, "pickup")
    role = policy.role_in(actor, transporter)
    _check_vehicle(manifest, vehicle)
    # Decided on the locked row: a manifest sealed after the page was read still needs the handover code.
    signer = signed = None
    if manifest.generator_signed_at is None:
        _check_entry_lock(actor)
        signer = _check_handover_code(manifest, handover_by, handover_code)
        HandoverEntryLock.objects.filter(user=actor, failed_attempts__gt=0).update(failed_attempts=0)
    lines = _lines(manifest)
    errors = {}
    for line in lines:
        quantity = quantities.get(line.pk)
        if quantity is None or quantity <= 0:
            errors[f"line_{line.pk}"] = _("Enter the quantity picked up (greater than 0 kg).")
    if errors:
        raise TransitionError(_("Please correct the errors below."), errors=errors)
    now = timezone.now()
    for line in lines:
        line.pickup_quantity_kg = quantities[line.pk]
        line.pickup_discrepancy = is_pickup_discrepancy(line, line.pickup_quantity_kg)
    lines_update = sql.bulk_update_statement(lines, ["pickup_quantity_kg", "pickup_discrepancy"])  # sent with the event
    if signer is not None:
        snapshot = _sign_as_generator(manifest, signer.user, "handover_code", now)
        signature = _signature(signer.user, manifest.generator, "handover_code", manifest.content_hash)
        # The person who handed over signed with their own code, typed on the driver's phone.
        signed = _record(manifest, "signed", signer.user, manifest.generator, signer.role, {**signature, "device_of": actor.pk}, context, also=[snapshot])
    pickup_discrepancy = any(line.pickup_discrepancy for line in lines)
    manifest.has_discrepancy = manifest.has_discrepancy or pickup_discrepancy
    manifest.status = Status.IN_TRANSIT
    manifest.vehicle, manifest.driver, manifest.picked_up_at = vehicle, actor, now
    manifest.pickup_latitude, manifest.pickup_longitude, manifest.pickup_accuracy_m = latitude, longitude, accuracy_m
    digest, snapshot = _snapshot(manifest, "picked_up")
    _record(
        manifest,
        "picked_up",
        actor,
        transporter,
        role,
        {
            "vehicle": vehicle.plate,
            "quantities": {str(line.position): str(line.pickup_quantity_kg) for line in lines},
            "discrepancy": [line.position for line in lines if line.pickup_discrepancy],
            **_signature(actor, transporter, "session", digest),
        },
        audit.RequestContext(context.ip, context.user_agent, latitude, longitude, accuracy_m),
        also=[lines_update, manifest.save_statement(), snapshot],
        after=signed,
    )
    notifications.notify(manifest, notifications.Kind.PICKED_UP, [manifest.generator_id, manifest.facility_id])
    if pickup_discrepancy:
        notifications.notify(manifest, notifications.Kind.DISCREPANCY, [manifest.generator_id])
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest


@transaction.atomic
def deliver(actor, manifest, *, latitude=None, longitude=None, accuracy_m=None, idempotency_key=None, context=audit.NO_CONTEXT):
    _claim_idempotency(actor, idempotency_key, "deliver", manifest.pk)
    manifest = _lock(manifest)
    transporter = rules.check(actor, manifest, "deliver")
    role = policy.role_in(actor, transporter)
    manifest.status = Status.DELIVERED
    manifest.delivered_at = timezone.now()
    manifest.delivery_latitude, manifest.delivery_longitude, manifest.delivery_accuracy_m = latitude, longitude, accuracy_m
    _record(
        manifest,
        "delivered",
        actor,
        transporter,
        role,
        _signature(actor, transporter, "session", ""),
        audit.RequestContext(context.ip, context.user_agent, latitude, longitude, accuracy_m),
        also=[manifest.save_statement(["status", "delivered_at", "delivery_latitude", "delivery_longitude", "delivery_accuracy_m", "updated_at"])],
    )
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest
