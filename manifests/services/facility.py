"""The facility: the reception (quantities, codes, rejections, the permit's yearly capacity) and the treatment,
which completes the manifest."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, policy
from common import sql

from .. import access, notifications, rules
from ..errors import TransitionError
from ..models import CapacityUsage, Status
from ._shared import _check_permit, _lines, _lock, _method_refusal, _reauthenticate, _record, _signature, _snapshot


def is_discrepancy(line, received_quantity, received_code):
    """Beyond the tolerance (settings, %) of the reference quantity, or another waste code."""
    if received_code is not None and received_code.pk != line.waste_code_id:
        return True
    reference = line.reference_quantity_kg
    tolerance = reference * Decimal(settings.HWMS_QUANTITY_TOLERANCE_PERCENT) / Decimal(100)
    return abs(received_quantity - reference) > tolerance


def _count_capacity(manifest, lines, when):
    """Add the accepted kilograms to the permit's year; True when the year's total passes the licensed capacity."""
    if manifest.permit_id is None:
        return False
    kg = sum((line.received_quantity_kg or 0 for line in lines if not line.rejected), Decimal(0))
    year = timezone.localtime(when).year
    # One statement, the row locked until the commit: the reception calls it last.
    received_kg = sql.increment(CapacityUsage, {"permit_id": manifest.permit_id, "year": year}, "received_kg", kg)
    return received_kg > manifest.permit.yearly_capacity_kg


def capacity_left(permit, year=None):
    """Kilograms the permit may still receive in the year (negative beyond its capacity)."""
    year = year or timezone.localdate().year
    used = CapacityUsage.objects.filter(permit=permit, year=year).values_list("received_kg", flat=True).first() or Decimal(0)
    return permit.yearly_capacity_kg - used


@transaction.atomic
def receive(actor, manifest, *, lines, password, refuse_reason="", context=audit.NO_CONTEXT):
    """Record what arrived, signed by the person receiving with their password. `lines`: {line id:
    {"received_quantity_kg", "received_waste_code", "comment", "rejected", "rejection_reason"}}. A non-empty
    refuse_reason refuses the whole shipment. A return to the generator is complete once received back."""
    manifest = _lock(manifest)
    facility = rules.check(actor, manifest, "receive")
    role = policy.role_in(actor, facility)
    _reauthenticate(actor, password)
    manifest_lines = _lines(manifest)
    now = timezone.now()
    if refuse_reason.strip():
        for line in manifest_lines:
            line.rejected, line.rejection_reason = True, refuse_reason.strip()
        lines_update = sql.bulk_update_statement(manifest_lines, ["rejected", "rejection_reason"])
        manifest.status, manifest.rejection_reason = Status.REJECTED, refuse_reason.strip()
        manifest.received_by, manifest.received_at = actor, now
        manifest.has_rejection = True
        digest, snapshot = _snapshot(manifest, "rejected")
        data = {"reason": manifest.rejection_reason, **_signature(actor, facility, "password", digest)}
        _record(manifest, "rejected", actor, facility, role, data, context, also=[lines_update, manifest.save_statement(), snapshot])
        notifications.notify(manifest, notifications.Kind.REJECTED, [manifest.generator_id, manifest.transporter_id], officials=True)
        access.sync(manifest)  # last: the counters' row locks are held only until the commit
        return manifest

    errors = {}
    for line in manifest_lines:
        data = lines.get(line.pk) or {}
        if data.get("rejected"):
            reason = (data.get("rejection_reason") or "").strip()
            if not reason:
                errors[f"line_{line.pk}"] = _("Give the reason for rejecting this line.")
            line.rejected, line.rejection_reason = True, reason
            line.received_quantity_kg = data.get("received_quantity_kg")
            continue
        quantity = data.get("received_quantity_kg")
        if quantity is None or quantity < 0:
            errors[f"line_{line.pk}"] = _("Enter the received quantity in kg.")
            continue
        code = data.get("received_waste_code") or line.waste_code
        line.received_quantity_kg, line.received_waste_code = quantity, code
        line.discrepancy = is_discrepancy(line, quantity, code)
        line.discrepancy_comment = (data.get("comment") or "").strip() if line.discrepancy else ""
        if line.discrepancy and not line.discrepancy_comment:
            errors[f"line_{line.pk}"] = _(
                "The received quantity or waste code differs from the declaration beyond the tolerance (%(tolerance)s%%): explain the discrepancy."
            ) % {"tolerance": settings.HWMS_QUANTITY_TOLERANCE_PERCENT}
        if code.pk != line.waste_code_id:
            try:
                _check_permit(manifest, timezone.localdate(), codes=[code])
            except TransitionError as exc:
                errors[f"line_{line.pk}"] = exc.message
    if errors:
        raise TransitionError(_("Please correct the errors below."), errors=errors)
    lines_update = sql.bulk_update_statement(
        manifest_lines,
        ["received_quantity_kg", "received_waste_code", "discrepancy", "discrepancy_comment", "rejected", "rejection_reason"],
    )
    all_rejected = all(line.rejected for line in manifest_lines)
    manifest.has_discrepancy = any(line.discrepancy or line.pickup_discrepancy for line in manifest_lines)
    manifest.received_by, manifest.received_at = actor, now
    if all_rejected:
        manifest.status = Status.REJECTED
        manifest.rejection_reason = "; ".join(line.rejection_reason for line in manifest_lines)
    elif manifest.is_return:
        manifest.status, manifest.completed_at, manifest.completed_by = Status.COMPLETED, now, actor
    else:
        manifest.status = Status.RECEIVED
    manifest.has_rejection = any(line.rejected for line in manifest_lines)
    digest, snapshot = _snapshot(manifest, "received")
    summary = {
        str(line.position): {
            "received_kg": None if line.received_quantity_kg is None else str(line.received_quantity_kg),
            "code": line.received_waste_code.code if line.received_waste_code_id else None,
            "discrepancy": line.discrepancy,
            "rejected": line.rejected,
        }
        for line in manifest_lines
    }
    data = {"lines": summary, **_signature(actor, facility, "password", digest)}
    action = "rejected" if all_rejected else "received"
    _record(manifest, action, actor, facility, role, data, context, also=[lines_update, manifest.save_statement(), snapshot])
    recipients = [manifest.generator_id, manifest.transporter_id]
    if all_rejected or any(line.rejected for line in manifest_lines):
        notifications.notify(manifest, notifications.Kind.REJECTED, recipients, officials=True)
    if manifest.has_discrepancy:
        notifications.notify(manifest, notifications.Kind.DISCREPANCY, recipients, officials=True)
    # Late: every reception at the facility moves the permit's year row, locked until the commit. The flag is not
    # part of the signed content; it is written again only in the rare reception that passes the capacity.
    if _count_capacity(manifest, manifest_lines, now):
        if not manifest.over_capacity:
            manifest.over_capacity = True
            manifest.save(update_fields=["over_capacity", "updated_at"])
        notifications.notify(manifest, notifications.Kind.OVER_CAPACITY, [manifest.facility_id], officials=True)
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest


@transaction.atomic
def treat(actor, manifest, *, lines, password, context=audit.NO_CONTEXT):
    """Record treatment per accepted line: {line id: {"treatment_method": TreatmentMethod, "treated_on": date,
    "treatment_note": str}}, signed by the person with their password ("Khác" needs the note).

    When every accepted line is treated the manifest is completed, under that person's name.
    """
    manifest = _lock(manifest)
    facility = rules.check(actor, manifest, "treat")
    role = policy.role_in(actor, facility)
    _reauthenticate(actor, password)
    permitted_methods = set(manifest.permit.treatment_methods.values_list("pk", flat=True))
    manifest_lines = _lines(manifest)
    uncovered = set(manifest.permit.uncovered_codes([line.received_waste_code or line.waste_code for line in manifest_lines]))
    received_on = timezone.localtime(manifest.received_at).date()
    today = timezone.localdate()
    errors, changed = {}, []
    for line in manifest_lines:
        if line.rejected or line.is_treated or line.pk not in lines:
            continue
        data = lines[line.pk]
        method, treated_on = data.get("treatment_method"), data.get("treated_on")
        if method is None and treated_on is None:
            continue
        code = line.received_waste_code or line.waste_code
        if method is None or treated_on is None:
            errors[f"line_{line.pk}"] = _("Give both the treatment method and the date.")
        elif refusal := _method_refusal(method, data.get("treatment_note"), permitted_methods, manifest.permit):
            errors[f"line_{line.pk}"] = refusal
        elif code.code in uncovered:
            errors[f"line_{line.pk}"] = _("Permit %(permit)s does not cover waste code %(code)s.") % {"permit": manifest.permit.number, "code": code.code}
        elif not received_on <= treated_on <= today:
            errors[f"line_{line.pk}"] = _("The treatment date must be between the reception date and today.")
        else:
            line.treatment_method, line.treated_on = method, treated_on
            line.treatment_note = (data.get("treatment_note") or "").strip() if method.is_other else ""
            changed.append(line)
    if errors:
        raise TransitionError(_("Please correct the errors below."), errors=errors)
    if not changed:
        raise TransitionError(_("Record the treatment of at least one line."))
    treated = _record(
        manifest,
        "treated",
        actor,
        facility,
        role,
        {str(line.position): {"method": line.treatment_method.code, "note": line.treatment_note, "date": str(line.treated_on)} for line in changed},
        context,
        also=[sql.bulk_update_statement(changed, ["treatment_method", "treatment_note", "treated_on"])],
    )
    if all(line.rejected or line.is_treated for line in manifest_lines):
        manifest.status = Status.COMPLETED
        manifest.completed_at, manifest.completed_by = timezone.now(), actor
        digest, snapshot = _snapshot(manifest, "completed")
        signature = _signature(actor, facility, "password", digest)
        _record(manifest, "completed", actor, facility, role, signature, context, also=[manifest.save_statement(), snapshot], after=treated)
        notifications.notify(manifest, notifications.Kind.COMPLETED, [manifest.generator_id, manifest.transporter_id])
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest
