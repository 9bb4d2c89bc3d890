"""The manifest status machine: every write on a manifest goes through one function of this module.

Each transition: checks the actor through the access policy, the current status and its preconditions,
runs in a transaction with the manifest row locked, writes the hash-chained audit event, and enqueues
notifications after commit. Concurrent transitions serialise on the row lock: the second one sees the
new status and gets a clear message. A POST carrying an idempotency key is claimed first, so a replay
(or a concurrent duplicate) returns the first result and writes nothing twice.
"""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, policy
from accounts.models import Membership, Organisation, Vehicle
from catalog.models import TreatmentMethod, WasteCode

from . import access, notifications, numbering, rules
from .content import content_hash, manifest_content
from .errors import AlreadyDone, TransitionError
from .models import (
    IdempotencyRecord,
    Manifest,
    ManifestLine,
    ManifestSnapshot,
    Revision,
    RevisionDecision,
    SignatureCode,
    Status,
)

Role = Membership.Role
OPEN_AFTER_PICKUP = (Status.IN_TRANSIT, Status.DELIVERED, Status.RECEIVED)


@dataclass
class LineInput:
    waste_code: WasteCode
    description: str
    physical_state: str
    packaging_type: str
    packaging_count: int
    quantity_kg: Decimal

    @classmethod
    def from_line(cls, line):
        return cls(**{name: getattr(line, name) for name in cls.__dataclass_fields__})

    def as_line(self, manifest, position):
        return ManifestLine(manifest=manifest, position=position, **{name: getattr(self, name) for name in self.__dataclass_fields__})


# --- helpers -----------------------------------------------------------------------------------------


def _claim_idempotency(actor, key, action, manifest_id):
    """Insert the key first: a concurrent duplicate blocks on the unique index, then finds the record."""
    if not key:
        return
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(user=actor, key=key[:64], action=action, manifest_id=manifest_id)
    except IntegrityError:
        raise AlreadyDone(IdempotencyRecord.objects.get(user=actor, key=key[:64])) from None


def _lock(manifest):
    """Lock the manifest row for the rest of the transaction; a long wait becomes a friendly 'busy'."""
    # The wait is bounded by the connection's lock_timeout (settings: HWMS_LOCK_TIMEOUT_SECONDS).
    try:
        # FOR NO KEY UPDATE: transitions serialise on it, while rows that merely reference the manifest (lines,
        # notifications, idempotency keys) are still checked at commit without waiting. The row alone: a join of
        # eight tables costs more to plan than to run; the parties come in one more query, the permit and the
        # vehicle (checked and hashed by most transitions) with the row.
        locked = Manifest.objects.select_for_update(of=("self",), no_key=True).select_related("permit", "vehicle").get(pk=manifest.pk)
    except OperationalError as exc:
        raise TransitionError(_("Someone else is updating this manifest right now. Please try again in a moment.")) from exc
    parties = Organisation.objects.in_bulk({locked.generator_id, locked.facility_id, locked.transporter_id})
    locked.generator, locked.facility = parties[locked.generator_id], parties[locked.facility_id]
    locked.transporter = parties[locked.transporter_id]
    locked._access_before = access.state(locked)  # lets access.sync move the rows without reading them
    return locked


def _lines(manifest):
    """The locked manifest's lines with their codes, read once per transition: the checks, the changes and the
    snapshot all use (and update) these objects."""
    if "lines" not in getattr(manifest, "_prefetched_objects_cache", {}):
        prefetch_related_objects(
            [manifest], Prefetch("lines", ManifestLine.objects.select_related("waste_code", "received_waste_code", "treatment_method"))
        )
    return list(manifest.lines.all())


def _record(manifest, action, actor, organisation, role, data=None, context=audit.NO_CONTEXT):
    return audit.record(
        manifest.chain, action, actor=actor, organisation=organisation, role=role, data=data or {}, context=context
    )


def _snapshot(manifest, step):
    content = manifest_content(manifest)
    digest = content_hash(content)
    ManifestSnapshot.objects.create(manifest=manifest, version=manifest.version, step=step, content=content, content_hash=digest)
    return digest


def _check_permit(manifest, on_date, codes=None):
    permit = manifest.permit
    if permit.site_id != manifest.facility_site_id:
        raise TransitionError(_("The permit does not belong to the receiving facility site."), field="permit")
    if not permit.is_valid_on(on_date):
        raise TransitionError(
            _("Permit %(number)s is not valid on %(date)s.") % {"number": permit.number, "date": on_date.strftime("%d/%m/%Y")},
            field="permit",
        )
    codes = codes if codes is not None else [line.waste_code for line in _lines(manifest)]
    missing = permit.uncovered_codes(codes)
    if missing:
        raise TransitionError(
            _("Permit %(number)s does not cover waste code(s) %(codes)s.") % {"number": permit.number, "codes": ", ".join(missing)},
            field="permit",
        )


def _check_ready(manifest):
    if not _lines(manifest):
        raise TransitionError(_("Add at least one waste line before signing."))
    _check_permit(manifest, manifest.planned_pickup_date)


# --- drafts ------------------------------------------------------------------------------------------


def _check_parties(actor, generator_site, facility_site, permit, transporter):
    """Who may prepare: a generator member for its own site, or facility staff for its own facility."""
    if generator_site.organisation_id == facility_site.organisation_id and not facility_site.organisation.is_generator:
        raise TransitionError(_("Choose a generator site."), field="generator_site")
    acting_sites = policy.actable_sites(actor)
    if acting_sites.filter(pk=generator_site.pk).exists():
        preparer = generator_site.organisation
    elif acting_sites.filter(pk=facility_site.pk).exists() and facility_site.organisation.is_facility:
        preparer = facility_site.organisation
    else:
        raise PermissionDenied(_("You may prepare manifests only for your own sites or for your own facility."))
    errors = {}
    if not generator_site.organisation.is_generator or not generator_site.active:
        errors["generator_site"] = _("This site is not an active generator site.")
    if not facility_site.organisation.is_facility or not facility_site.active:
        errors["facility_site"] = _("This site is not an active treatment facility.")
    if permit.site_id != facility_site.pk:
        errors["permit"] = _("The permit does not belong to the receiving facility site.")
    if not transporter.is_transporter or not transporter.active:
        errors["transporter"] = _("This organisation is not an active transporter.")
    if errors:
        raise TransitionError(_("Please correct the errors below."), errors=errors)
    return preparer


def _check_lines(lines):
    if not lines:
        raise TransitionError(_("Add at least one waste line."))
    for number, line in enumerate(lines, start=1):
        if line.quantity_kg is None or line.quantity_kg <= 0:
            raise TransitionError(_("Line %(number)s: the quantity must be greater than 0 kg.") % {"number": number})
        if not line.packaging_count or line.packaging_count < 1:
            raise TransitionError(_("Line %(number)s: give at least one package.") % {"number": number})


def _write_lines(manifest, lines):
    """Replace the draft's lines and store their declared total on the manifest (lists show it)."""
    manifest.lines.all().delete()
    ManifestLine.objects.bulk_create([line.as_line(manifest, position) for position, line in enumerate(lines, start=1)])
    manifest.declared_kg = sum((line.quantity_kg for line in lines), Decimal(0))
    manifest.save(update_fields=["declared_kg", "updated_at"])


@transaction.atomic
def create_draft(actor, *, generator_site, facility_site, permit, transporter, planned_pickup_date, lines, note="", context=audit.NO_CONTEXT):
    preparer = _check_parties(actor, generator_site, facility_site, permit, transporter)
    _check_lines(lines)
    role = policy.role_in(actor, preparer)
    manifest = Manifest.objects.create(
        number=numbering.next_number(generator_site.province_id),
        generator=generator_site.organisation,
        generator_site=generator_site,
        facility=facility_site.organisation,
        facility_site=facility_site,
        permit=permit,
        transporter=transporter,
        prepared_by=preparer,
        province_id=generator_site.province_id,
        facility_province_id=facility_site.province_id,
        planned_pickup_date=planned_pickup_date,
        note=note,
        created_by=actor,
    )
    _write_lines(manifest, lines)
    _record(manifest, "created", actor, preparer, role, {"number": manifest.number, "lines": len(lines)}, context)
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest


@transaction.atomic
def update_draft(actor, manifest, *, generator_site, facility_site, permit, transporter, planned_pickup_date, lines, note="", context=audit.NO_CONTEXT):
    manifest = _lock(manifest)
    rules.check(actor, manifest, "edit")
    preparer = _check_parties(actor, generator_site, facility_site, permit, transporter)
    if preparer.pk != manifest.prepared_by_id:
        raise PermissionDenied(_("Only the organisation that prepared this draft may change it."))
    _check_lines(lines)
    manifest.generator, manifest.generator_site = generator_site.organisation, generator_site
    manifest.facility, manifest.facility_site = facility_site.organisation, facility_site
    manifest.permit, manifest.transporter = permit, transporter
    manifest.province_id, manifest.facility_province_id = generator_site.province_id, facility_site.province_id
    manifest.planned_pickup_date, manifest.note = planned_pickup_date, note
    manifest.save()
    _write_lines(manifest, lines)
    _record(manifest, "draft.saved", actor, preparer, policy.role_in(actor, preparer), {"lines": len(lines)}, context)
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest


def draft_version(manifest):
    """What identifies a draft's state between a preview and its confirmation: its last save."""
    return manifest.updated_at.isoformat()


@transaction.atomic
def append_lines(actor, manifest, lines, *, previewed_version, context=audit.NO_CONTEXT):
    """Add lines to a draft (the Excel import), all or nothing; refused when the draft was saved after the preview
    (a second confirmation, or someone else's change), so that nothing is appended twice or to something else."""
    manifest = _lock(manifest)
    rules.check(actor, manifest, "import_lines")
    if draft_version(manifest) != previewed_version:
        raise TransitionError(
            _("The draft was saved after this preview (were the lines already added?). Check the draft, then upload the file again if needed; nothing was imported.")
        )
    current = [LineInput.from_line(line) for line in manifest.lines.select_related("waste_code").order_by("position")]
    return update_draft(
        actor,
        manifest,
        generator_site=manifest.generator_site,
        facility_site=manifest.facility_site,
        permit=manifest.permit,
        transporter=manifest.transporter,
        planned_pickup_date=manifest.planned_pickup_date,
        note=manifest.note,
        lines=current + lines,
        context=context,
    )


@transaction.atomic
def seal(actor, manifest, context=audit.NO_CONTEXT):
    """Finalise a draft for the generator's signature (facility-prepared, or to be signed on the driver's phone)."""
    manifest = _lock(manifest)
    preparer = rules.check(actor, manifest, "seal")
    _check_ready(manifest)
    manifest.status = Status.SEALED
    manifest.save(update_fields=["status", "updated_at"])
    _record(manifest, "sealed", actor, preparer, policy.role_in(actor, preparer), {}, context)
    notifications.notify(manifest, notifications.Kind.AWAITING_SIGNATURE, [manifest.generator_id])
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest


def _sign_as_generator(manifest, signer, method, when):
    _check_ready(manifest)
    manifest.generator_signed_by = signer
    manifest.generator_signed_at = when
    manifest.generator_signature_method = method
    manifest.content_hash = _snapshot(manifest, "generator_signed")


@transaction.atomic
def sign(actor, manifest, password, context=audit.NO_CONTEXT):
    """The generator signs the handover, re-entering the password; the signed content is frozen."""
    manifest = _lock(manifest)
    generator = rules.check(actor, manifest, "sign")
    if not actor.check_password(password or ""):
        raise TransitionError(_("The password is not correct."), field="password")
    _sign_as_generator(manifest, actor, "password", timezone.now())
    manifest.status = Status.READY
    manifest.save()
    _record(manifest, "signed", actor, generator, policy.role_in(actor, generator), {"content_hash": manifest.content_hash}, context)
    notifications.notify(manifest, notifications.Kind.READY, [manifest.transporter_id, manifest.facility_id])
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest


@transaction.atomic
def cancel(actor, manifest, reason, context=audit.NO_CONTEXT):
    manifest = _lock(manifest)
    organisation = rules.check(actor, manifest, "cancel")
    if not (reason or "").strip():
        raise TransitionError(_("Give the reason for cancelling."), field="reason")
    was_visible_to_others = manifest.status != Status.DRAFT
    manifest.status = Status.CANCELLED
    manifest.cancelled_at = timezone.now()
    manifest.cancel_reason = reason.strip()
    manifest.save()
    _record(manifest, "cancelled", actor, organisation, policy.role_in(actor, organisation), {"reason": manifest.cancel_reason}, context)
    if was_visible_to_others:
        notifications.notify(manifest, notifications.Kind.CANCELLED, [manifest.transporter_id, manifest.facility_id])
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest


# --- signature codes ---------------------------------------------------------------------------------


@transaction.atomic
def rotate_signature_code(actor, organisation, context=audit.NO_CONTEXT):
    """Give the generator a new company signature code; returns the plain code, shown once."""
    if policy.role_in(actor, organisation) != Role.ADMIN:
        raise PermissionDenied(_("Only the organisation's administrator may change the signature code."))
    code = f"{secrets.randbelow(10**6):06d}"
    SignatureCode.objects.update_or_create(
        organisation=organisation,
        defaults={
            "code_hash": make_password(code),
            "failed_attempts": 0,
            "locked_until": None,
            "rotated_at": timezone.now(),
            "rotated_by": actor,
        },
    )
    audit.record(
        f"organisation:{organisation.pk}", "signature_code.rotated", actor=actor, organisation=organisation, role=Role.ADMIN, context=context
    )
    return code


class _WrongSignatureCode(Exception):
    def __init__(self, organisation_id):
        super().__init__(organisation_id)
        self.organisation_id = organisation_id


def _check_signature_code(organisation, code):
    """On the locked manifest: the generator's company code must be typed, valid and not locked.

    A wrong code raises _WrongSignatureCode: the caller counts it after the transition's rollback.
    """
    if not (code or "").strip():
        raise TransitionError(
            _("The generator has not signed yet: a person of the generator must type the company's signature code."),
            field="signature_code",
        )
    record = SignatureCode.objects.select_for_update().filter(organisation=organisation).first()
    if record is None:
        raise TransitionError(
            _("%(org)s has no signature code yet; its administrator must create one.") % {"org": organisation.name},
            field="signature_code",
        )
    if record.locked_until and record.locked_until > timezone.now():
        raise TransitionError(
            _("Too many wrong codes: the signature code of %(org)s is locked until %(time)s.")
            % {"org": organisation.name, "time": timezone.localtime(record.locked_until).strftime("%H:%M %d/%m/%Y")},
            field="signature_code",
        )
    if not check_password(code.strip(), record.code_hash):
        raise _WrongSignatureCode(organisation.pk)
    if record.failed_attempts:
        record.failed_attempts = 0
        record.save(update_fields=["failed_attempts"])


@transaction.atomic
def _count_wrong_signature_code(organisation_id):
    """Count a wrong code in its own transaction (the transition rolled back) and lock after too many."""
    record = SignatureCode.objects.select_for_update().get(organisation_id=organisation_id)
    record.failed_attempts += 1
    if record.failed_attempts >= settings.HWMS_SIGNATURE_CODE_MAX_ATTEMPTS:
        record.locked_until = timezone.now() + timedelta(minutes=settings.HWMS_SIGNATURE_CODE_LOCK_MINUTES)
        record.failed_attempts = 0
    record.save(update_fields=["failed_attempts", "locked_until"])


# --- transport ---------------------------------------------------------------------------------------


def pickup(actor, manifest, *, vehicle, quantities, latitude=None, longitude=None, accuracy_m=None, signature_code=None, idempotency_key=None, context=audit.NO_CONTEXT):
    """The driver takes the waste: vehicle, gate quantities per line, position; the generator's code if unsigned."""
    try:
        return _pickup(actor, manifest, vehicle, quantities, latitude, longitude, accuracy_m, signature_code, idempotency_key, context)
    except _WrongSignatureCode as wrong:
        _count_wrong_signature_code(wrong.organisation_id)
        raise TransitionError(_("The generator's signature code is not correct."), field="signature_code") from None


@transaction.atomic
def _pickup(actor, manifest, vehicle, quantities, latitude, longitude, accuracy_m, signature_code, idempotency_key, context):
    _claim_idempotency(actor, idempotency_key, "pickup", manifest.pk)
    manifest = _lock(manifest)
    transporter = rules.check(actor, manifest, "pickup")
    role = policy.role_in(actor, transporter)
    if vehicle is None or vehicle.organisation_id != manifest.transporter_id:
        raise TransitionError(_("Choose one of your organisation's vehicles."), field="vehicle")
    if not Vehicle.objects.filter(pk=vehicle.pk, active=True).exists():
        raise TransitionError(_("This vehicle is not active."), field="vehicle")
    # Decided on the locked row: a manifest sealed after the page was read still needs the generator's code.
    if manifest.generator_signed_at is None:
        _check_signature_code(manifest.generator, signature_code)
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
    ManifestLine.objects.bulk_update(lines, ["pickup_quantity_kg"])
    if manifest.generator_signed_at is None:
        _sign_as_generator(manifest, None, "company_code", now)
        _record(manifest, "signed", actor, manifest.generator, "company_code", {"method": "company_code", "content_hash": manifest.content_hash}, context)
    manifest.status = Status.IN_TRANSIT
    manifest.vehicle, manifest.driver, manifest.picked_up_at = vehicle, actor, now
    manifest.pickup_latitude, manifest.pickup_longitude, manifest.pickup_accuracy_m = latitude, longitude, accuracy_m
    manifest.save()
    _snapshot(manifest, "picked_up")
    _record(
        manifest,
        "picked_up",
        actor,
        transporter,
        role,
        {"vehicle": vehicle.plate, "quantities": {str(line.position): str(line.pickup_quantity_kg) for line in lines}},
        audit.RequestContext(context.ip, context.user_agent, latitude, longitude, accuracy_m),
    )
    notifications.notify(manifest, notifications.Kind.PICKED_UP, [manifest.generator_id, manifest.facility_id])
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
    manifest.save(update_fields=["status", "delivered_at", "updated_at"])
    _record(
        manifest, "delivered", actor, transporter, role, {}, audit.RequestContext(context.ip, context.user_agent, latitude, longitude, accuracy_m)
    )
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest


# --- facility ----------------------------------------------------------------------------------------


def is_discrepancy(line, received_quantity, received_code):
    """Beyond the tolerance (settings, %) of the reference quantity, or another waste code."""
    if received_code is not None and received_code.pk != line.waste_code_id:
        return True
    reference = line.reference_quantity_kg
    tolerance = reference * Decimal(settings.HWMS_QUANTITY_TOLERANCE_PERCENT) / Decimal(100)
    return abs(received_quantity - reference) > tolerance


@transaction.atomic
def receive(actor, manifest, *, lines, refuse_reason="", context=audit.NO_CONTEXT):
    """Record what arrived. `lines`: {line id: {"received_quantity_kg", "received_waste_code", "comment",
    "rejected", "rejection_reason"}}. A non-empty refuse_reason refuses the whole shipment."""
    manifest = _lock(manifest)
    role = policy.role_in(actor, rules.check(actor, manifest, "receive"))
    manifest_lines = _lines(manifest)
    now = timezone.now()
    if refuse_reason.strip():
        for line in manifest_lines:
            line.rejected, line.rejection_reason = True, refuse_reason.strip()
        ManifestLine.objects.bulk_update(manifest_lines, ["rejected", "rejection_reason"])
        manifest.status, manifest.rejection_reason = Status.REJECTED, refuse_reason.strip()
        manifest.received_by, manifest.received_at = actor, now
        manifest.has_rejection = True
        manifest.save()
        _snapshot(manifest, "rejected")
        _record(manifest, "rejected", actor, manifest.facility, role, {"reason": manifest.rejection_reason}, context)
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
    ManifestLine.objects.bulk_update(
        manifest_lines,
        ["received_quantity_kg", "received_waste_code", "discrepancy", "discrepancy_comment", "rejected", "rejection_reason"],
    )
    all_rejected = all(line.rejected for line in manifest_lines)
    manifest.has_discrepancy = any(line.discrepancy for line in manifest_lines)
    manifest.received_by, manifest.received_at = actor, now
    if all_rejected:
        manifest.status = Status.REJECTED
        manifest.rejection_reason = "; ".join(line.rejection_reason for line in manifest_lines)
    else:
        manifest.status = Status.RECEIVED
    manifest.has_rejection = any(line.rejected for line in manifest_lines)
    manifest.save()
    _snapshot(manifest, "received")
    summary = {
        str(line.position): {
            "received_kg": None if line.received_quantity_kg is None else str(line.received_quantity_kg),
            "code": line.received_waste_code.code if line.received_waste_code_id else None,
            "discrepancy": line.discrepancy,
            "rejected": line.rejected,
        }
        for line in manifest_lines
    }
    _record(manifest, "rejected" if all_rejected else "received", actor, manifest.facility, role, {"lines": summary}, context)
    recipients = [manifest.generator_id, manifest.transporter_id]
    if all_rejected or any(line.rejected for line in manifest_lines):
        notifications.notify(manifest, notifications.Kind.REJECTED, recipients, officials=True)
    if manifest.has_discrepancy:
        notifications.notify(manifest, notifications.Kind.DISCREPANCY, recipients, officials=True)
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest


@transaction.atomic
def treat(actor, manifest, *, lines, context=audit.NO_CONTEXT):
    """Record treatment per accepted line: {line id: {"treatment_method": TreatmentMethod, "treated_on": date}}.

    When every accepted line is treated the manifest is completed.
    """
    manifest = _lock(manifest)
    role = policy.role_in(actor, rules.check(actor, manifest, "treat"))
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
        elif method.pk not in permitted_methods:
            errors[f"line_{line.pk}"] = _("Method %(method)s is not permitted by permit %(permit)s.") % {"method": method.code, "permit": manifest.permit.number}
        elif code.code in uncovered:
            errors[f"line_{line.pk}"] = _("Permit %(permit)s does not cover waste code %(code)s.") % {"permit": manifest.permit.number, "code": code.code}
        elif not received_on <= treated_on <= today:
            errors[f"line_{line.pk}"] = _("The treatment date must be between the reception date and today.")
        else:
            line.treatment_method, line.treated_on = method, treated_on
            changed.append(line)
    if errors:
        raise TransitionError(_("Please correct the errors below."), errors=errors)
    if not changed:
        raise TransitionError(_("Record the treatment of at least one line."))
    ManifestLine.objects.bulk_update(changed, ["treatment_method", "treated_on"])
    _record(
        manifest,
        "treated",
        actor,
        manifest.facility,
        role,
        {str(line.position): {"method": line.treatment_method.code, "date": str(line.treated_on)} for line in changed},
        context,
    )
    if all(line.rejected or line.is_treated for line in manifest_lines):
        manifest.status = Status.COMPLETED
        manifest.completed_at = timezone.now()
        manifest.save()
        _snapshot(manifest, "completed")
        _record(manifest, "completed", actor, manifest.facility, role, {}, context)
        notifications.notify(manifest, notifications.Kind.COMPLETED, [manifest.generator_id, manifest.transporter_id])
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest


# --- revisions ---------------------------------------------------------------------------------------

@transaction.atomic
def request_revision(actor, manifest, *, changes, comment, context=audit.NO_CONTEXT):
    """Propose new values for a completed manifest: {line id: {field: value}} over rules.REVISABLE_FIELDS."""
    manifest = _lock(manifest)
    organisation = rules.check(actor, manifest, "request_revision")
    if not (comment or "").strip():
        raise TransitionError(_("Explain why the manifest must be revised."), field="comment")
    line_ids = set(manifest.lines.values_list("pk", flat=True))
    clean = {}
    for line_id, fields in changes.items():
        if int(line_id) not in line_ids:
            raise TransitionError(_("Unknown line."))
        kept = {name: _serialise(value) for name, value in fields.items() if name in rules.REVISABLE_FIELDS and value not in (None, "")}
        if kept:
            clean[str(line_id)] = kept
    if not clean:
        raise TransitionError(_("Propose at least one changed value."))
    if manifest.revisions.filter(state=Revision.State.PENDING).exists():
        raise TransitionError(_("A revision of this manifest is already awaiting approval."))
    revision = Revision.objects.create(
        manifest=manifest,
        base_version=manifest.version,
        requested_by=actor,
        requested_by_org=organisation,
        comment=comment.strip(),
        changes={"lines": clean},
    )
    RevisionDecision.objects.create(revision=revision, organisation=organisation, decided_by=actor, approved=True, comment="")
    _record(manifest, "revision.requested", actor, organisation, policy.role_in(actor, organisation), {"revision": revision.pk, "changes": clean, "comment": revision.comment}, context)
    others = [org_id for org_id in rules.parties(manifest) if org_id != organisation.pk]
    notifications.notify(manifest, notifications.Kind.REVISION_REQUESTED, others)
    if not others:
        _apply_revision(manifest, revision, actor, organisation, context)
    return revision


def _serialise(value):
    if isinstance(value, TreatmentMethod):
        return value.code
    return str(value)


@transaction.atomic
def decide_revision(actor, revision, *, approve, comment="", context=audit.NO_CONTEXT):
    manifest = _lock(revision.manifest)
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    if revision.state != Revision.State.PENDING:
        raise TransitionError(_("This revision has already been decided."))
    rules.check(actor, manifest, "decide_revision")
    org_id = rules.deciding_party(actor, manifest, revision)
    if org_id is None:
        raise PermissionDenied(rules.RULES["decide_revision"].refusal)
    organisation = rules.organisation(manifest, org_id)
    if not approve and not (comment or "").strip():
        raise TransitionError(_("Explain why you refuse the revision."), field="comment")
    RevisionDecision.objects.create(revision=revision, organisation=organisation, decided_by=actor, approved=approve, comment=(comment or "").strip())
    role = policy.role_in(actor, organisation)
    _record(manifest, "revision.approved" if approve else "revision.refused", actor, organisation, role, {"revision": revision.pk, "comment": comment}, context)
    if not approve:
        revision.state, revision.decided_at = Revision.State.REFUSED, timezone.now()
        revision.save(update_fields=["state", "decided_at"])
        notifications.notify(manifest, notifications.Kind.REVISION_DECIDED, rules.parties(manifest))
        return revision
    decided = set(revision.decisions.values_list("organisation_id", flat=True))
    if decided >= set(rules.parties(manifest)):
        _apply_revision(manifest, revision, actor, organisation, context)
    return revision


def _apply_revision(manifest, revision, actor, organisation, context):
    """All parties agreed: the proposal becomes the next version; the previous versions stay in the snapshots."""
    lines = {str(line.pk): line for line in manifest.lines.all()}
    methods = {m.code: m for m in TreatmentMethod.objects.all()}
    for line_id, fields in revision.changes["lines"].items():
        line = lines[line_id]
        for name, value in fields.items():
            if name == "treatment_method":
                line.treatment_method = methods[value]
            elif name == "treated_on":
                line.treated_on = date.fromisoformat(value)
            elif name == "received_quantity_kg":
                line.received_quantity_kg = Decimal(value)
            else:
                setattr(line, name, value)
        if not line.rejected and line.received_quantity_kg is not None:
            # A revised weight is judged like the weighing at reception; the revision's reason explains it.
            line.discrepancy = is_discrepancy(line, line.received_quantity_kg, line.received_waste_code)
            if line.discrepancy and not line.discrepancy_comment:
                line.discrepancy_comment = revision.comment
        line.save()
    manifest.version += 1
    had_discrepancy = manifest.has_discrepancy
    manifest.has_discrepancy = any(line.discrepancy for line in lines.values())
    manifest.save(update_fields=["version", "has_discrepancy", "updated_at"])
    access.sync(manifest)
    _snapshot(manifest, "revision")
    revision.state, revision.decided_at = Revision.State.APPROVED, timezone.now()
    revision.save(update_fields=["state", "decided_at"])
    _record(manifest, "revision.applied", actor, organisation, policy.role_in(actor, organisation) or "", {"revision": revision.pk, "version": manifest.version}, context)
    notifications.notify(manifest, notifications.Kind.REVISION_DECIDED, rules.parties(manifest))
    if manifest.has_discrepancy and not had_discrepancy:
        notifications.notify(manifest, notifications.Kind.DISCREPANCY, [manifest.generator_id, manifest.transporter_id], officials=True)


# --- overdue -----------------------------------------------------------------------------------------


def flag_overdue(now=None):
    """Flag manifests not completed N days (settings.HWMS_OVERDUE_DAYS) after pickup; safe to run twice."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.HWMS_OVERDUE_DAYS)
    flagged = 0
    candidates = Manifest.objects.filter(status__in=OPEN_AFTER_PICKUP, picked_up_at__lt=cutoff, overdue_since__isnull=True)
    for manifest_id in candidates.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            manifest = _lock(Manifest(pk=manifest_id))
            if manifest.overdue_since is not None or manifest.status not in OPEN_AFTER_PICKUP:
                continue
            manifest.overdue_since = now
            manifest.save(update_fields=["overdue_since", "updated_at"])
            access.sync(manifest)
            _record(manifest, "overdue.flagged", None, None, "system", {"days": settings.HWMS_OVERDUE_DAYS})
            notifications.notify(manifest, notifications.Kind.OVERDUE, [manifest.generator_id, manifest.facility_id], officials=True)
            flagged += 1
    return flagged
