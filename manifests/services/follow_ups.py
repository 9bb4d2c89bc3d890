"""Rejected loads: the follow-up manifest that takes a rejected load back to its generator or to another
facility."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, policy

from .. import access, notifications, numbering, rules
from ..errors import TransitionError
from ..models import FollowUp, Manifest, Status
from ._shared import LineInput, _lines, _lock, _reauthenticate, _record, _signature
from .drafts import _add_lines, _declared_kg, _sign_as_generator


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
