"""Drafts: the parties' checks, the lines, create/update/append, then seal, sign, cancel and refuse."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, policy
from accounts.models import Permit
from common import sql

from .. import access, notifications, numbering, rules
from ..errors import TransitionError
from ..models import Manifest, ManifestLine, Status
from ._shared import LineInput, _check_ready, _lock, _record, _signature, _snapshot, _take_number


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
