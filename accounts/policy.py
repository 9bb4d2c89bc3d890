"""The one access policy: which organisations, sites and provinces a user may see or act for.

Every view and query goes through these functions. An object outside the user's scope answers 404
(its existence is not disclosed); a role too low for an action inside the scope answers 403.

Who sees what:
- administrator (is_staff): everything;
- central official (jurisdiction without province): everything, read only;
- provincial official: what is located in the province, read only;
- organisation members: their organisations; a membership limited to some sites sees only those sites.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import Http404
from django.utils.translation import gettext as _

from common.prepared import Prepared

from .models import Jurisdiction, Membership, Organisation, Site

Role = Membership.Role
ACT_ROLES = frozenset({Role.ADMIN, Role.MEMBER})
ALL_ROLES = frozenset(Role.values)
# Who works the transport (drivers and the transporter's staff); who follows an organisation's manifests.
TRANSPORT_ROLES = frozenset({Role.DRIVER, Role.MEMBER, Role.ADMIN})
FOLLOW_ROLES = frozenset({Role.ADMIN, Role.MEMBER, Role.VIEWER})


@dataclass
class Scope:
    """What one user may reach, computed once per request (a user has few memberships)."""

    is_admin: bool = False
    national: bool = False
    province_id: int | None = None
    # organisation id -> role
    roles: dict = field(default_factory=dict)
    # organisation id -> frozenset of site ids the membership is limited to (absent: all sites)
    site_limits: dict = field(default_factory=dict)
    # organisation id -> Organisation (kinds: is_generator / is_transporter / is_facility)
    organisations: dict = field(default_factory=dict)
    # organisation id -> the user's position there (printed in signature blocks)
    positions: dict = field(default_factory=dict)

    @property
    def is_official(self):
        return self.national or self.province_id is not None

    @property
    def sees_everything(self):
        return self.is_admin or self.national


# One row per membership and site it is limited to: one query on every request, compiled once (common.prepared).
_memberships = Prepared(
    lambda user_id: Membership.objects.filter(user_id=user_id, organisation__active=True).select_related("organisation").annotate(limited_to=F("sites"))
)


def scope_for(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cached = getattr(user, "_hwms_scope", None)
    if cached is not None:
        return cached
    scope = Scope(is_admin=user.is_staff or user.is_superuser)
    try:
        # Loaded with the user by accounts.backends.PortalBackend; otherwise one query, cached on the user.
        jurisdiction = user.jurisdiction
    except Jurisdiction.DoesNotExist:
        jurisdiction = None
    if jurisdiction is not None:
        scope.national = jurisdiction.province_id is None
        scope.province_id = jurisdiction.province_id
    limits = {}
    for membership in _memberships(user.pk):
        scope.roles[membership.organisation_id] = membership.role
        scope.organisations[membership.organisation_id] = membership.organisation
        scope.positions[membership.organisation_id] = membership.position
        if membership.limited_to is not None:
            limits.setdefault(membership.organisation_id, set()).add(membership.limited_to)
    scope.site_limits = {org_id: frozenset(sites) for org_id, sites in limits.items()}
    user._hwms_scope = scope
    return scope


def forget_scope(user):
    """Drop the cached scope after memberships change within the same request."""
    for cached in ("_hwms_scope", "_hwms_actable_site_ids"):
        if hasattr(user, cached):
            delattr(user, cached)


def organisations_with(user, kind, roles=ALL_ROLES):
    """The user's organisations of a kind ("generator", "transporter", "facility") where the role is in roles."""
    scope = scope_for(user)
    return [org for org_id, org in scope.organisations.items() if getattr(org, f"is_{kind}") and scope.roles[org_id] in roles]


def role_in(user, organisation):
    org_id = getattr(organisation, "pk", organisation)
    return scope_for(user).roles.get(org_id)


def _member_site_q(scope, site_path, roles):
    prefix = f"{site_path}__" if site_path else ""
    q = Q(pk__in=[])
    for org_id, role in scope.roles.items():
        if role not in roles:
            continue
        limited = scope.site_limits.get(org_id)
        if limited:
            q |= Q(**{f"{prefix}pk__in": limited})
        else:
            q |= Q(**{f"{prefix}organisation_id": org_id})
    return q


def site_q(user, site_path="", roles=ALL_ROLES, for_action=False):
    """Q over a model reaching a Site by `site_path` ("" for Site itself): the sites the user may see.

    With for_action, officials and administrators get nothing: acting for a site is for its members.
    """
    scope = scope_for(user)
    if not for_action:
        if scope.sees_everything:
            return Q()
        q = _member_site_q(scope, site_path, roles)
        if scope.province_id is not None:
            prefix = f"{site_path}__" if site_path else ""
            q |= Q(**{f"{prefix}province_id": scope.province_id})
        return q
    return _member_site_q(scope, site_path, roles)


def visible_sites(user):
    return Site.objects.filter(site_q(user)).select_related("organisation", "province", "ward").distinct()


def actable_sites(user, roles=ACT_ROLES):
    """Sites the user may file or sign for (members with an acting role, within any site limit)."""
    return Site.objects.filter(site_q(user, roles=roles, for_action=True), active=True).select_related(
        "organisation", "province"
    )


def acts_at(user, site_id, organisation_id=None):
    """Whether the user may act for the site (actable_sites); the ids are read once per request.

    `organisation_id`: the caller has read that the site is active and belongs to this organisation (the status
    machine does, with the manifest it locks): the scope answers as actable_sites would, without a query."""
    if organisation_id is not None:
        scope = scope_for(user)
        limited = scope.site_limits.get(organisation_id)
        return scope.roles.get(organisation_id) in ACT_ROLES and (not limited or site_id in limited)
    ids = getattr(user, "_hwms_actable_site_ids", None)
    if ids is None:
        ids = frozenset(actable_sites(user).values_list("pk", flat=True))
        user._hwms_actable_site_ids = ids
    return site_id in ids


def visible_organisations(user):
    scope = scope_for(user)
    if scope.sees_everything:
        return Organisation.objects.all()
    q = Q(pk__in=list(scope.roles))
    if scope.province_id is not None:
        q |= Q(sites__province_id=scope.province_id)
    return Organisation.objects.filter(q).distinct()


def managed_organisations(user):
    """Organisations whose members and sites the user administers from the ordinary pages."""
    scope = scope_for(user)
    return Organisation.objects.filter(pk__in=[org for org, role in scope.roles.items() if role == Role.ADMIN])


def visible_province_ids(user):
    """None means every province."""
    scope = scope_for(user)
    if scope.sees_everything:
        return None
    if scope.province_id is not None:
        return {scope.province_id}
    return set(visible_sites(user).values_list("province_id", flat=True))


# --- lookups that answer 404 outside the scope, 403 for a role too low -------------------------------


def get_organisation_for_user(user, pk, manage=False):
    organisation = visible_organisations(user).filter(pk=pk).first()
    if organisation is None:
        raise Http404(_("Organisation not found."))
    if manage and not can_manage_organisation(user, organisation):
        raise PermissionDenied(_("Only the organisation's administrators may do this."))
    return organisation


def get_site_for_user(user, pk, manage=False):
    site = visible_sites(user).filter(pk=pk).first()
    if site is None:
        raise Http404(_("Site not found."))
    if manage and not can_manage_organisation(user, site.organisation):
        raise PermissionDenied(_("Only the organisation's administrators may do this."))
    return site


def can_manage_organisation(user, organisation):
    return role_in(user, organisation) == Role.ADMIN


def is_official(user):
    return scope_for(user).is_official


# --- manifests -----------------------------------------------------------------------------------------
# The rule of who reads which manifest, as a Q over the manifest's fields; the manifests app applies it
# (manifests.selectors.visible_manifests), so this module never names that app.

# A draft's temporary reference starts with this (manifests.numbering); a manifest cancelled while it still carries
# one was never sent to anyone: like a draft, it stays private to the organisation that prepared it.
DRAFT_REFERENCE_PREFIX = "NHAP-"
PRIVATE = Q(status="draft") | Q(status="cancelled", number__startswith=DRAFT_REFERENCE_PREFIX)
NOT_DRAFT = ~PRIVATE
# The scopes of the manifests' access index (manifests.models.ManifestAccess): an organisation, a province, the
# country. Defined here, with the rule they materialise.
SCOPE_ORGANISATION, SCOPE_PROVINCE, SCOPE_COUNTRY = 1, 2, 3


def _party_q(scope, org_field, site_field):
    """Manifests where one of the user's organisations takes part as `org_field`, within any site limit."""
    q = Q(pk__in=[])
    for org_id in scope.roles:
        limited = scope.site_limits.get(org_id)
        q |= Q(**{f"{site_field}__in": limited}) if limited else Q(**{org_field: org_id})
    return q


def manifest_q(user):
    """Manifests the user may read: the rule.

    A draft — or a draft cancelled before it was ever sent — is seen only by the organisation preparing it (within
    any site limit). Past the draft: the parties
    (generator and facility members within their site limits, every member of the transporter), officials of the
    generator's or the facility's province, central officials and administrators. Only the manifest's own
    columns are used, so that a lookup by id stays a single-table query.
    """
    scope = scope_for(user)
    generator = _party_q(scope, "generator_id", "generator_site_id")
    facility = _party_q(scope, "facility_id", "facility_site_id")
    drafts = PRIVATE & ((Q(prepared_by=F("generator")) & generator) | (Q(prepared_by=F("facility")) & facility))
    if scope.sees_everything:
        return NOT_DRAFT | drafts
    return (NOT_DRAFT & _shared_q(scope, generator, facility)) | drafts


def _shared_q(scope, generator, facility):
    """Past the draft, for whoever does not see everything: the parties and the official's province."""
    visible = generator | facility | Q(transporter_id__in=list(scope.roles))
    if scope.province_id is not None:
        visible |= Q(province_id=scope.province_id) | Q(facility_province_id=scope.province_id)
    return visible


def parties_q(user):
    """The reading rule past the draft, over any model that carries a manifest's parties and provinces under the
    manifest's own column names (generator, generator_site, facility, facility_site, transporter, province,
    facility_province): the statistics rollups by parties (stats.models.PartyFlow), which hold no draft."""
    scope = scope_for(user)
    if scope.sees_everything:
        return Q()
    return _shared_q(scope, _party_q(scope, "generator_id", "generator_site_id"), _party_q(scope, "facility_id", "facility_site_id"))


def manifest_access_q(user):
    """The same rule over the access index (manifests.models.ManifestAccess), for lists and counts: one index
    walk per scope instead of an OR across the manifest's columns."""
    scope = scope_for(user)
    q = Q(pk__in=[])
    for org_id in scope.roles:
        limited = scope.site_limits.get(org_id)
        row = Q(kind=SCOPE_ORGANISATION, ref=org_id)
        if limited:
            row &= Q(transports=True) | Q(site_id__in=limited) | Q(other_site_id__in=limited)
        if scope.sees_everything:
            row &= Q(status="draft")  # the rest comes through the country
        q |= row
    if scope.sees_everything:
        q |= Q(kind=SCOPE_COUNTRY, ref=0)
    elif scope.province_id is not None:
        q |= Q(kind=SCOPE_PROVINCE, ref=scope.province_id)
    return q


def counter_scopes(user):
    """The (kind, ref) scopes whose counters add up to the user's manifests, or None when the user's scope is
    not a union of whole scopes (a member limited to some sites): then counts are taken from the rows."""
    scope = scope_for(user)
    if scope.sees_everything:
        return [(SCOPE_COUNTRY, 0)]
    if scope.site_limits:
        return None
    scopes = [(SCOPE_ORGANISATION, org_id) for org_id in scope.roles]
    if scope.province_id is not None:
        scopes.append((SCOPE_PROVINCE, scope.province_id))
    return scopes
