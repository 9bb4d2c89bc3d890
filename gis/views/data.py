"""What the map pages show: sites in the user's scope as GeoJSON, provincial totals and flows as map data.

Reads the access policy (accounts.policy) for every query and the statistics only through stats.queries.
"""

import gzip
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from json.encoder import encode_basestring

import psycopg2.extensions
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts import policy
from catalog.codes import normalise_waste_code
from catalog.models import WasteChapter
from common.integers import bounded_int
from stats import queries

from ..geometry import province_names

KINDS = ("generator", "transporter", "facility")
PERMIT_STATUSES = ("valid", "expired", "none")
DIRECTIONS = queries.DIRECTIONS
MAX_CODE = 32767
LEGEND_CLASSES = 5
# The largest flows drawn and listed one by one (national data holds thousands of province–facility pairs).
MAX_FLOWS = 200
# Marker placeholder in URLs handed to the browser, replaced there by an id.
ID_PLACEHOLDER = 999999999
# Fastest level: 50,000 sites (~10 MB of JSON) compress to ~0.7 MB either way.
GZIP_LEVEL = 1
# The sites GeoJSON is cached under the version of what it reads (stats.queries.version): a day at most.
SITES_CACHE_SECONDS = 86400


_int = bounded_int


def _choice(value, choices):
    return value if value in choices else ""


# --- the sites map ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteFilters:
    kind: str = ""
    province: int | None = None
    waste_code: str = ""
    permit: str = ""

    @classmethod
    def from_query(cls, data):
        """From a query string; anything malformed is ignored (no error, no 500)."""
        return cls(
            kind=_choice(data.get("kind", ""), KINDS),
            province=_int(data.get("province"), 1, MAX_CODE),
            waste_code=normalise_waste_code(data.get("waste_code", "")[:40]) or "",
            permit=_choice(data.get("permit", ""), PERMIT_STATUSES),
        )

    def key(self):
        return f"{self.kind}|{self.province or ''}|{self.waste_code.replace(' ', '')}|{self.permit}"

    def query(self):
        """The filters as query parameters (for the endpoint URL the page hands its script)."""
        params = {"kind": self.kind, "province": self.province or "", "waste_code": self.waste_code, "permit": self.permit}
        return {name: value for name, value in params.items() if value}


def scope_key(user):
    """A short key naming what the user may see: equal for users who see the same sites."""
    scope = policy.scope_for(user)
    if scope.sees_everything:
        return "all"
    parts = [f"p{scope.province_id}"] if scope.province_id is not None else []
    for org_id in sorted(scope.roles):
        limited = scope.site_limits.get(org_id)
        parts.append(f"o{org_id}" + (f"s{','.join(map(str, sorted(limited)))}" if limited else ""))
    text = ";".join(parts) or "none"
    return text if len(text) < 80 else hashlib.sha256(text.encode()).hexdigest()[:32]


def _site_model():
    return policy.Site


def _permit_model():
    return _site_model()._meta.get_field("permits").related_model


def permit_sites(today=None):
    """(ids of sites with a permit in force today, ids of sites with any permit): a few hundred rows nationally,
    read apart so that the sites query stays a plain join (an EXISTS per site makes PostgreSQL's planner cost it
    high enough to JIT-compile it, which alone took most of a second)."""
    Permit = _permit_model()
    today = today or timezone.localdate()
    valid = set(Permit.objects.filter(valid_from__lte=today, valid_until__gte=today).values_list("site_id", flat=True))
    return valid, set(Permit.objects.values_list("site_id", flat=True))


def _scoped_sites(user, filters, permits):
    """The sites of the user's scope and the filters, as a Site queryset (not yet narrowed to those on the map), or
    None when that is every site (whoever sees the whole country, with no filter); `permits` is permit_sites().

    Officials: the sites of their jurisdiction; enterprises: their own sites and every treatment facility;
    administrators and central officials: all.
    """
    Site = _site_model()
    valid, any_permit = permits
    scope = policy.scope_for(user)
    if scope.sees_everything and filters == SiteFilters():
        return None
    visible = policy.site_q(user)
    if scope.roles and not scope.sees_everything:
        visible |= Q(organisation__is_facility=True)
    sites = Site.objects.filter(visible)
    if filters.kind:
        sites = sites.filter(**{f"organisation__is_{filters.kind}": True})
    if filters.province:
        sites = sites.filter(province_id=filters.province)
    if filters.waste_code:
        # Facilities licensed for the code, and generator sites that handed it over (from the rollups).
        code = filters.waste_code
        sites = sites.filter(
            Q(pk__in=Site.objects.filter(permits__waste_codes__code=code).values("pk")) | Q(pk__in=queries.sites_with_waste_code(code))
        )
    if filters.permit == "valid":
        sites = sites.filter(pk__in=valid)
    elif filters.permit == "expired":
        sites = sites.filter(pk__in=any_permit - valid)
    elif filters.permit == "none":
        sites = sites.exclude(pk__in=any_permit)
    return sites


def map_sites(user, filters, permits):
    """The active, positioned sites of active organisations that the map shows the user (_scoped_sites), with what
    the popups need (a values_list queryset of SITE_COLUMNS)."""
    sites = _scoped_sites(user, filters, permits)
    if sites is None:
        sites = _site_model().objects.all()
    # Coordinates as text: they are written out as they are, and text converts faster than Decimal.
    return (
        sites.filter(active=True, organisation__active=True, latitude__isnull=False, longitude__isnull=False)
        .annotate(lat_text=Cast("latitude", CharField()), lng_text=Cast("longitude", CharField()))
        .order_by()
        .values_list(*SITE_COLUMNS)
    )


# The columns map_sites gives, in this order.
SITE_COLUMNS = (
    "pk",
    "name",
    "lat_text",
    "lng_text",
    "province_id",
    "organisation_id",
    "organisation__name",
    "organisation__is_generator",
    "organisation__is_transporter",
    "organisation__is_facility",
)
# One feature of the sites GeoJSON. Written as text, not through dicts and json.dumps: three times faster at
# 50,000 sites. Names go through the json module's own string encoder; the rest are numbers and fixed words.
FEATURE = (
    '{"type":"Feature","id":%d,"geometry":{"type":"Point","coordinates":[%s,%s]},'
    '"properties":{"name":%s,"org":%d,"kinds":"%s","province":%d,"permit":"%s","link":%s}}'
)


# The end of a pre-written feature (stats.models.SiteFeature, f), from the site's permits (p: valid today, any) and
# whether the user may open the organisation's page ({linked}: SQL of a boolean).
FEATURE_TAIL_SQL = (
    "f.head || CASE WHEN p.valid THEN 'valid' WHEN p.site_id IS NOT NULL THEN 'expired' ELSE 'none' END"
    " || '\",\"link\":' || CASE WHEN {linked} THEN 'true' ELSE 'false' END || '}}'"
)


def _collection(features, organisations):
    """The FeatureCollection (UTF-8 bytes) around the features and organisations, joined texts or UTF-8 bytes."""
    if isinstance(features, str):
        features, organisations = features.encode(), organisations.encode()
    return b"".join((b'{"type":"FeatureCollection","features":[', features, b'],"organisations":{', organisations, b"}}"))


def _sites_geojson_sql(user, filters, permits, today):
    """sites_geojson from the pre-written features (stats.models.SiteFeature, kept by PostgreSQL's triggers): one
    narrow table read, each feature ended with the permit status and the link; Python only joins them. Cheaper
    than writing every feature from the sites and organisations on each build, and than aggregating the whole
    collection in PostgreSQL (measured: benchmarks/bench_gis.py)."""
    scope = policy.scope_for(user)
    features = queries.site_features()
    sites = _scoped_sites(user, filters, permits)
    if sites is not None:
        features = features.filter(site__in=sites.values("pk"))
    try:
        sql, params = features.query.sql_with_params()
    except EmptyResultSet:  # nothing the user may see
        return _collection("", "")
    linked, linked_params = "TRUE", []
    if not scope.sees_everything:
        linked, linked_params = "(f.org_id = ANY(%s) OR f.province = %s)", [sorted(scope.roles), scope.province_id]
    query = f"""
        SELECT {FEATURE_TAIL_SQL.replace("{linked}", linked)}, f.entry
        FROM ({sql}) f (pk, org_id, province, head, entry)
        LEFT JOIN (
            SELECT site_id, bool_or(valid_from <= %s AND valid_until >= %s) AS valid FROM {_permit_model()._meta.db_table} GROUP BY site_id
        ) p ON p.site_id = f.pk
    """
    with connection.cursor() as cursor:
        # The texts as PostgreSQL sends them (UTF-8 bytes): never decoded to be encoded again.
        psycopg2.extensions.register_type(psycopg2.extensions.BYTES, cursor.cursor)
        cursor.execute(query, [*linked_params, *params, today, today])  # in the order of the placeholders
        rows = cursor.fetchall()
    organisations = dict.fromkeys(organisation for _feature, organisation in rows)  # "id":"name", each once
    return _collection(b",".join([feature for feature, _organisation in rows]), b",".join(organisations))


def sites_geojson(user, filters):
    """The GeoJSON FeatureCollection (UTF-8 bytes) of map_sites: a Point per site with its name, organisation id,
    kinds (g generator, t transporter, f facility), province, permit status ("valid", "expired", "none") and
    whether the user may open the organisation's page. Organisation names are listed once, in `organisations`.
    On PostgreSQL from the pre-written features (_sites_geojson_sql); here, row by row, on other databases."""
    today = timezone.localdate()
    permits = valid_permits, any_permits = permit_sites(today)
    if connection.vendor == "postgresql":
        return _sites_geojson_sql(user, filters, permits, today)
    scope = policy.scope_for(user)
    organisations, features = {}, []
    rows = list(map_sites(user, filters, permits))
    for pk, name, lat, lng, province, org_id, org_name, is_g, is_t, is_f in rows:
        organisations.setdefault(org_id, org_name)
        # The popup links to the organisation's page only when the policy lets the user open it.
        linked = scope.sees_everything or org_id in scope.roles or (scope.province_id is not None and province == scope.province_id)
        kinds = ("g" if is_g else "") + ("t" if is_t else "") + ("f" if is_f else "")
        permit = "valid" if pk in valid_permits else ("expired" if pk in any_permits else "none")
        features.append(
            FEATURE
            % (pk, lng, lat, encode_basestring(name), org_id, kinds, province, permit, "true" if linked else "false")
        )
    names = ",".join(f'"{org_id}":{encode_basestring(name)}' for org_id, name in organisations.items())
    return _collection(",".join(features), names)


def cached_sites_geojson(user, filters):
    """The gzipped sites GeoJSON, from the cache when it is there: keyed by scope, filters, day (permits in force)
    and the version of the sites, organisations and permits (and, for the waste-code filter, of the pairs of
    generator site and code: not every recompute of the rollups, since a handover of a code the site had handed
    over before changes nothing on the map), which a change moves, so the answer is never older than the data and
    can be kept long."""
    version = queries.version(figures=False, site_codes=bool(filters.waste_code))
    key = f"gis:sites:v3:{scope_key(user)}:{filters.key()}:{timezone.localdate().isoformat()}:{version}"
    compressed = cache.get(key)
    if compressed is None:
        compressed = gzip.compress(sites_geojson(user, filters), compresslevel=GZIP_LEVEL)
        cache.set(key, compressed, SITES_CACHE_SECONDS)
    return compressed


def sites_without_position(user):
    return policy.visible_sites(user).filter(latitude__isnull=True, active=True).count()


# --- choropleth and flows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsFilters:
    year: int
    chapter: str = ""
    direction: str = "generated"

    @classmethod
    def from_query(cls, data, today=None):
        today = today or timezone.localdate()
        chapter = (data.get("chapter") or "").strip()
        return cls(
            year=_int(data.get("year"), 2000, today.year) or today.year,
            chapter=chapter if len(chapter) == 2 and chapter.isascii() and chapter.isdigit() else "",
            direction=_choice(data.get("direction", ""), DIRECTIONS) or "generated",
        )

    def key(self):
        return f"{self.year}|{self.chapter}|{self.direction}"


def _cached(name, user, filters, compute):
    """compute() through the cache, keyed by scope, filters and the version of the statistics and the reference
    data (fresh after any change; HWMS_MAP_CACHE_SECONDS bounds what a change without a signal leaves)."""
    key = f"gis:{name}:v2:{scope_key(user)}:{filters.key()}:{queries.version()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, settings.HWMS_MAP_CACHE_SECONDS)
    return value


def province_totals(user, filters):
    """The statistics query `province_totals` for the filters, through the cache."""
    return _cached(
        "totals",
        user,
        filters,
        lambda: queries.province_totals(user, filters.year, chapter=filters.chapter or None, direction=filters.direction),
    )


def flows(user, filters):
    """The statistics query `flows` for the filters, through the cache."""
    return _cached("flows", user, filters, lambda: queries.flows(user, filters.year, chapter=filters.chapter or None))


def legend_breaks(values, classes=LEGEND_CLASSES):
    """Upper bounds of up to `classes` classes of equal count (quantiles) over the positive values, ascending."""
    ordered = sorted(v for v in values if v > 0)
    if not ordered:
        return []
    breaks = []
    for i in range(1, classes + 1):
        bound = ordered[min(len(ordered) - 1, (len(ordered) * i + classes - 1) // classes - 1)]
        if not breaks or bound > breaks[-1]:
            breaks.append(bound)
    return breaks


def province_dashboard_url(code, year):
    """The statistics dashboard of a province, by the first URL name that exists (the statistics pages are built
    apart from the maps), or "" when there is none yet."""
    for name, args, query in (
        ("stats:province", [code], f"?year={year}"),
        ("stats:dashboard", [], f"?province={code}&year={year}"),
    ):
        try:
            return reverse(name, args=args) + query
        except NoReverseMatch:
            continue
    return ""


def choropleth_data(user, filters):
    """The rows of the table and the data of the map: the same numbers, from stats.queries.province_totals."""
    totals = province_totals(user, filters)
    names = province_names()
    rows = sorted(
        ({"code": code, "name": names.get(code, str(code)), "kg": kg} for code, kg in totals.items()),
        key=lambda row: (-row["kg"], row["code"]),
    )
    for row in rows:
        row["url"] = province_dashboard_url(row["code"], filters.year)
    breaks = legend_breaks(totals.values())
    return {
        "rows": rows,
        "total": sum(totals.values(), Decimal("0")),
        "breaks": breaks,
        "map": {
            "totals": {str(code): str(kg) for code, kg in totals.items()},
            "breaks": [str(b) for b in breaks],
            "urls": {str(row["code"]): row["url"] for row in rows if row["url"]},
        },
    }


def flows_data(user, filters):
    """The rows of the table and the lines of the map, from stats.queries.flows (the same numbers)."""
    every = flows(user, filters)
    rows, rest = every[:MAX_FLOWS], every[MAX_FLOWS:]
    names = province_names()
    Site = _site_model()
    sites = {
        site["pk"]: site
        for site in Site.objects.filter(pk__in={site_id for _p, site_id, _kg in rows}).values(
            "pk", "name", "latitude", "longitude", "organisation__name", "province_id"
        )
    }
    table, lines = [], []
    for province, site_id, kg in rows:
        site = sites.get(site_id, {})
        table.append(
            {
                "province": province,
                "province_name": names.get(province, str(province)),
                "site_id": site_id,
                "facility": f"{site.get('organisation__name', '')} – {site.get('name', '')}",
                "kg": kg,
            }
        )
        if site.get("latitude") is not None:
            lines.append(
                {
                    "from": province,
                    "to": [float(site["latitude"]), float(site["longitude"])],
                    "kg": str(kg),
                    "label": f"{names.get(province, province)} → {site['organisation__name']} – {site['name']}",
                }
            )
    maximum = max((kg for _p, _s, kg in rows), default=Decimal("0"))
    return {
        "rows": table,
        # The smaller flows beyond MAX_FLOWS: counted and summed in one row of the table, not drawn.
        "rest": {"count": len(rest), "kg": sum((kg for _p, _s, kg in rest), Decimal("0"))},
        "total": sum((kg for _p, _s, kg in every), Decimal("0")),
        "map": {"lines": lines, "max": str(maximum)},
    }


def years(today=None):
    today = today or timezone.localdate()
    return list(range(today.year, max(2000, today.year - 9) - 1, -1))


def chapters():
    """[(code, chapter)] of the waste chapters, for the filter."""
    return [(chapter.code, str(chapter)) for chapter in WasteChapter.objects.order_by("code")]

