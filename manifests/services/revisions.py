"""Revisions of a completed manifest: proposed by a party, decided by the others, applied as the next version."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, policy
from catalog.models import TreatmentMethod

from .. import access, notifications, rules
from ..errors import TransitionError
from ..models import Revision, RevisionDecision
from ._shared import _lock, _record, _snapshot
from .facility import is_discrepancy


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
