"""The draft form's choices: the parties a user may pick when preparing a manifest, and the search that replaces a
party's list when it is long (the counterparty search). Read queries only; the services check again on save."""

from django.db.models import Q
from django.utils import timezone

from accounts import policy
from accounts.models import Organisation, Permit, Site

from .selectors import can_create


def active_generator_sites():
    return Site.objects.filter(active=True, organisation__active=True, organisation__is_generator=True).select_related("organisation")


def active_facility_sites():
    return Site.objects.filter(active=True, organisation__active=True, organisation__is_facility=True).select_related("organisation")


def active_transporters(user=None):
    """Who may carry a manifest's waste (Decree 08/2022): transporters holding a permit in force that covers
    hazardous waste transport, and the user's own generator organisations (self-transport)."""
    licensed = Q(is_transporter=True, pk__in=Permit.transport_permits().values("site__organisation_id"))
    own = Q(is_generator=True, pk__in=list(policy.scope_for(user).roles)) if user is not None else Q(pk__in=[])
    return Organisation.objects.filter(licensed | own, active=True).order_by("name")


def draft_choices(user):
    """(generator sites, facility sites) offered on the draft form.

    Generator staff: their own generator sites, any active facility. Facility staff preparing on a
    generator's behalf: any active generator site, their own facility sites. Someone in both kinds of
    organisation gets the union; the services decide who prepares from the pair chosen.
    """
    actable = policy.actable_sites(user)
    own_generator = actable.filter(organisation__is_generator=True)
    own_facility = actable.filter(organisation__is_facility=True)
    has_generator, has_facility = own_generator.exists(), own_facility.exists()
    generator_sites = active_generator_sites() if has_facility else own_generator
    facility_sites = active_facility_sites() if has_generator else own_facility
    order = ("organisation__name", "name")
    return generator_sites.order_by(*order), facility_sites.order_by(*order)


# --- counterparty search (the draft form's long lists) -----------------------------------------------------

# Above this many choices a party field of the draft form lists only the chosen one and is searched instead.
COUNTERPARTY_LIST_LIMIT = 50
# At most this many matches per search; a search needs this many characters.
COUNTERPARTY_RESULTS = 20
COUNTERPARTY_MIN_CHARS = 2
COUNTERPARTY_ROLES = ("generator_site", "facility_site", "transporter", "permit")


def counterparty_choices(user, role, site=None):
    """The choices the user's draft form would accept for one party field — the same querysets as the form's —
    narrowed to what may be chosen today: facility sites with a permit in force, licensed transporters, active
    generator sites; the permits in force of one facility site. None when the form offers the user no such
    field (a generator does not pick a generator site among others: only its own)."""
    if role not in COUNTERPARTY_ROLES or not can_create(user):
        return None
    generator_sites, facility_sites = draft_choices(user)
    today = timezone.localdate()
    if role == "generator_site":
        return generator_sites
    if role == "facility_site":
        with_permit = valid_permits(facility_sites, today).values("site_id")
        return facility_sites.filter(pk__in=with_permit)
    if role == "transporter":
        return active_transporters(user)
    if site is None or not facility_sites.filter(pk=site).exists():
        return None
    return valid_permits(facility_sites.filter(pk=site), today)


def counterparty_search(user, role, query, site=None):
    """At most COUNTERPARTY_RESULTS (id, label) of the user's permitted choices matching the query (name, the
    organisation's name or tax code; a permit's number); None when the user has no such field."""
    choices = counterparty_choices(user, role, site)
    if choices is None:
        return None
    query = " ".join((query or "").split())[:60]
    if role == "permit":
        matches = choices.filter(number__icontains=query) if query else choices
    elif len(query) < COUNTERPARTY_MIN_CHARS:
        return []
    elif role == "transporter":
        matches = choices.filter(Q(name__icontains=query) | Q(tax_code__startswith=query))
    else:
        matches = choices.filter(Q(name__icontains=query) | Q(organisation__name__icontains=query) | Q(organisation__tax_code__startswith=query))
    return list(matches[:COUNTERPARTY_RESULTS])


def valid_permits(facility_sites, on_date):
    return Permit.objects.filter(site__in=facility_sites, valid_until__gte=on_date).select_related("site").order_by("site__name", "number")
