"""Read queries of the manifest pages: the list, the detail page's pieces, the actions a user may take now,
the officials' lists and the notifications. Writes are in manifests.services."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import policy
from accounts.models import Membership, Organisation, Site, Vehicle
from catalog.models import TreatmentMethod, WasteCode
from common import prepared
from common.numbers import format_number
from common.pagination import keyset_page
from gis.models import Province, Ward

from . import access, notifications, rules
from .content import content_hash, manifest_content
from .models import (
    AccessCount,
    Manifest,
    ManifestAccess,
    ManifestLine,
    Packaging,
    Revision,
    Status,
)
from .rules import REVISABLE_FIELDS
from .signatures import chain_events

CLOSED = (Status.COMPLETED, Status.REJECTED, Status.CANCELLED)


# --- related rows without joins ----------------------------------------------------------------------------
# PostgreSQL plans a join of the manifest with its six or seven related tables in 15–75 ms at national scale
# (measured: 15 ms of planning for 1.5 ms of execution; the driver's sections 75 ms + 120 ms), more than the
# rest of the page. The manifests are read alone, then each related table by primary key (well under a
# millisecond each).


def attach(objects, model, *fields):
    """Set the foreign keys `fields` (to `model`) of `objects` from one query by primary key, as select_related
    would have, without joining."""
    attnames = [(field, f"{field}_id") for field in fields]
    ids = {getattr(obj, attname) for obj in objects for _field, attname in attnames} - {None}
    found = prepared.in_bulk(model, ids)
    for obj in objects:
        # Into the instance's cache of related objects, where the field's descriptor reads it (what setattr does,
        # without its checks, for a hundred objects a page).
        cache = obj._state.fields_cache
        for field, attname in attnames:
            pk = getattr(obj, attname)
            if pk is not None:
                cache[field] = found[pk]
    return objects


def attach_parties(manifests):
    """The organisations and sites of manifests: two queries whatever the number of manifests."""
    attach(manifests, Organisation, "generator", "facility", "transporter")
    return attach(manifests, Site, "generator_site", "facility_site")


def attach_places(sites):
    """The province and ward of sites (a site appearing twice is loaded once)."""
    sites = list({id(site): site for site in sites}.values())
    attach(sites, Province, "province")
    return attach(sites, Ward, "ward")


# --- what the user may read ---------------------------------------------------------------------------


def visible_manifests(user):
    """The manifests the user may read; the rule is the access policy's (accounts.policy.manifest_q)."""
    return Manifest.objects.filter(policy.manifest_q(user))


def get_manifest_for_user(user, pk):
    """One manifest the user may read, with its parties; 404 outside the user's scope.

    Few joins on purpose: with a dozen tables PostgreSQL's planner switches to its slow genetic search, and even
    seven cost milliseconds of planning. The manifest comes with its permit, vehicle and driver (small joins), its
    four organisations in one query by primary key, its two sites with their province and ward in another.
    """
    # No ORDER BY (first() would add the model's ordering): one row by primary key, and a millisecond less of SQL
    # compiling on every detail page, PDF and action.
    found = visible_manifests(user).select_related("permit", "vehicle", "driver").filter(pk=pk).order_by()[:1]
    manifest = next(iter(found), None)
    if manifest is None:
        raise Http404(_("Manifest not found."))
    attach([manifest], Organisation, "generator", "facility", "transporter", "prepared_by")
    sites = prepared.in_bulk(Site, {manifest.generator_site_id, manifest.facility_site_id}, "province", "ward")
    manifest.generator_site, manifest.facility_site = sites[manifest.generator_site_id], sites[manifest.facility_site_id]
    return manifest


# --- lists: the access index, keyset pages, counts ------------------------------------------------------

COUNT_KEYS = (*Status.values, *access.FLAG_KEYS.values())


def scope_rows(user):
    """The user's rows of the access index (one per manifest and scope that reaches it)."""
    return ManifestAccess.objects.filter(policy.manifest_access_q(user))


def manifest_page(rows, *, after=None, before=None, size=None, province=False, id_field="manifest_id"):
    """A keyset page of manifests, newest first, from access rows (or from manifests, with id_field="id"); the
    manifests loaded in one query, their parties in two more (and their province in another, for tables that
    show it)."""
    page = keyset_page(rows.values(id_field, "created_at"), after=after, before=before, size=size, id_field=id_field)
    ids = list(dict.fromkeys(row[id_field] for row in page.items))  # a manifest reached by two of one's scopes
    manifests = prepared.in_bulk(Manifest, ids)
    page.items = attach_parties([manifests[pk] for pk in ids])
    if province:
        attach(page.items, Province, "province")
    return page


def incoming_manifests(facility_sites):
    """The manifests coming to `facility_sites` (the user's own: facility.facility_sites), read from the
    manifests' own columns through the partial indexes of the incoming page (Manifest.Meta), for the statuses of
    that page only: past the handover, where the rule (policy.manifest_q) lets every member of the facility read
    the manifests of its sites, within any site limit (the sites given are already within it)."""
    return Manifest.objects.filter(facility_site_id__in=[site.pk for site in facility_sites])


def load_for_transport(manifests):
    """What the driver's and the facility's lists show besides the parties: the vehicle and the sites' places."""
    attach(manifests, Vehicle, "vehicle")
    attach_places([site for manifest in manifests for site in (manifest.generator_site, manifest.facility_site)])
    return manifests


# Lines named on a list card; the others are counted ("and 3 more lines").
WASTE_SUMMARY_LINES = 2


@dataclass(frozen=True)
class ListedCode:
    """The waste code of a line named on a list card: its code and its name, as WasteCode.name gives it."""

    code: str
    name_vi: str
    name_en: str
    name = property(WasteCode.name.fget)


@dataclass(frozen=True)
class ListedLine:
    """A line named on a list card (a plain row: a page names up to a hundred and twenty of them)."""

    manifest_id: int
    position: int
    description: str
    waste_code: ListedCode


_PER_MANIFEST = {"partition_by": [F("manifest_id")]}
# The first lines of each manifest of a page, numbered by a window (compiled once: common.prepared).
_first_lines = prepared.Prepared(
    lambda manifest_ids, shown: ManifestLine.objects.filter(manifest_id__any=manifest_ids)
    .annotate(
        rank=Window(RowNumber(), order_by=F("position").asc(), **_PER_MANIFEST),
        line_count=Window(Count("pk"), **_PER_MANIFEST),
    )
    .filter(rank__lte=shown)
    .order_by("manifest_id", "position")
    .values_list("manifest_id", "position", "description", "waste_code__code", "waste_code__name_vi", "waste_code__name_en", "line_count"),
    arity=2,
)


def load_waste_summaries(manifests, shown=WASTE_SUMMARY_LINES):
    """Set `waste_lines` (the first `shown` lines, with their code) and `more_lines` on each manifest of a list.

    One query for the whole page, never one per card; a manifest of hundreds of lines brings `shown` rows
    (a window numbers the lines of each manifest). The total weight is the stored `declared_kg`. The lines are
    plain rows (ListedLine), not model instances: building those cost more than the rest of the query.
    """
    by_manifest = {manifest.pk: manifest for manifest in manifests}
    for manifest in manifests:
        manifest.waste_lines, manifest.more_lines = [], 0
    if not by_manifest:
        return manifests
    lines = _first_lines(list(by_manifest), shown)
    for manifest_id, position, description, code, name_vi, name_en, line_count in lines:
        manifest = by_manifest[manifest_id]
        manifest.waste_lines.append(ListedLine(manifest_id, position, description, ListedCode(code, name_vi, name_en)))
        manifest.more_lines = line_count - shown if line_count > shown else 0
    return manifests


# The counters of a user's scopes: the organisations', the province's or the country's, each kind's refs one list.
_counters = prepared.Prepared(
    lambda organisations, provinces, country, keys: AccessCount.objects.filter(
        Q(kind=policy.SCOPE_ORGANISATION, ref__any=organisations)
        | Q(kind=policy.SCOPE_PROVINCE, ref__any=provinces)
        | Q(kind=policy.SCOPE_COUNTRY, ref__any=country),
        key__any=keys,
    ).values_list("key", "count"),
    arity=4,
)


def _sum_counters(scopes, keys=COUNT_KEYS):
    counts = dict.fromkeys(keys, 0)
    if scopes:
        refs = {policy.SCOPE_ORGANISATION: [], policy.SCOPE_PROVINCE: [], policy.SCOPE_COUNTRY: []}
        for kind, ref in scopes:
            refs[kind].append(ref)
        organisations, provinces, country = (refs[kind] for kind in (policy.SCOPE_ORGANISATION, policy.SCOPE_PROVINCE, policy.SCOPE_COUNTRY))
        for key, count in _counters(organisations, provinces, country, list(keys)):
            counts[key] += count
    return counts


def _count_rows(rows):
    counts = dict.fromkeys(COUNT_KEYS, 0)
    counts.update(rows.order_by().values_list("status").annotate(n=Count("pk")))
    for flag, key in access.FLAG_KEYS.items():
        counts[key] = rows.filter(**{flag: True}).count()
    return counts


def scope_counts(user):
    """Manifests per status and flag in the user's scope, from the maintained counters (a handful of rows).

    A member limited to some sites is counted from the rows (small by nature); someone who sees everything
    adds the drafts of their own organisations to the country's counters. A manifest shared by two of one
    user's organisations counts once in each.
    """
    scope = policy.scope_for(user)
    scopes = policy.counter_scopes(user)
    if scopes is None:
        return _count_rows(scope_rows(user))
    counts = _sum_counters(scopes)
    if scope.sees_everything and scope.roles:
        counts[Status.DRAFT] += scope_rows(user).filter(status=Status.DRAFT).count()
    return counts


def scope_total(user):
    """Every manifest in the user's scope, from the counters."""
    counts = scope_counts(user)
    return sum(counts[status] for status in Status.values)


def preparing_sites(user):
    """Sites from which the user may prepare a manifest: a generator's own sites, a facility's own sites."""
    return policy.actable_sites(user).filter(Q(organisation__is_generator=True) | Q(organisation__is_facility=True))


def can_create(user):
    scope = policy.scope_for(user)
    # No query for those who act for no generator nor facility (officials, drivers, viewers): most list views.
    acting = (org for org_id, org in scope.organisations.items() if scope.roles[org_id] in policy.ACT_ROLES)
    if not any(org.is_generator or org.is_facility for org in acting):
        return False
    return preparing_sites(user).exists()


# --- detail ----------------------------------------------------------------------------------------------


_lines_of = prepared.Prepared(
    lambda manifest_id: ManifestLine.objects.filter(manifest_id=manifest_id)
    .select_related("waste_code", "received_waste_code", "treatment_method", "planned_method")
    .prefetch_related("waste_code__hazard_properties")
    .order_by("position")
)


def manifest_lines(manifest):
    """The lines with their codes, methods and hazard properties (two queries), kept as `manifest.lines.all()`:
    the content hash and the copy's blocks read them again without a query."""
    if "lines" not in getattr(manifest, "_prefetched_objects_cache", {}):
        prepared.prefetched(manifest, "lines", _lines_of(manifest.pk), "manifest")
    return list(manifest.lines.all())


def line_totals(lines):
    """Sums per column over the lines; None for a column with no value on any line."""

    def total(name):
        values = [getattr(line, name) for line in lines if getattr(line, name) is not None]
        return sum(values, Decimal(0)) if values else None

    return {
        "quantity_kg": total("quantity_kg"),
        "pickup_quantity_kg": total("pickup_quantity_kg"),
        "received_quantity_kg": total("received_quantity_kg"),
        "packages": packaging_totals(lines),
    }


def packaging_totals(lines):
    """Packages counted per packaging type, in the order of Packaging ([{"type", "label", "count"}]):
    drums are never added to boxes; a total of packages without a unit means nothing."""
    counts = {}
    for line in lines:
        counts[line.packaging_type] = counts.get(line.packaging_type, 0) + line.packaging_count
    return [{"type": key, "label": label, "count": counts[key]} for key, label in Packaging.choices if key in counts]


def signing_hash(manifest):
    """The hash the generator signs: the canonical content as it stands (services.sign hashes the same). None for
    a draft: its official number, part of what is signed, is taken only by the signature."""
    if not manifest.has_official_number:
        return None
    return content_hash(manifest_content(manifest))


EVENT_ROLE_LABELS = {
    "system": pgettext_lazy("event role", "system"),
}


def _event_label(action):
    from .verification import EVENT_LABELS

    return EVENT_LABELS.get(action, action)


def _event_note(event):
    data = event.data or {}
    for key in ("reason", "comment", "vehicle"):
        if data.get(key):
            return str(data[key])
    return ""


_revisions_of = prepared.Prepared(
    lambda manifest_id: Revision.objects.filter(manifest_id=manifest_id)
    .select_related("requested_by", "requested_by_org")
    .prefetch_related("decisions__organisation", "decisions__decided_by")
    .order_by("-requested_at", "-id")
)


def timeline(manifest):
    """The manifest's audit events in order, each with a translated label, role and short note."""
    roles = dict(Membership.Role.choices) | EVENT_ROLE_LABELS
    events = chain_events(manifest.chain)
    for event in events:
        event.label = _event_label(event.action)
        event.role_label = roles.get(event.role, event.role)
        event.note = _event_note(event)
    return events


def revisions(manifest):
    found = _revisions_of(manifest.pk)
    for revision in found:
        revision.manifest = manifest
    return found


# --- revisions: proposed values against current ones ----------------------------------------------------

FIELD_LABELS = {
    "received_quantity_kg": _("Received quantity (kg)"),
    "treatment_method": _("Treatment method"),
    "treated_on": _("Treated on"),
    "description": _("Waste description"),
}


@dataclass(frozen=True)
class Change:
    line: ManifestLine
    field: str
    label: str
    current: str
    proposed: str


def _display(field, value, methods):
    from django.utils.formats import date_format

    if value in (None, ""):
        return "–"
    if field == "treatment_method":
        code = value.code if isinstance(value, TreatmentMethod) else value
        method = methods.get(code)
        return str(method) if method else code
    if field == "treated_on":
        day = value if isinstance(value, date) else date.fromisoformat(value)
        return date_format(day, "SHORT_DATE_FORMAT")
    if field == "received_quantity_kg":
        return format_number(Decimal(value))
    return str(value)


def revision_changes(revision, lines):
    """One row per proposed value: line, field, current value, proposed value (both shown as text)."""
    by_id = {str(line.pk): line for line in lines}
    methods = {m.code: m for m in TreatmentMethod.objects.all()}
    rows = []
    for line_id, fields in (revision.changes or {}).get("lines", {}).items():
        line = by_id.get(str(line_id))
        if line is None:
            continue
        for field in REVISABLE_FIELDS:
            if field in fields:
                rows.append(
                    Change(
                        line=line,
                        field=field,
                        label=FIELD_LABELS[field],
                        current=_display(field, getattr(line, field), methods),
                        proposed=_display(field, fields[field], methods),
                    )
                )
    return sorted(rows, key=lambda row: (row.line.position, REVISABLE_FIELDS.index(row.field)))


def deciding_organisation(user, revision, manifest=None):
    """The party organisation for which the user may still approve or refuse the revision, or None."""
    manifest = manifest or revision.manifest
    return rules.organisation(manifest, rules.deciding_party(user, manifest, revision))


# --- what the user may do now ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    url: str
    post: bool = False
    style: str = "secondary"


LABELS = {
    "edit": _("Edit the draft"),
    "import_lines": _("Import lines from Excel"),
    "seal": _("Send for the generator's signature"),
    "sign": _("Sign the handover"),
    "pickup": _("Confirm the pickup"),
    "deliver": _("Confirm the delivery"),
    "receive": _("Receive"),
    "treat": _("Record treatment"),
    "cancel": _("Cancel the manifest"),
    "refuse": _("Refuse: we did not ask for this manifest"),
    "request_revision": _("Propose a revision"),
    "follow_up": _("Return or redirect the rejected waste"),
    "certificate": _("Completion certificate"),
    "pdf": _("PDF copy"),
}

URL_NAMES = {"request_revision": "revision_create"}
STYLES = {"follow_up": "primary", "sign": "primary", "pickup": "primary", "deliver": "primary", "receive": "primary", "treat": "primary", "cancel": "danger", "refuse": "danger"}


def needs_follow_up(manifest):
    """Rejected waste whose destination (return or redirect) is not decided yet."""
    return manifest.has_rejection and not manifest.follow_ups.exists()


def available_actions(user, manifest):
    """The actions the user may take on the manifest now, in the order the detail page shows them."""
    actions = []
    for name in LABELS:
        if not all(rules.may(user, manifest, name)):
            continue
        if name == "seal" and manifest.prepared_by_id == manifest.generator_id and all(rules.may(user, manifest, "sign")):
            # The generator signs directly; sealing is still offered, for a signature on the driver's phone.
            label = _("Hand over without signing now (signature code on the driver's phone)")
        else:
            label = LABELS[name]
        if name == "request_revision" and manifest.revisions.filter(state=Revision.State.PENDING).exists():
            continue
        if name == "follow_up" and not needs_follow_up(manifest):
            continue
        url = reverse(f"manifests:{URL_NAMES.get(name, name)}", args=[manifest.pk])
        actions.append(Action(name=name, label=label, url=url, post=name == "seal", style=STYLES.get(name, "secondary")))
    return actions


# --- officials' lists -----------------------------------------------------------------------------------

OVERSIGHT_KINDS = {
    "discrepancies": _("Discrepancies"),
    "rejections": _("Rejections"),
    "overdue": _("Overdue"),
}


OVERSIGHT_FLAGS = {"discrepancies": "has_discrepancy", "rejections": "has_rejection", "overdue": "overdue"}


def oversight_rows(user, kind):
    """Access rows of one oversight list (flags kept on the rows: discrepancy, rejection, overdue and open)."""
    return scope_rows(user).filter(**{OVERSIGHT_FLAGS[kind]: True})


def oversight_counts(user):
    counts = scope_counts(user)
    return {kind: counts[access.FLAG_KEYS[flag]] for kind, flag in OVERSIGHT_FLAGS.items()}


# --- notifications --------------------------------------------------------------------------------------


def notifications_for(user):
    return notifications.for_user(user).select_related("manifest").order_by("-created_at", "-id")


# --- home page ------------------------------------------------------------------------------------------


# The home page lists at most this many manifests prepared in the user's organisation's name by others.
PREPARED_FOR_YOU_SHOWN = 10


def prepared_for_you(user):
    """Manifests that another organisation prepared in the name of a generator the user works for, awaiting the
    generator's signature: the home page warns of them (they can be signed or refused). From the access rows of
    the user's scope (site limits included) in the sealed status, which one index serves."""
    generators = [org.pk for org in policy.organisations_with(user, "generator", policy.FOLLOW_ROLES)]
    if not generators:
        return []
    rows = (
        scope_rows(user)
        .filter(kind=ManifestAccess.Kind.ORGANISATION, ref__in=generators, status=Status.SEALED, manifest__generator_id__in=generators)
        .exclude(manifest__prepared_by_id=F("manifest__generator_id"))
        .order_by("-created_at", "-manifest_id")
        .values_list("manifest_id", flat=True)[:PREPARED_FOR_YOU_SHOWN]
    )
    ids = list(dict.fromkeys(rows))
    manifests = prepared.in_bulk(Manifest, ids)
    items = [manifests[pk] for pk in ids]
    attach(items, Organisation, "prepared_by", "generator")
    return items


def home_summary(user):
    """The manifests block of the home page: counts per status in the user's scope and the user's entry points."""
    counts = scope_counts(user)
    counts["total"] = sum(counts[status] for status in Status.values)
    counts["discrepancies"] = counts["discrepancy"]
    return {
        "counts": counts,
        "rows": [(value, label, counts[value]) for value, label in Status.choices if counts[value]],
        # The same rule as the create view, so the button never leads to a 403.
        "can_create": can_create(user),
        "drives": bool(policy.organisations_with(user, "transporter", policy.TRANSPORT_ROLES)),
        "receives": bool(policy.organisations_with(user, "facility", policy.FOLLOW_ROLES)),
        "prepared_for_you": prepared_for_you(user),
    }
