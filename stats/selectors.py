"""Reads of the statistics: the dashboards' figures, from the rollup tables only (stats.models.rollups), within
the user's scope (accounts.policy). Each table of a dashboard is a `Table` (columns and rows of native values),
so the page, its chart data and its XLSX/CSV export show the same numbers."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connection
from django.db.models import Q, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import policy
from accounts.models import Organisation, Permit, Site
from catalog.models import PhysicalState, TreatmentMethod, WasteChapter, WasteCode
from common.integers import bounded_int
from gis.models import Province
from manifests import selectors as manifest_selectors

from . import rollups
from .models import (
    FacilityIntake,
    FacilityYear,
    Flow,
    GeneratorCode,
    GeneratorYear,
    ManifestMonth,
    SilentGenerator,
    WasteMonth,
    WasteYear,
)

KG_FIELDS = ("declared_kg", "transported_kg", "received_kg", "treated_kg")
TOP = 20
EXPIRY_DAYS = 90


@dataclass
class Filters:
    year: int
    province: int | None = None
    chapter: str | None = None
    method: int | None = None

    def query(self):
        """The filters as URL parameters (for links and exports)."""
        pairs = {"year": self.year, "province": self.province, "chapter": self.chapter, "method": self.method}
        return {k: v for k, v in pairs.items() if v not in (None, "")}

    def key(self):
        """The filters in a cache key."""
        return f"{self.year}|{self.province or ''}|{self.chapter or ''}|{self.method or ''}"


_int = bounded_int


def year_from(value):
    """A year from the query string, this year when missing or out of range."""
    this_year = timezone.localdate().year
    return _int(value, 2000, this_year + 1) or this_year


def filters_from(params, user):
    """Filters from the query string, bounded and checked against the user's scope: a provincial official is
    held to the province (another one answers 404, as any object outside the scope)."""
    year = year_from(params.get("year"))
    province = _int(params.get("province"), 1, 999)
    scope = policy.scope_for(user)
    if not scope.sees_everything:
        if scope.province_id is None:
            raise Http404(_("There is no such dashboard."))
        if province is not None and province != scope.province_id:
            raise Http404(_("Province not found."))
        province = scope.province_id
    chapter = params.get("chapter") or None
    if chapter is not None and not (len(chapter) == 2 and chapter.isdigit()):
        chapter = None
    method = _int(params.get("method"), 1, 2**31 - 1)
    return Filters(year=year, province=province, chapter=chapter, method=method)


@dataclass
class Table:
    """One table of a dashboard: `columns` [(name, label, kind)] with kind "text" or "kg" or "count" or
    "percent"; `rows` lists of native values in that order."""

    name: str
    title: str
    columns: list
    rows: list = field(default_factory=list)
    chart: str = ""  # "bar", "line" or "" (no chart)
    note: str = ""
    links: list = field(default_factory=list)  # a drill-down URL per row (optional)

    def chart_data(self):
        """Labels and one series (the first column of numbers) for chart.js."""
        value_column = next(i for i, (_name, _label, kind) in enumerate(self.columns) if kind in ("kg", "count"))
        return {
            "type": self.chart,
            "labels": [str(row[0])[:40] for row in self.rows[:TOP * 2]],  # the table under the chart has them whole
            "label": str(self.columns[value_column][1]),
            "values": [float(row[value_column] or 0) for row in self.rows[:TOP * 2]],
        }


QUANTITY_COLUMNS = [
    ("declared_kg", gettext_lazy("Declared (kg)"), "kg"),
    ("transported_kg", gettext_lazy("Transported (kg)"), "kg"),
    ("received_kg", gettext_lazy("Received (kg)"), "kg"),
    ("treated_kg", gettext_lazy("Treated (kg)"), "kg"),
]


def _sums(*names):
    return {name: Sum(name) for name in names}


def _waste_rows(filters, model=WasteYear):
    rows = model.objects.filter(year=filters.year)
    if filters.province:
        rows = rows.filter(province=filters.province)
    if filters.chapter:
        rows = rows.filter(waste_code__chapter__code=filters.chapter)
    if filters.method:
        rows = rows.filter(method=filters.method)
    return rows


def _breakdown(filters, key, labels, name, title, chart="bar", link=None, data=None):
    """One table of the year's waste by `key`; `data` the [{key: …, kg fields…}] already summed (else queried)."""
    if data is None:
        data = _waste_rows(filters).values(key).annotate(**_sums(*KG_FIELDS)).order_by()
    rows = sorted(([labels(item[key]), *(item[k] or Decimal(0) for k in KG_FIELDS), item[key]] for item in data), key=lambda row: -row[1])
    keys = [row.pop() for row in rows]
    links = [link(key) for key in keys] if link else []
    return Table(name, title, [("label", title, "text"), *QUANTITY_COLUMNS], rows, chart, links=links)


def _names(model, attribute="name", key="pk"):
    return dict(model.objects.values_list(key, attribute))


# The breakdowns of the year's waste (WasteYear): (table, key of the sums).
DIMENSIONS = (
    ("by_province", "province"),
    ("by_chapter", "waste_code__chapter__code"),
    ("by_code", "waste_code"),
    ("by_class", "waste_code__class_marker"),
    ("by_state", "physical_state"),
    ("by_method", "method"),
)


def _dimension_sums(filters):
    """{key of DIMENSIONS: [{key: value, kg fields…}]}: the year's WasteYear rows summed by each dimension.
    One scan on PostgreSQL (GROUPING SETS); one GROUP BY per dimension elsewhere."""
    if connection.vendor != "postgresql":
        return {key: list(_waste_rows(filters).values(key).annotate(**_sums(*KG_FIELDS)).order_by()) for _name, key in DIMENSIONS}
    columns = ("w.province_id", "ch.code", "w.waste_code_id", "c.class_marker", "w.physical_state", "w.method_id")
    where, params = ["w.year = %s"], [filters.year]
    for condition, value in (("w.province_id = %s", filters.province), ("ch.code = %s", filters.chapter), ("w.method_id = %s", filters.method)):
        if value:
            where.append(condition)
            params.append(value)
    sums = ", ".join(f"SUM(w.{k})" for k in KG_FIELDS)
    sql = (
        f"SELECT GROUPING({', '.join(columns)}), {', '.join(columns)}, {sums} "
        f"FROM {WasteYear._meta.db_table} w "
        f"JOIN {WasteCode._meta.db_table} c ON c.id = w.waste_code_id "
        f"JOIN {WasteChapter._meta.db_table} ch ON ch.id = c.chapter_id "
        f"WHERE {' AND '.join(where)} "
        f"GROUP BY GROUPING SETS ({', '.join(f'({column})' for column in columns)})"
    )
    found = {key: [] for _name, key in DIMENSIONS}
    last = len(columns) - 1
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            index = next(i for i in range(len(columns)) if not row[0] >> (last - i) & 1)  # the one column grouped by
            key = DIMENSIONS[index][1]
            found[key].append({key: row[1 + index], **dict(zip(KG_FIELDS, row[1 + len(columns) :], strict=True))})
    return found


def _totals(filters):
    months = ManifestMonth.objects.filter(year=filters.year)
    if filters.province:
        months = months.filter(province=filters.province)
    count_fields = ("manifests", "completed", "refused", "with_rejection", "with_discrepancy", "follow_ups", "over_capacity")
    totals = months.aggregate(**_sums(*KG_FIELDS, *count_fields))
    totals = {k: v or 0 for k, v in totals.items()}
    if filters.chapter or filters.method:  # quantities within the chapter or method; manifest counts stay whole
        totals.update({k: v or 0 for k, v in _waste_rows(filters).aggregate(**_sums(*KG_FIELDS)).items()})
    totals["treated_share"] = (totals["treated_kg"] / totals["declared_kg"] * 100) if totals["declared_kg"] else None
    return totals


def _breakdowns(filters):
    provinces = _names(Province)
    methods = {pk: f"{code} – {name}" for pk, code, name in TreatmentMethod.objects.values_list("pk", "code", "name_vi")}
    codes = {pk: code for pk, code in WasteCode.objects.values_list("pk", "code")}
    chapters = {code: f"{code} – {name}" for code, name in WasteChapter.objects.values_list("code", "name_vi")}
    states = dict(PhysicalState.choices)
    untreated = _("Not treated yet")
    sums = _dimension_sums(filters)
    labels = {
        "by_province": (_("Province"), lambda v: provinces.get(v, v)),
        "by_chapter": (_("Chapter"), lambda v: chapters.get(v, v)),
        "by_code": (_("Waste code"), lambda v: codes.get(v, v)),
        "by_class": (_("Class (KS/NH)"), lambda v: v),
        "by_state": (_("Physical state"), lambda v: str(states.get(v, v))),
        "by_method": (_("Treatment method"), lambda v: methods.get(v, untreated)),
    }
    links = {"by_province": lambda v: "?" + urlencode({**filters.query(), "province": v})}
    return [
        _breakdown(filters, key, labels[name][1], name, labels[name][0], link=links.get(name), data=sums[key]) for name, key in DIMENSIONS
    ]


def _trend(filters):
    if filters.chapter or filters.method:
        trend = _waste_rows(filters, WasteMonth).values("month")
    else:
        trend = _waste_rows(filters, ManifestMonth).values("month")
    trend = trend.annotate(**_sums(*KG_FIELDS)).order_by("month")
    by_month = {row["month"]: row for row in trend}
    return Table(
        "by_month",
        _("Month"),
        [("label", _("Month"), "text"), *QUANTITY_COLUMNS],
        [[f"{m:02d}/{filters.year}", *(by_month.get(m, {}).get(k) or Decimal(0) for k in KG_FIELDS)] for m in range(1, 13)],
        "line",
    )


# --- the dashboard in cached sections ------------------------------------------------------------------------

# How long a section stays cached at most: the version counters make it stale at the first change of what it
# reads; this only bounds what a change the counters cannot see (a bulk update without signals) leaves in place.
SECTION_SECONDS = 3600


@dataclass
class Section:
    """A part of the officials' dashboard, cached under the version counters of what it reads (stats.rollups):
    the rollups of `years` (in the filters' province when there is one), the reference data (names, permits and
    capacities) when `reference`, and today's date when `daily`."""

    name: str
    compute: callable
    years: tuple = ()
    reference: bool = False
    daily: bool = False

    def counters(self, filters):
        names = [rollups.REBUILD, *(rollups.year_scope(year, filters.province) for year in self.years)]
        return names + [rollups.REFERENCE] if self.reference else names


def _sections(filters):
    year = filters.year
    return [
        Section("totals", lambda: _totals(filters), (year,)),
        Section("breakdowns", lambda: _breakdowns(filters), (year,), reference=True),
        Section("by_month", lambda: _trend(filters), (year,)),
        Section("flows", lambda: flows(filters), (year,)),
        Section("top_generators", lambda: top_generators(filters), (year,), reference=True),
        Section("facilities", lambda: facilities(filters), (year,), reference=True),
        Section("silent_generators", lambda: silent_generators(filters), (year, year - 1, year - 2), reference=True),
        Section("expiring_permits", lambda: expiring_permits(filters), (), reference=True, daily=True),
        Section("choices", filter_choices, (), reference=True),
    ]


@dataclass
class Figures:
    """The officials' dashboard for filters: `totals`, `tables` (in page order), `choices` of the filters, and
    `keys` {table name: cache key of its section} (the page caches each table's HTML under it)."""

    totals: dict
    tables: list
    choices: dict
    keys: dict


def dashboard_figures(filters):
    """Every figure of the officials' dashboard, each section from the cache when its version counters have not
    moved since it was computed (one query for the counters, one cache round trip), else computed and cached."""
    sections = _sections(filters)
    counters = rollups.versions(sorted({name for section in sections for name in section.counters(filters)}))
    language = translation.get_language()
    today = timezone.localdate().isoformat()
    keys = {}
    for section in sections:
        stamp = ".".join(str(counters[name]) for name in section.counters(filters))
        parts = ["stats:dashboard:v1", language, section.name, filters.key(), stamp, today if section.daily else ""]
        keys[section.name] = ":".join(parts)
    found = cache.get_many(list(keys.values()))
    computed = {}
    for section in sections:
        if keys[section.name] not in found:
            computed[keys[section.name]] = found[keys[section.name]] = section.compute()
    if computed:
        cache.set_many(computed, SECTION_SECONDS)
    value = {section.name: found[keys[section.name]] for section in sections}
    tables, table_keys = [], {}
    for section in sections[1:-1]:
        for table in value[section.name] if isinstance(value[section.name], list) else [value[section.name]]:
            tables.append(table)
            table_keys[table.name] = keys[section.name]
    return Figures(totals=value["totals"], tables=tables, choices=value["choices"], keys=table_keys)


def national(filters):
    """Every figure of the officials' dashboard for the filters (a province already enforced by filters_from):
    {"totals": {…}, "tables": [Table, …]}, through the sections' cache (dashboard_figures)."""
    figures = dashboard_figures(filters)
    return {"totals": figures.totals, "tables": figures.tables}


def flows(filters, provinces=None):
    provinces = provinces or _names(Province)
    rows = Flow.objects.filter(year=filters.year)
    if filters.province:
        rows = rows.filter(Q(province=filters.province) | Q(facility_province=filters.province))
    data = rows.values("province", "facility_province").annotate(**_sums("transported_kg", "received_kg", "manifests")).order_by()
    table = [
        [provinces.get(r["province"]), provinces.get(r["facility_province"]), r["transported_kg"] or 0, r["received_kg"] or 0, r["manifests"] or 0]
        for r in data
    ]
    table.sort(key=lambda row: -row[2])
    return Table(
        "flows",
        _("Flows between provinces (generator → facility)"),
        [
            ("from", _("Generator province"), "text"),
            ("to", _("Facility province"), "text"),
            ("transported_kg", _("Transported (kg)"), "kg"),
            ("received_kg", _("Received (kg)"), "kg"),
            ("manifests", _("Manifests"), "count"),
        ],
        table,
    )


def top_generators(filters, limit=TOP):
    """The largest generator sites of the year (one walk down an index of GeneratorYear)."""
    rows = GeneratorYear.objects.filter(year=filters.year)
    if filters.province:
        rows = rows.filter(province=filters.province)
    data = list(rows.select_related("generator", "site").order_by("-declared_kg")[:limit])
    return Table(
        "top_generators",
        _("Largest generators"),
        [("label", _("Generator"), "text"), ("site", _("Site"), "text"), *QUANTITY_COLUMNS, ("manifests", _("Manifests"), "count")],
        [[r.generator.name, r.site.name, *(getattr(r, k) for k in KG_FIELDS), r.manifests] for r in data],
        "bar",
        links=[reverse("stats:enterprise", args=[r.generator_id]) for r in data],
    )


def _permit_years(rows):
    """FacilityYear rows summed per permit (they are per treatment method): [(permit, facility id, facility
    name, received, treated)], largest intake first."""
    data = rows.values("permit", "facility").annotate(**_sums("received_kg", "treated_kg")).order_by("-received_kg")
    data = list(data)
    permits = Permit.objects.in_bulk([r["permit"] for r in data])
    names = dict(Organisation.objects.filter(pk__in=[r["facility"] for r in data]).values_list("pk", "name"))
    return [(permits[r["permit"]], r["facility"], names.get(r["facility"]), r["received_kg"], r["treated_kg"]) for r in data if r["permit"] in permits]


def facilities(filters):
    rows = FacilityYear.objects.filter(year=filters.year)
    if filters.province:
        rows = rows.filter(province=filters.province)
    table, links = [], []
    for permit, facility_id, name, received, treated in _permit_years(rows):
        links.append(reverse("stats:facility", args=[facility_id]))
        capacity = permit.yearly_capacity_kg
        use = (received / capacity * 100) if capacity else None
        table.append([name, permit.number, received, treated, received - treated, capacity, capacity - received, use])
    return Table(
        "facilities",
        _("Facilities and their licensed capacity"),
        [
            ("label", _("Facility"), "text"),
            ("permit", _("Permit"), "text"),
            ("received_kg", _("Received (kg)"), "kg"),
            ("treated_kg", _("Treated (kg)"), "kg"),
            ("stock_kg", _("Not yet treated (kg)"), "kg"),
            ("capacity_kg", _("Licensed capacity (kg/year)"), "kg"),
            ("remaining_kg", _("Capacity left (kg)"), "kg"),
            ("use", _("Capacity used (%)"), "percent"),
        ],
        table,
        "bar",
        links=links,
    )


def over_capacity(table):
    return [row for row in table.rows if row[-1] is not None and row[-1] > 100]


SILENT_LIST = 200


def silent_generators(filters, limit=SILENT_LIST):
    """Generators that declared waste in the two years before but filed no manifest this year (at most
    `limit` listed, the largest first; the note says how many, "200+" beyond the list): the country's or the
    province's list kept in SilentGenerator (stats.rollups.Silent)."""
    rows = SilentGenerator.objects.filter(year=filters.year)
    rows = rows.filter(province=filters.province) if filters.province else rows.filter(province__isnull=True)
    data = list(rows.order_by("-declared_kg", "generator").values("generator", "declared_kg")[: limit + 1])
    count = f"{limit}+" if len(data) > limit else str(len(data))
    data = data[:limit]
    names = dict(Organisation.objects.filter(pk__in=[r["generator"] for r in data]).values_list("pk", "name"))
    return Table(
        "silent_generators",
        _("Generators that declared waste before but filed no manifest this year"),
        [("label", _("Generator"), "text"), ("declared_kg", _("Declared in the two years before (kg)"), "kg")],
        [[names.get(r["generator"]), r["declared_kg"]] for r in data],
        note=count,
        links=[reverse("stats:enterprise", args=[r["generator"]]) for r in data],
    )


def expiring_permits(filters):
    today = timezone.localdate()
    permits = Permit.objects.filter(valid_until__gte=today, valid_until__lte=today + timedelta(days=EXPIRY_DAYS))
    if filters.province:
        permits = permits.filter(site__province=filters.province)
    permits = permits.select_related("site__organisation").order_by("valid_until")[:200]
    return Table(
        "expiring_permits",
        _("Permits expiring within 90 days"),
        [("label", _("Facility"), "text"), ("permit", _("Permit"), "text"), ("valid_until", _("Valid until"), "date")],
        [[p.site.organisation.name, p.number, p.valid_until] for p in permits],
    )


def compliance_counts(user):
    """Open discrepancies, rejections and overdue manifests in the user's scope (the manifests' counters)."""
    return manifest_selectors.oversight_counts(user)


# --- enterprises and facilities -----------------------------------------------------------------------------


def generator_sites(user, organisation):
    """The organisation's sites whose figures the user may see (site limits and provinces through the policy)."""
    return list(Site.objects.filter(policy.site_q(user), organisation=organisation).values_list("pk", flat=True))


def enterprise(user, organisation, year):
    sites = generator_sites(user, organisation)
    site_names = dict(Site.objects.filter(pk__in=sites).values_list("pk", "name"))
    mine = GeneratorYear.objects.filter(site__in=sites)
    by_year = mine.values("year").annotate(**_sums(*KG_FIELDS, "manifests")).order_by("year")
    by_site = mine.filter(year=year).values("site").annotate(**_sums(*KG_FIELDS, "manifests")).order_by("-declared_kg")
    codes = dict(WasteCode.objects.values_list("pk", "code"))
    by_code = GeneratorCode.objects.filter(site__in=sites, year=year).values("waste_code").annotate(**_sums(*KG_FIELDS, "manifests")).order_by("-declared_kg")
    counted = [*QUANTITY_COLUMNS, ("manifests", _("Manifests"), "count")]
    return [
        Table("by_year", _("Year"), [("label", _("Year"), "text"), *counted], [[str(r["year"]), *(r[k] for k in KG_FIELDS), r["manifests"]] for r in by_year], "bar"),
        Table("by_site", _("Site"), [("label", _("Site"), "text"), *counted], [[site_names.get(r["site"]), *(r[k] for k in KG_FIELDS), r["manifests"]] for r in by_site], "bar"),
        Table(
            "by_code",
            _("Waste code"),
            [("label", _("Waste code"), "text"), *counted[:4]],
            [[codes.get(r["waste_code"]), *(r[k] for k in KG_FIELDS)] for r in by_code],
            "bar",
        ),
    ]


def facility(user, organisation, year):
    sites = Site.objects.filter(policy.site_q(user), organisation=organisation)
    rows = FacilityYear.objects.filter(site__in=sites, year=year)
    permits = _permit_years(rows)
    permit_ids = [permit.pk for permit, *_rest in permits]
    capacity = Table(
        "capacity",
        _("Licensed capacity"),
        [
            ("label", _("Permit"), "text"),
            ("received_kg", _("Received (kg)"), "kg"),
            ("treated_kg", _("Treated (kg)"), "kg"),
            ("stock_kg", _("Not yet treated (kg)"), "kg"),
            ("capacity_kg", _("Licensed capacity (kg/year)"), "kg"),
            ("remaining_kg", _("Capacity left (kg)"), "kg"),
        ],
        [
            [permit.number, received, treated, received - treated, permit.yearly_capacity_kg, permit.yearly_capacity_kg - received]
            for permit, _id, _name, received, treated in permits
        ],
        "bar",
    )
    intake = FacilityIntake.objects.filter(permit__in=permit_ids, year=year)
    provinces = _names(Province)
    methods = {pk: f"{code} – {name}" for pk, code, name in TreatmentMethod.objects.values_list("pk", "code", "name_vi")}
    by_generator = list(intake.values("generator").annotate(**_sums("received_kg", "treated_kg", "manifests")).order_by("-received_kg")[:200])
    names = dict(Organisation.objects.filter(pk__in=[r["generator"] for r in by_generator]).values_list("pk", "name"))
    by_province = intake.values("province").annotate(**_sums("received_kg", "treated_kg", "manifests")).order_by("-received_kg")
    by_method = rows.filter(method__isnull=False).values("method").annotate(**_sums("treated_kg")).order_by("-treated_kg")
    received = [("received_kg", _("Received (kg)"), "kg"), ("treated_kg", _("Treated (kg)"), "kg"), ("manifests", _("Manifests"), "count")]
    return [
        capacity,
        Table("by_generator", _("Received by generator"), [("label", _("Generator"), "text"), *received],
              [[names.get(r["generator"]), r["received_kg"], r["treated_kg"], r["manifests"]] for r in by_generator], "bar"),
        Table("by_province", _("Received by province of origin"), [("label", _("Province"), "text"), *received],
              [[provinces.get(r["province"]), r["received_kg"], r["treated_kg"], r["manifests"]] for r in by_province], "bar"),
        Table("by_method", _("Treated by method"), [("label", _("Treatment method"), "text"), ("treated_kg", _("Treated (kg)"), "kg")],
              [[methods.get(r["method"]), r["treated_kg"]] for r in by_method], "bar"),
    ]


def filter_choices():
    return {
        "provinces": list(Province.objects.values_list("code", "name")),
        "chapters": list(WasteChapter.objects.values_list("code", "name_vi")),
        "methods": list(TreatmentMethod.objects.values_list("pk", "code")),
    }
