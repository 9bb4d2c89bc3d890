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
from django.db import OperationalError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, policy
from accounts.models import Membership, Permit, Site
from catalog.models import TreatmentMethod, WasteCode
from common import sql
from common.prepared import Prepared

from . import access, notifications, numbering, rules
from .content import content_hash, manifest_content
from .errors import AlreadyDone, TransitionError
from .models import (
    CapacityUsage,
    FollowUp,
    HandoverCode,
    HandoverEntryLock,
    IdempotencyRecord,
    Manifest,
    ManifestLine,
    ManifestSnapshot,
    Revision,
    RevisionDecision,
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
    # Planned at the handover; a draft may leave it open until it is sealed or signed.
    planned_method: TreatmentMethod | None = None
    planned_method_note: str = ""

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
    values = {"user_id": actor.pk, "key": key[:64], "action": action, "manifest_id": manifest_id, "created_at": timezone.now()}
    if sql.insert_unless_exists(IdempotencyRecord, values, ["user", "key"]) is None:
        raise AlreadyDone(IdempotencyRecord.objects.get(user=actor, key=key[:64]))


# The lock query and the lines: the same shapes on every transition, compiled once (common.prepared).
# FOR NO KEY UPDATE: transitions serialise on it, while rows that merely reference the manifest (lines,
# notifications, idempotency keys) are still checked at commit without waiting. Six tables, each by its primary
# key: the parties, the permit and the vehicle (checked and hashed by most transitions) come with the row, which
# alone is locked. Not the sites nor the provinces: with eight tables and more the join costs more to plan than
# to run.
_locked_manifest = Prepared(
    lambda pk: Manifest.objects.select_for_update(of=("self",), no_key=True)
    .select_related("permit", "vehicle", "generator", "facility", "transporter")
    .annotate(
        generator_site_ok=Exists(Site.objects.filter(pk=OuterRef("generator_site_id"), organisation=OuterRef("generator_id"), active=True)),
        facility_site_ok=Exists(Site.objects.filter(pk=OuterRef("facility_site_id"), organisation=OuterRef("facility_id"), active=True)),
    )
    .filter(pk=pk)
)
_manifest_lines = Prepared(
    lambda manifest_id: ManifestLine.objects.select_related("waste_code", "received_waste_code", "treatment_method", "planned_method")
    .filter(manifest_id=manifest_id)
    .order_by("position")
)


def _lock(manifest):
    """Lock the manifest row for the rest of the transaction; a long wait becomes a friendly 'busy'."""
    # The wait is bounded by the connection's lock_timeout (settings: HWMS_LOCK_TIMEOUT_SECONDS).
    try:
        rows = _locked_manifest(manifest.pk)
    except OperationalError as exc:
        raise TransitionError(_("Someone else is updating this manifest right now. Please try again in a moment.")) from exc
    if not rows:
        raise Manifest.DoesNotExist(f"manifest {manifest.pk}")
    (locked,) = rows
    # Which party sites are active and their party's own: rules.check answers for them from the actor's scope.
    locked.active_party_sites = {
        pair
        for pair, ok in (
            ((locked.generator_id, locked.generator_site_id), locked.generator_site_ok),
            ((locked.facility_id, locked.facility_site_id), locked.facility_site_ok),
        )
        if ok
    }
    locked._access_before = access.state(locked)  # lets access.sync move the rows without reading them
    return locked


def _lines(manifest):
    """The locked manifest's lines with their codes, read once per transition: the checks, the changes and the
    snapshot all use (and update) these objects, which manifest.lines.all() then gives (as a prefetch would)."""
    cache = manifest.__dict__.setdefault("_prefetched_objects_cache", {})
    if "lines" not in cache:
        lines = _manifest_lines(manifest.pk)
        for line in lines:
            line.manifest = manifest
        queryset = manifest.lines.all()
        queryset._result_cache, queryset._prefetch_done = lines, True
        cache["lines"] = queryset
    return list(cache["lines"])


def _record(manifest, action, actor, organisation, role, data=None, context=audit.NO_CONTEXT, new=False, also=(), after=None):
    """`new`: the manifest was created in this transaction, so is its chain. `also`: the transition's writes sent
    with the event in one round trip (the manifest's save_statement(), a snapshot). `after`: the event the
    transition recorded before on the manifest (audit.record)."""
    return audit.record(
        manifest.chain, action, actor=actor, organisation=organisation, role=role, data=data or {}, context=context, new_chain=new, also=also,
        after=after,
    )


def _signature(signer, organisation, method, digest):
    """What an event records of a signature: the person's position in the organisation at that moment, how they
    authenticated, and the hash of the content they signed (printed in the copy's signature blocks)."""
    position = policy.scope_for(signer).positions.get(organisation.pk)  # the signer's scope is read already
    if position is None:  # not a member of an active organisation: as it is recorded
        position = Membership.objects.filter(user=signer, organisation=organisation).values_list("position", flat=True).first()
    return {"method": method, "position": position or "", "content_hash": digest}


def _reauthenticate(actor, password):
    """A signature at the facility is a named person re-entering their password, not a logged-in click."""
    if not actor.check_password(password or ""):
        raise TransitionError(_("The password is not correct."), field="password")


def _snapshot(manifest, step):
    """The hash of the manifest's content now, and the (sql, params) writing its snapshot: give them to the step's
    audit event (_record(also=…)), which writes them in the same round trip."""
    content = manifest_content(manifest)
    digest = content_hash(content)
    snapshot = ManifestSnapshot(manifest=manifest, version=manifest.version, step=step, content=content, content_hash=digest)
    return digest, sql.insert_statement(ManifestSnapshot, [snapshot])


def _check_permit(manifest, on_date, codes=None):
    if manifest.is_return:
        return  # the load goes back to its generator: no treatment permit applies
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
    lines = _lines(manifest)
    if not lines:
        raise TransitionError(_("Add at least one waste line before signing."))
    _check_permit(manifest, manifest.planned_pickup_date)
    if manifest.is_return:
        return
    permitted = set(manifest.permit.treatment_methods.values_list("pk", flat=True))
    errors = {}
    for line in lines:
        message = _method_refusal(line.planned_method, line.planned_method_note, permitted, manifest.permit)
        if message:
            errors[f"line_{line.pk}"] = _("Line %(number)s: %(message)s") % {"number": line.position, "message": message}
    if errors:
        raise TransitionError(" ".join(errors.values()), errors=errors)


def _method_refusal(method, note, permitted, permit):
    """Why a (planned or actual) treatment method cannot be recorded, or None."""
    if method is None:
        return _("choose the planned treatment method.")
    if method.pk not in permitted:
        return _("Method %(method)s is not permitted by permit %(permit)s.") % {"method": method.code, "permit": permit.number}
    if method.is_other and not (note or "").strip():
        return _("describe the method in words when choosing “Other”.")
    return None


def _take_number(manifest):
    """A draft takes its official number when it is sealed or signed (numbering: gap-free per province and year)."""
    if not manifest.has_official_number:
        manifest.number = numbering.next_number(manifest.province_id)


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
    # A deactivated organisation takes part in nothing, whatever its sites' own flags say.
    if not (generator_site.organisation.is_generator and generator_site.organisation.active and generator_site.active):
        errors["generator_site"] = _("This site is not an active generator site.")
    if not (facility_site.organisation.is_facility and facility_site.organisation.active and facility_site.active):
        errors["facility_site"] = _("This site is not an active treatment facility.")
    if permit.site_id != facility_site.pk:
        errors["permit"] = _("The permit does not belong to the receiving facility site.")
    errors.update(_transport_refusal(transporter, generator_site.organisation))
    if errors:
        raise TransitionError(_("Please correct the errors below."), errors=errors)
    return preparer


def _transport_refusal(transporter, generator):
    """Decree 08/2022: the generator carries its own waste, or a facility whose permit covers the transport."""
    if not transporter.active:
        return {"transporter": _("This organisation is not active.")}
    if transporter.pk == generator.pk:
        return {}
    if not transporter.is_transporter or not Permit.transport_permits(transporter.pk).exists():
        return {
            "transporter": _(
                "%(org)s holds no environmental permit in force that covers hazardous waste transport: choose a licensed transporter, or your own organisation."
            )
            % {"org": transporter.name}
        }
    return {}


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


def _check_lines(lines):
    if not lines:
        raise TransitionError(_("Add at least one waste line."))
    for number, line in enumerate(lines, start=1):
        if line.waste_code.is_ordinary:
            raise TransitionError(line.waste_code.ordinary_refusal())
        if line.quantity_kg is None or line.quantity_kg <= 0:
            raise TransitionError(_("Line %(number)s: the quantity must be greater than 0 kg.") % {"number": number})
        if not line.packaging_count or line.packaging_count < 1:
            raise TransitionError(_("Line %(number)s: give at least one package.") % {"number": number})


def _declared_kg(lines):
    return sum((line.quantity_kg for line in lines), Decimal(0))


def _new_lines(manifest, lines):
    return [line.as_line(manifest, position) for position, line in enumerate(lines, start=1)]


def _add_lines(manifest, lines):
    ManifestLine.objects.bulk_create(_new_lines(manifest, lines))


def _write_lines(manifest, lines):
    """Replace the draft's lines and store their declared total on the manifest (lists show it)."""
    manifest.lines.all().delete()
    _add_lines(manifest, lines)
    manifest.declared_kg = _declared_kg(lines)
    manifest.save(update_fields=["declared_kg", "updated_at"])


@transaction.atomic
def create_draft(actor, *, generator_site, facility_site, permit, transporter, planned_pickup_date, lines, note="", context=audit.NO_CONTEXT):
    preparer = _check_parties(actor, generator_site, facility_site, permit, transporter)
    _check_lines(lines)
    role = policy.role_in(actor, preparer)
    manifest = Manifest.objects.create(
        number=numbering.draft_reference(),
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
        declared_kg=_declared_kg(lines),  # lists show it
    )
    new_lines = sql.insert_statement(ManifestLine, _new_lines(manifest, lines))  # sent with the event
    _record(manifest, "created", actor, preparer, role, {"number": manifest.number, "lines": len(lines)}, context, new=True, also=[new_lines])
    access.sync(manifest, created=True)  # last: the counters' row locks are held only until the commit
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
    _take_number(manifest)
    manifest.status = Status.SEALED
    manifest.save(update_fields=["number", "status", "updated_at"])
    _record(manifest, "sealed", actor, preparer, policy.role_in(actor, preparer), {"number": manifest.number}, context)
    # A manifest prepared by another organisation in the generator's name: the generator is warned, and may
    # sign it or refuse it (refuse) before anyone picks the waste up.
    prepared_by_other = manifest.prepared_by_id != manifest.generator_id
    kind = notifications.Kind.PREPARED_FOR_YOU if prepared_by_other else notifications.Kind.AWAITING_SIGNATURE
    notifications.notify(manifest, kind, [manifest.generator_id])
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest


def _sign_as_generator(manifest, signer, method, when):
    _check_ready(manifest)
    _take_number(manifest)
    manifest.generator_signed_by = signer
    manifest.generator_signed_at = when
    manifest.generator_signature_method = method
    manifest.content_hash, snapshot = _snapshot(manifest, "generator_signed")
    return snapshot


@transaction.atomic
def sign(actor, manifest, password, context=audit.NO_CONTEXT):
    """The generator signs the handover, re-entering the password; the signed content is frozen."""
    manifest = _lock(manifest)
    generator = rules.check(actor, manifest, "sign")
    if not actor.check_password(password or ""):
        raise TransitionError(_("The password is not correct."), field="password")
    snapshot = _sign_as_generator(manifest, actor, "password", timezone.now())
    manifest.status = Status.READY
    signature = _signature(actor, generator, "password", manifest.content_hash)
    _record(manifest, "signed", actor, generator, policy.role_in(actor, generator), signature, context, also=[manifest.save_statement(), snapshot])
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


@transaction.atomic
def refuse(actor, manifest, reason, context=audit.NO_CONTEXT):
    """The generator refuses a manifest that another organisation prepared in its name, before it is signed or
    picked up. The manifest ends as cancelled (nothing moved: "rejected" is the facility's refusal of a load that
    arrived, and starts a return or a redirect), marked as refused by the generator, with its reason; the
    preparer and the transporter are told."""
    manifest = _lock(manifest)
    generator = rules.check(actor, manifest, "refuse")
    if not (reason or "").strip():
        raise TransitionError(_("Give the reason for refusing."), field="reason")
    manifest.status = Status.CANCELLED
    manifest.cancelled_at = timezone.now()
    manifest.cancel_reason = reason.strip()
    manifest.refused_by_generator = True
    manifest.save()
    _record(
        manifest,
        "refused",
        actor,
        generator,
        policy.role_in(actor, generator),
        {"reason": manifest.cancel_reason, "prepared_by": manifest.prepared_by_id},
        context,
    )
    notifications.notify(manifest, notifications.Kind.REFUSED, [manifest.prepared_by_id, manifest.transporter_id])
    access.sync(manifest)  # last: the counters' row locks are held only until the commit
    return manifest


# --- handover codes ----------------------------------------------------------------------------------


def handover_signers(manifest):
    """Generator members who may hand this manifest's waste over at the gate with their personal code."""
    memberships = (
        Membership.objects.filter(organisation_id=manifest.generator_id, role__in=policy.ACT_ROLES, user__is_active=True, handover_code__isnull=False)
        .select_related("user")
        .prefetch_related("sites")
        .order_by("user__full_name", "user__username")
    )
    return [m for m in memberships if not m.sites.all() or any(site.pk == manifest.generator_site_id for site in m.sites.all())]


@transaction.atomic
def set_handover_code(actor, organisation, password, context=audit.NO_CONTEXT):
    """The member's own new personal handover code for the organisation (re-entering the password); returns the
    plain code, shown once. The previous code stops working and any lock is lifted."""
    membership = Membership.objects.filter(user=actor, organisation=organisation, role__in=policy.ACT_ROLES).first()
    if membership is None or not organisation.is_generator:
        raise PermissionDenied(_("Only the generator's staff hand waste over and hold a handover code."))
    _reauthenticate(actor, password)
    code = f"{secrets.randbelow(10**6):06d}"
    HandoverCode.objects.update_or_create(
        membership=membership,
        defaults={"code_hash": make_password(code), "failed_attempts": 0, "locked_until": None, "rotated_at": timezone.now()},
    )
    audit.record(f"organisation:{organisation.pk}", "handover_code.set", actor=actor, organisation=organisation, role=membership.role, context=context)
    return code


class _WrongHandoverCode(Exception):
    def __init__(self, code_id):
        super().__init__(code_id)
        self.code_id = code_id


def _lock_time(until):
    return timezone.localtime(until).strftime("%H:%M %d/%m/%Y")


def _check_entry_lock(driver):
    """The driver's account may still type handover codes (HandoverEntryLock)."""
    lock = HandoverEntryLock.objects.filter(user=driver, locked_until__gt=timezone.now()).first()
    if lock is not None:
        raise TransitionError(
            _(
                "Too many wrong handover codes were typed from this account: code entry is locked until %(time)s. "
                "The generator's staff can sign the handover on the portal instead."
            )
            % {"time": _lock_time(lock.locked_until)},
            field="handover_code",
        )


def _check_handover_code(manifest, person, code):
    """On the locked manifest: the person chosen at the gate is one of the generator's signers and typed their own
    valid, unlocked code. Returns that person's membership. A wrong code raises _WrongHandoverCode: the caller
    counts it after the transition's rollback."""
    if person is None:
        raise TransitionError(
            _("The generator has not signed yet: choose the person handing the waste over."), field="handover_by"
        )
    if not (code or "").strip():
        raise TransitionError(_("The person handing the waste over must type their handover confirmation code."), field="handover_code")
    membership = next((m for m in handover_signers(manifest) if m.user_id == person.pk), None)
    if membership is None:
        raise TransitionError(_("This person may not hand over this manifest's waste."), field="handover_by")
    record = HandoverCode.objects.select_for_update().get(membership=membership)
    if record.locked_until and record.locked_until > timezone.now():
        raise TransitionError(
            _("Too many wrong codes: the handover confirmation code of %(person)s is locked until %(time)s.")
            % {"person": person.display_name, "time": _lock_time(record.locked_until)},
            field="handover_code",
        )
    if not check_password(code.strip(), record.code_hash):
        raise _WrongHandoverCode(record.pk)
    if record.failed_attempts:
        record.failed_attempts = 0
        record.save(update_fields=["failed_attempts"])
    return membership


def _count_failure(record, max_attempts, lock_minutes):
    record.failed_attempts += 1
    if record.failed_attempts >= max_attempts:
        record.locked_until = timezone.now() + timedelta(minutes=lock_minutes)
        record.failed_attempts = 0
    record.save(update_fields=["failed_attempts", "locked_until"])


@transaction.atomic
def _count_wrong_handover_code(code_id, driver):
    """Count a wrong code in its own transaction (the transition rolled back), twice: against the person's code
    (locked after HWMS_SIGNATURE_CODE_MAX_ATTEMPTS: one person's code, never the whole company's) and against the
    driver's account that typed it (locked after HWMS_HANDOVER_ENTRY_MAX_ATTEMPTS, fewer: one account alone
    cannot lock a person's code, it locks itself first)."""
    entry, _created = HandoverEntryLock.objects.select_for_update().get_or_create(user=driver)
    _count_failure(entry, settings.HWMS_HANDOVER_ENTRY_MAX_ATTEMPTS, settings.HWMS_HANDOVER_ENTRY_LOCK_MINUTES)
    record = HandoverCode.objects.select_for_update().get(pk=code_id)
    _count_failure(record, settings.HWMS_SIGNATURE_CODE_MAX_ATTEMPTS, settings.HWMS_SIGNATURE_CODE_LOCK_MINUTES)


# --- transport ---------------------------------------------------------------------------------------


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


# --- facility ----------------------------------------------------------------------------------------


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


# --- rejected loads ----------------------------------------------------------------------------------


@transaction.atomic
def create_follow_up(actor, original, *, kind, password, facility_site=None, permit=None, planned_method=None, planned_method_note="", context=audit.NO_CONTEXT):
    """A rejected load still on the truck goes somewhere: back to its generator (FollowUp.RETURN) or to another
    licensed facility (FollowUp.REDIRECT). The generator signs a new manifest of the rejected lines, linked to the
    first and carried by the same transporter; it then follows its own chain (pickup at the refusing facility,
    delivery, receipt)."""
    original = _lock(original)
    generator = rules.check(actor, original, "follow_up")
    _reauthenticate(actor, password)
    rejected = [line for line in _lines(original) if line.rejected]
    if not rejected:
        raise TransitionError(_("Nothing of this manifest was rejected."))
    if Manifest.objects.filter(origin=original).exists():
        raise TransitionError(_("The rejected load of this manifest already has a follow-up manifest."))
    if kind == FollowUp.RETURN:
        facility_site, permit = original.generator_site, None
    elif kind == FollowUp.REDIRECT:
        errors = {}
        if facility_site is None or not facility_site.organisation.is_facility or not facility_site.active:
            errors["facility_site"] = _("Choose another licensed treatment facility.")
        elif facility_site.pk == original.facility_site_id:
            errors["facility_site"] = _("Choose a facility other than the one that refused the waste.")
        elif permit is None or permit.site_id != facility_site.pk:
            errors["permit"] = _("The permit does not belong to the receiving facility site.")
        if errors:
            raise TransitionError(_("Please correct the errors below."), errors=errors)
    else:
        raise TransitionError(_("Choose whether the waste returns to the generator or goes to another facility."), field="kind")
    manifest = Manifest.objects.create(
        number=numbering.draft_reference(),
        generator=original.generator,
        generator_site=original.generator_site,
        facility=facility_site.organisation,
        facility_site=facility_site,
        permit=permit,
        transporter=original.transporter,
        prepared_by=original.generator,
        province_id=original.province_id,
        facility_province_id=facility_site.province_id,
        planned_pickup_date=timezone.localdate(),
        note=_("Rejected load of manifest %(number)s.") % {"number": original.number},
        created_by=actor,
        origin=original,
        origin_kind=kind,
    )
    lines = [
        LineInput(
            waste_code=line.received_waste_code or line.waste_code,
            description=line.description,
            physical_state=line.physical_state,
            packaging_type=line.packaging_type,
            packaging_count=line.packaging_count,
            quantity_kg=line.received_quantity_kg or line.pickup_quantity_kg or line.quantity_kg,
            planned_method=None if kind == FollowUp.RETURN else planned_method,
            planned_method_note="" if kind == FollowUp.RETURN else (planned_method_note or "").strip(),
        )
        for line in rejected
    ]
    _add_lines(manifest, lines)
    manifest.declared_kg = _declared_kg(lines)  # saved with the signature below
    manifest.generator, manifest.facility, manifest.transporter = original.generator, facility_site.organisation, original.transporter
    created = _record(
        manifest, "created", actor, generator, policy.role_in(actor, generator), {"origin": original.number, "kind": kind, "lines": len(lines)}, context, new=True
    )
    snapshot = _sign_as_generator(manifest, actor, "password", timezone.now())
    manifest.status = Status.READY
    signature = _signature(actor, generator, "password", manifest.content_hash)
    _record(manifest, "signed", actor, generator, policy.role_in(actor, generator), signature, context, also=[manifest.save_statement(), snapshot], after=created)
    _record(original, "follow_up.created", actor, generator, policy.role_in(actor, generator), {"follow_up": manifest.number, "kind": kind}, context)
    notifications.notify(manifest, notifications.Kind.READY, [manifest.transporter_id, manifest.facility_id])
    notifications.notify(original, notifications.Kind.FOLLOW_UP, [original.transporter_id, original.facility_id], officials=True)
    access.sync(manifest, created=True)  # last: the counters' row locks are held only until the commit
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
    _digest, snapshot = _snapshot(manifest, "revision")
    revision.state, revision.decided_at = Revision.State.APPROVED, timezone.now()
    revision.save(update_fields=["state", "decided_at"])
    data = {"revision": revision.pk, "version": manifest.version}
    _record(manifest, "revision.applied", actor, organisation, policy.role_in(actor, organisation) or "", data, context, also=[snapshot])
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
