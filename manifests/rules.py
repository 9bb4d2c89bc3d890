"""Who may do what to a manifest, in which status: the one table of the manifest's rules.

The services decide with it on the locked row (`check`), the selectors use it to show the actions a user may
take now (`may`), and the views guard their pages with it. Each rule names the statuses in which an action
applies and who may take it: a function that returns the id of the organisation the user acts for (None when
the user may not), so that the service records the event under that organisation.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from accounts import policy

from .errors import TransitionError
from .models import Status

ACT_ROLES = policy.ACT_ROLES
# What a revision of a completed manifest may change, per line.
REVISABLE_FIELDS = ("received_quantity_kg", "treatment_method", "treated_on", "description")
# Any authorised reader, not an organisation: officials and administrators read without acting for anyone.
READER = 0


def acts_for(user, org_id, site_id=None, roles=ACT_ROLES, manifest=None):
    """The user's role in the organisation allows the action, and a site-limited membership covers the site.

    `manifest`: the manifest the pair comes from; the locked one knows which of its party sites are active and
    their party's own (services._shared._lock reads it with the row), and the scope answers for those without a query."""
    if policy.role_in(user, org_id) not in roles:
        return False
    if site_id is None:
        return True
    checked = (org_id, site_id) in getattr(manifest, "active_party_sites", ())
    return policy.acts_at(user, site_id, organisation_id=org_id if checked else None)


def _first_acting(user, candidates, roles=ACT_ROLES, manifest=None):
    """The first organisation of (organisation id, site id or None) pairs for which the user acts."""
    return next((org_id for org_id, site_id in candidates if acts_for(user, org_id, site_id, roles, manifest)), None)


def _as_generator(manifest):
    return (manifest.generator_id, manifest.generator_site_id)


def _as_facility(manifest):
    return (manifest.facility_id, manifest.facility_site_id)


def _as_transporter(manifest):
    return (manifest.transporter_id, None)  # the transport is not tied to one of the transporter's sites


def _as_preparer(manifest):
    return _as_generator(manifest) if manifest.prepared_by_id == manifest.generator_id else _as_facility(manifest)


def party_candidates(manifest):
    """Each party once, with its site: a facility or generator that also transports acts through its site."""
    candidates = [_as_generator(manifest), _as_facility(manifest)]
    if manifest.transporter_id not in (manifest.generator_id, manifest.facility_id):
        candidates.insert(1, _as_transporter(manifest))
    return candidates


def parties(manifest):
    """Ids of the distinct organisations party to the manifest (a facility that transports counts once)."""
    return list(dict.fromkeys(org_id for org_id, _site in party_candidates(manifest)))


def _preparer(user, manifest):
    return _first_acting(user, [_as_preparer(manifest)], manifest=manifest)


def _generator(user, manifest):
    return _first_acting(user, [_as_generator(manifest)], manifest=manifest)


def _canceller(user, manifest):
    # Once signed, only the generator may withdraw it; before that, also the facility that prepared it.
    if manifest.status == Status.READY:
        return _first_acting(user, [_as_generator(manifest)], manifest=manifest)
    return _first_acting(user, [_as_generator(manifest), _as_preparer(manifest)], manifest=manifest)


def _refuser(user, manifest):
    # Only a manifest that another organisation prepared in the generator's name, by the generator's staff.
    if manifest.prepared_by_id == manifest.generator_id:
        return None
    return _first_acting(user, [_as_generator(manifest)], manifest=manifest)


def _transporter(user, manifest):
    return _first_acting(user, [_as_transporter(manifest)], policy.TRANSPORT_ROLES, manifest=manifest)


def _facility(user, manifest):
    return _first_acting(user, [_as_facility(manifest)], manifest=manifest)


def _party(user, manifest):
    return _first_acting(user, party_candidates(manifest), manifest=manifest)


def _certificate_reader(user, manifest):
    """The generator and the facility (viewers included), officials and administrators."""
    if policy.is_official(user) or policy.scope_for(user).is_admin:
        return READER
    return _first_acting(user, [(manifest.generator_id, None), (manifest.facility_id, None)], policy.FOLLOW_ROLES, manifest=manifest)


def _reader(user, manifest):
    return READER  # whoever may see the manifest (selectors.get_manifest_for_user) may read its copy


@dataclass(frozen=True)
class Rule:
    statuses: tuple
    who: Callable
    refusal: str


_ANY = tuple(Status.values)
_ROLE = _("Your role does not allow this action on this manifest.")

RULES = {
    "edit": Rule((Status.DRAFT,), _preparer, _("Only the organisation that prepared this draft may change it.")),
    "import_lines": Rule((Status.DRAFT,), _preparer, _("Only the organisation that prepared this draft may change it.")),
    "seal": Rule((Status.DRAFT,), _preparer, _ROLE),
    "sign": Rule((Status.DRAFT, Status.SEALED), _generator, _("Only the generator's staff may sign the handover.")),
    "pickup": Rule((Status.SEALED, Status.READY), _transporter, _("Only the transporter's staff may confirm the pickup.")),
    "deliver": Rule((Status.IN_TRANSIT,), _transporter, _("Only the transporter's staff may confirm the delivery.")),
    "receive": Rule((Status.IN_TRANSIT, Status.DELIVERED), _facility, _("Only the facility's staff may receive and treat this waste.")),
    "treat": Rule((Status.RECEIVED,), _facility, _("Only the facility's staff may receive and treat this waste.")),
    "cancel": Rule((Status.DRAFT, Status.SEALED, Status.READY), _canceller, _ROLE),
    # Before the generator signs and before the pickup: a manifest the generator never asked for ends here.
    "refuse": Rule((Status.SEALED,), _refuser, _("Only the generator named on a manifest another organisation prepared may refuse it.")),
    "follow_up": Rule((Status.REJECTED, Status.RECEIVED, Status.COMPLETED), _generator, _("Only the generator's staff may decide where a rejected load goes.")),
    "request_revision": Rule((Status.COMPLETED,), _party, _("Only the parties to this manifest may propose a revision.")),
    "decide_revision": Rule((Status.COMPLETED,), _party, _("Your organisation has no decision to take on this revision.")),
    "certificate": Rule((Status.COMPLETED,), _certificate_reader, _("The completion certificate is for the generator, the facility and the authorities.")),
    "pdf": Rule(_ANY, _reader, _ROLE),
}


def acting_organisation(user, manifest, action):
    """Id of the organisation for which the user may take the action (READER for reading rights), or None."""
    return RULES[action].who(user, manifest)


def may(user, manifest, action):
    """(the user may, the status allows) for one action."""
    rule = RULES[action]
    return rule.who(user, manifest) is not None, manifest.status in rule.statuses


def status_refusal(manifest):
    return _("This manifest is now “%(status)s”; the action is no longer possible.") % {"status": manifest.get_status_display()}


def check(user, manifest, action):
    """Run in the services on the locked row: the status first (TransitionError), then who (PermissionDenied).

    Returns the organisation the user acts for, one of the manifest's loaded parties.
    """
    rule = RULES[action]
    if manifest.status not in rule.statuses:
        raise TransitionError(status_refusal(manifest))
    org_id = rule.who(user, manifest)
    if org_id is None:
        raise PermissionDenied(rule.refusal)
    return organisation(manifest, org_id)


def organisation(manifest, org_id):
    """The party organisation with this id, from the manifest's loaded relations."""
    for party in (manifest.generator, manifest.facility, manifest.transporter):
        if party.pk == org_id:
            return party
    return None


def deciding_party(user, manifest, revision, decided=None):
    """Id of the party organisation for which the user may still approve or refuse the pending revision."""
    if revision.state != revision.State.PENDING:
        return None
    if decided is None:
        decided = {decision.organisation_id for decision in revision.decisions.all()}
    return _first_acting(user, [(org_id, site) for org_id, site in party_candidates(manifest) if org_id not in decided], manifest=manifest)
