"""What the transitions share: the lines' input, the idempotency claim, the manifest's lock and its lines, the
audit event, the signature and the snapshot, the permit checks, the official number."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import OperationalError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, policy
from accounts.models import Membership, Site
from catalog.models import TreatmentMethod, WasteCode
from common import sql
from common.prepared import Prepared, prefetched

from .. import access, numbering
from ..content import content_hash, manifest_content
from ..errors import AlreadyDone, TransitionError
from ..models import IdempotencyRecord, Manifest, ManifestLine, ManifestSnapshot


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
    if "lines" not in getattr(manifest, "_prefetched_objects_cache", {}):
        prefetched(manifest, "lines", _manifest_lines(manifest.pk), "manifest")
    return list(manifest.lines.all())


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
