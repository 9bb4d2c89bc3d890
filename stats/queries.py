"""The statistics the maps read: the interface between the GIS pages and the statistics rollups.

The map pages (gis/views) call only these functions, so the figures they draw and tabulate are exactly what
these return, and the implementation can change underneath them. Every figure comes from the rollup
tables (stats.models.rollups): the country's from the national ones, a provincial official's from the rollups by
pair of provinces (a province's manifests are the pairs with it at either end), an enterprise's from the rollups
by parties, to which the reading rule applies as to manifests (accounts.policy.parties_q). The `_raw_*` functions
compute the same over the raw manifests the policy lets the user read: the GIS tests hold the two equal.
`version()` names the state of what they read, for the maps' caches.

What counts (the same rules as the rollups, stats.models.rollups):
- manifests handed over by the generator and not cancelled (no drafts, nothing awaiting the generator's signature);
- "generated": the declared quantity of original manifests (a return or redirect of a rejected load is the same
  waste again), in the year of the generator's handover (Vietnam time), attributed to Manifest.province (the
  generator site's province);
- "treated": the quantity received and accepted by a facility under its treatment permit (rejected lines and
  returns to the generator excluded), in the year of receipt, attributed to Manifest.facility_province;
- flows: the declared quantity of original manifests by generator province and facility site, year of handover.

Scope: only the manifests the user may read (accounts.policy.manifest_q), so an official's map holds the
manifests of the province (generated in it or treated in it), an enterprise's its own.
"""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Q, Sum

from accounts import policy
from manifests.models import FollowUp, ManifestLine, Status

from . import rollups
from .models import FacilityYear, FlowSite, GeneratorSiteCode, PartyFlow, PartyIntake, ProvinceIntake, SiteFeature, WasteYear

DIRECTIONS = ("generated", "treated")
COUNTED = (Status.READY, Status.IN_TRANSIT, Status.DELIVERED, Status.RECEIVED, Status.COMPLETED, Status.REJECTED)


def _prefixed(q, prefix):
    """The Q `q` over Manifest, rewritten over a model reaching it by `prefix` ("manifest__")."""
    clone = Q(_connector=q.connector, _negated=q.negated)
    for child in q.children:
        if isinstance(child, Q):
            clone.children.append(_prefixed(child, prefix))
        else:
            lookup, value = child
            if type(value) is F:  # prepared_by=F("generator")
                value = F(prefix + value.name)
            clone.children.append((prefix + lookup, value))
    return clone


def _year_range(year):
    zone = ZoneInfo(settings.TIME_ZONE)
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def _lines(user, chapter):
    lines = ManifestLine.objects.filter(
        _prefixed(policy.manifest_q(user), "manifest__"),
        manifest__status__in=COUNTED,
        manifest__generator_signed_at__isnull=False,
    ).order_by()
    if chapter:
        lines = lines.filter(waste_code__chapter__code=chapter)
    return lines


def _handed_over_in(lines, year):
    start, end = _year_range(year)
    return lines.filter(
        manifest__origin__isnull=True, manifest__generator_signed_at__gte=start, manifest__generator_signed_at__lt=end
    )


def _national_totals(year, chapter, direction):
    """The country's figures from the rollups (stats.models.rollups), the same rules as below."""
    if direction == "generated":
        rows = WasteYear.objects.filter(year=year)
        if chapter:
            rows = rows.filter(waste_code__chapter__code=chapter)
        rows = rows.values_list("province").annotate(kg=Sum("declared_kg"))
    elif not chapter:
        rows = FacilityYear.objects.filter(year=year).values_list("province").annotate(kg=Sum("received_kg"))
    else:  # FacilityYear is kept by method, not by code: the pairs of provinces are kept by chapter
        rows = _province_pairs(year, chapter, direction).values_list("facility_province").annotate(kg=Sum("received_kg"))
    return _by_province(rows)


def _by_province(rows):
    return {int(code): Decimal(kg) for code, kg in rows.order_by() if kg}


def _province_pairs(year, chapter, direction, province=None):
    """Rollup rows by pair of provinces (generator's → facility's) for the year and chapter: FlowSite (declared,
    year of handover) for "generated", ProvinceIntake (received, year of receipt) for "treated"; with `province`,
    the pairs with that province at either end, which are exactly the manifests its officials oversee."""
    rows = (FlowSite if direction == "generated" else ProvinceIntake).objects.filter(year=year)
    if chapter:
        rows = rows.filter(chapter__code=chapter)
    if province is not None:
        rows = rows.filter(Q(province=province) | Q(facility_province=province))
    return rows


def _rollup_province(user):
    """The province whose pairs of the rollups are exactly the user's manifests: a provincial official's, when the
    official is no member of an organisation (a member also reads the organisation's manifests: raw rows)."""
    scope = policy.scope_for(user)
    if scope.sees_everything or scope.roles:
        return None
    return scope.province_id


def province_totals(user, year, chapter=None, direction="generated"):
    """{province code: kg (Decimal)} for the year, one waste chapter ("16") or all, generated in or treated in.

    Provinces without a quantity are absent. The country's map (whoever sees every manifest) reads the rollups;
    so does a provincial official's (the pairs of provinces with it at either end), and an enterprise's (the rows of
    the rollups by parties that the reading rule gives it).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    if policy.scope_for(user).sees_everything:
        return _national_totals(year, chapter, direction)
    province = _rollup_province(user)
    rows = _province_pairs(year, chapter, direction, province) if province is not None else _party_rows(user, year, chapter, direction)
    if direction == "generated":
        return _by_province(rows.values_list("province").annotate(kg=Sum("declared_kg")))
    return _by_province(rows.values_list("facility_province").annotate(kg=Sum("received_kg")))


def _party_rows(user, year, chapter, direction):
    """The rows of the rollups by parties (PartyFlow: declared, year of handover; PartyIntake: received, year of
    receipt) that the reading rule gives the user: an enterprise's own manifests, each counted once."""
    rows = (PartyFlow if direction == "generated" else PartyIntake).objects.filter(policy.parties_q(user), year=year)
    return rows.filter(chapter__code=chapter) if chapter else rows


def _raw_totals(user, year, chapter, direction):
    """province_totals over the raw manifests the user may read."""
    lines = _lines(user, chapter)
    if direction == "generated":
        rows = _handed_over_in(lines, year).values_list("manifest__province").annotate(kg=Sum("quantity_kg"))
    else:
        start, end = _year_range(year)
        rows = (
            lines.filter(
                manifest__received_at__gte=start,
                manifest__received_at__lt=end,
                manifest__permit__isnull=False,
                rejected=False,
                received_quantity_kg__isnull=False,
            )
            .exclude(manifest__origin_kind=FollowUp.RETURN)
            .values_list("manifest__facility_province")
            .annotate(kg=Sum("received_quantity_kg"))
        )
    return {int(code): Decimal(kg) for code, kg in rows if kg}


def flows(user, year, chapter=None):
    """[(generator province code, facility site id, kg (Decimal))] for the year, largest first.

    The country's and a province's flows read the rollup by province and facility site (FlowSite), an enterprise's
    the rollup by parties (PartyFlow)."""
    province = _rollup_province(user)
    if policy.scope_for(user).sees_everything or province is not None:
        rows = _province_pairs(year, chapter, "generated", province)
    else:
        rows = _party_rows(user, year, chapter, "generated")
    rows = rows.values_list("province", "facility_site").annotate(kg=Sum("declared_kg")).order_by()
    result = [(int(province), int(site), Decimal(kg)) for province, site, kg in rows if kg]
    return sorted(result, key=lambda row: (-row[2], row[0], row[1]))


def _raw_flows(user, year, chapter):
    """flows over the raw manifests the user may read: [(province, facility site, kg)]."""
    return (
        _handed_over_in(_lines(user, chapter), year)
        .values_list("manifest__province", "manifest__facility_site")
        .annotate(kg=Sum("quantity_kg"))
    )


def sites_with_waste_code(code):
    """The ids of the generator sites that handed waste of `code` ("17 02 03", any catalog version) over, in any
    year (a subquery over the rollup GeneratorSiteCode, one row per site and code, for the sites map's filter)."""
    return GeneratorSiteCode.objects.filter(waste_code__code=code).values("site")


def site_features():
    """The sites' pre-written map features (SiteFeature: one per site on the map, PostgreSQL only), as rows of
    (site id, organisation id, province, feature up to its permit status, organisation's entry)."""
    return SiteFeature.objects.order_by().values_list("site_id", "organisation_id", "province_id", "head", "organisation_entry")


def version(figures=True, site_codes=False):
    """A text naming the state of what the maps read: the reference data (sites, organisations, permits, the
    catalog) and, with `figures`, the statistics (every rollup recompute and rebuild), with `site_codes` the
    pairs of generator site and waste code (sites_with_waste_code: moved only when a pair appears or goes). It
    changes, in the transaction of the change, whenever they do (stats.rollups.bump), so a cache keyed on it is
    never stale."""
    names = [rollups.REFERENCE, *([rollups.ANY] if figures else []), *([rollups.SITE_CODES] if site_codes else [])]
    counters = rollups.versions(names)
    return ".".join(str(counters[name]) for name in names)
