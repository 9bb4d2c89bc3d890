"""The rollup tables (stats.models.rollups) as GROUP BYs over the raw manifest lines, and their maintenance.

Each table is one `Grouping`: its keys and measures as ORM expressions over ManifestLine. The same definition
serves three uses, so they cannot drift apart:
- `rebuild()`: every table emptied and filled with `INSERT INTO … SELECT <the GROUP BY>` (one statement each);
- `recompute(manifest_id)`: the keys one manifest touches, deleted and recomputed from the raw rows. It reads
  the committed state, never adds to a stored figure, so it is correct when delivered twice or out of order;
- `differences()`: the stored rows compared with the GROUP BY (the `check_rollups` command).

One table is derived rather than grouped: `SilentGenerator` (the generators that declared waste in the two years
before a year and filed nothing in it), computed by one SELECT over GeneratorYear (`Silent`). It is rebuilt and
recomputed with GeneratorYear, after it, and checked against the same SELECT over the raw GROUP BY of GeneratorYear.

Every recompute and rebuild moves version counters (`RollupVersion`, `versions()`), in the same transaction, so
figures cached under the counters they read are never older than the rollups (stats.selectors).

What counts and when is said in stats.models.rollups.
"""

import zlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear
from django.utils import timezone

from catalog.models import WasteCode
from manifests.models import FollowUp, Manifest, ManifestLine, Status

from .models import (
    FacilityIntake,
    FacilityYear,
    Flow,
    FlowSite,
    GeneratorCode,
    GeneratorSiteCode,
    GeneratorYear,
    ManifestMonth,
    PartyFlow,
    PartyIntake,
    ProvinceIntake,
    RollupVersion,
    SilentGenerator,
    WasteMonth,
    WasteYear,
)

# Handed over and not cancelled: the manifests the statistics count.
COUNTED = (Status.READY, Status.IN_TRANSIT, Status.DELIVERED, Status.RECEIVED, Status.COMPLETED, Status.REJECTED)
KG = DecimalField(max_digits=18, decimal_places=2)
KEY = "key_"  # prefix of the keys' aliases in the GROUP BY
ZERO = Value(Decimal("0"), output_field=KG)


def tz():
    return ZoneInfo(settings.TIME_ZONE)


def _sum(condition, value):
    return Coalesce(Sum(Case(When(condition, then=value), default=ZERO, output_field=KG)), ZERO, output_field=KG)


# Per line (see stats.models.rollups): declared by originals only; received and treated not for a return.
RECEIVED = Q(manifest__received_at__isnull=False, rejected=False) & ~Q(manifest__origin_kind=FollowUp.RETURN)
DECLARED_KG = _sum(Q(manifest__origin__isnull=True), F("quantity_kg"))
TRANSPORTED_KG = _sum(Q(manifest__picked_up_at__isnull=False), Coalesce("pickup_quantity_kg", "quantity_kg"))
RECEIVED_KG = _sum(RECEIVED, Coalesce("received_quantity_kg", ZERO))
TREATED_KG = _sum(RECEIVED & Q(treated_on__isnull=False), Coalesce("received_quantity_kg", ZERO))
MANIFESTS = Count("manifest", distinct=True)


def quantities():
    return {
        "declared_kg": DECLARED_KG,
        "transported_kg": TRANSPORTED_KG,
        "received_kg": RECEIVED_KG,
        "treated_kg": TREATED_KG,
        "manifests": MANIFESTS,
    }


def _counted_lines():
    return ManifestLine.objects.filter(manifest__status__in=COUNTED, manifest__generator_signed_at__isnull=False).order_by()


def _received_lines():
    """Lines of manifests received under a treatment permit (returns to the generator have none)."""
    return _counted_lines().filter(manifest__received_at__isnull=False, manifest__permit__isnull=False)


def _manifest_count(condition):
    return Count("manifest", distinct=True, filter=condition)


@dataclass
class Grouping:
    model: type
    lines: callable
    keys: dict = field(default_factory=dict)
    measures: dict = field(default_factory=dict)

    @property
    def table(self):
        return self.model._meta.db_table

    def columns(self):
        return [*self.keys, *self.measures]

    def queryset(self, where=None):
        """The GROUP BY over the raw lines, restricted by `where` (a Q over ManifestLine)."""
        keys = {f"{KEY}{name}": expression for name, expression in self.keys.items()}  # no clash with line fields
        return self.lines().filter(where or Q()).values(**keys).annotate(**self.measures)

    def sql(self, where=None):
        """(SELECT of the GROUP BY, its parameters, the table's columns in the order of the SELECT)."""
        compiler = self.queryset(where).query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        names = [alias.removeprefix(KEY) for _expression, _sql, alias in compiler.select]
        columns = ", ".join(connection.ops.quote_name(self.model._meta.get_field(name).column) for name in names)
        return sql, params, columns

    def insert(self, where=None):
        """INSERT INTO the table SELECT the GROUP BY (one statement); returns the rows written."""
        sql, params, columns = self.sql(where)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {self.table} ({columns}) {sql}", params)
            return cursor.rowcount

    def expected(self):
        """The rows the table should hold, as dicts of KEY-prefixed keys and the measures (check_rollups)."""
        return self.queryset().iterator()

    def replace_all(self):
        """Empty the table and fill it with the whole GROUP BY, in one transaction; returns the rows written."""
        return _replace_all(self, *self.sql())


def _replace_all(grouping, sql, params, columns):
    """Empty the grouping's table and fill it with the SELECT `sql`, in one transaction; returns the rows written.

    On PostgreSQL the SELECT is computed first into a temporary table (CREATE TABLE AS may run in parallel;
    INSERT … SELECT may not), then the table is locked against writers (readers go on reading the previous rows)
    only for the DELETE and the copy."""
    table, scratch = grouping.table, f"rebuild_{grouping.table}"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)
            written = cursor.rowcount
        else:
            # Parallel workers, off for the pages' connections (settings), pay for themselves on a whole table.
            cursor.execute(f"SET LOCAL max_parallel_workers_per_gather = {int(settings.HWMS_BULK_PARALLEL_WORKERS)}")
            cursor.execute(f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS {sql}", params)
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT * FROM {scratch}")
            written = cursor.rowcount
            cursor.execute(f"DROP TABLE {scratch}")  # now, not at the commit: a caller's transaction may rebuild twice
        bump([ANY, REBUILD, SITE_CODES])  # with the rows: a reader sees both or neither
        return written


def _year(path):
    return ExtractYear(path, tzinfo=tz())


def _month(path):
    return ExtractMonth(path, tzinfo=tz())


SIGNED, RECEIVED_AT = "manifest__generator_signed_at", "manifest__received_at"

def _party_keys(date):
    """The keys of the rollups by parties (stats.models.Parties): the manifest's own columns, and the year of `date`."""
    keys = {name: F(f"manifest__{name}") for name in PartyFlow.KEY if name not in ("year", "chapter")}
    return {"year": _year(date), **keys, "chapter": F("waste_code__chapter")}


GROUPINGS = {
    "waste_month": Grouping(
        WasteMonth,
        _counted_lines,
        {
            "province": F("manifest__province"),
            "year": _year(SIGNED),
            "month": _month(SIGNED),
            "waste_code": F("waste_code"),
            "method": F("treatment_method"),
            "physical_state": F("physical_state"),
        },
        {**quantities(), "lines": Count("pk")},
    ),
    "waste_year": Grouping(
        WasteYear,
        _counted_lines,
        {
            "province": F("manifest__province"),
            "year": _year(SIGNED),
            "waste_code": F("waste_code"),
            "method": F("treatment_method"),
            "physical_state": F("physical_state"),
        },
        {**quantities(), "lines": Count("pk")},
    ),
    "manifest_month": Grouping(
        ManifestMonth,
        _counted_lines,
        {"province": F("manifest__province"), "year": _year(SIGNED), "month": _month(SIGNED)},
        {
            **quantities(),
            "completed": _manifest_count(Q(manifest__status=Status.COMPLETED)),
            "refused": _manifest_count(Q(manifest__status=Status.REJECTED)),
            "with_rejection": _manifest_count(Q(manifest__has_rejection=True)),
            "with_discrepancy": _manifest_count(Q(manifest__has_discrepancy=True)),
            "follow_ups": _manifest_count(Q(manifest__origin__isnull=False)),
            "over_capacity": _manifest_count(Q(manifest__over_capacity=True)),
        },
    ),
    "generator_year": Grouping(
        GeneratorYear,
        _counted_lines,
        {
            "year": _year(SIGNED),
            "generator": F("manifest__generator"),
            "site": F("manifest__generator_site"),
            "province": F("manifest__province"),
        },
        quantities(),
    ),
    "generator_code": Grouping(
        GeneratorCode,
        _counted_lines,
        {
            "year": _year(SIGNED),
            "generator": F("manifest__generator"),
            "site": F("manifest__generator_site"),
            "province": F("manifest__province"),
            "waste_code": F("waste_code"),
        },
        quantities(),
    ),
    "generator_site_code": Grouping(
        GeneratorSiteCode,
        _counted_lines,
        {"site": F("manifest__generator_site"), "waste_code": F("waste_code")},
        {"lines": Count("pk")},
    ),
    "flow": Grouping(
        Flow,
        _counted_lines,
        {
            "year": _year(SIGNED),
            "province": F("manifest__province"),
            "facility_province": F("manifest__facility_province"),
            "facility": F("manifest__facility"),
        },
        {"transported_kg": TRANSPORTED_KG, "received_kg": RECEIVED_KG, "manifests": MANIFESTS},
    ),
    "flow_site": Grouping(
        FlowSite,
        _counted_lines,
        {
            "year": _year(SIGNED),
            "province": F("manifest__province"),
            "facility_province": F("manifest__facility_province"),
            "facility_site": F("manifest__facility_site"),
            "chapter": F("waste_code__chapter"),
        },
        {"declared_kg": DECLARED_KG},
    ),
    "province_intake": Grouping(
        ProvinceIntake,
        _received_lines,
        {
            "year": _year(RECEIVED_AT),
            "province": F("manifest__province"),
            "facility_province": F("manifest__facility_province"),
            "chapter": F("waste_code__chapter"),
        },
        {"received_kg": RECEIVED_KG},
    ),
    "party_flow": Grouping(PartyFlow, _counted_lines, _party_keys(SIGNED), {"declared_kg": DECLARED_KG}),
    "party_intake": Grouping(PartyIntake, _received_lines, _party_keys(RECEIVED_AT), {"received_kg": RECEIVED_KG}),
    "facility_year": Grouping(
        FacilityYear,
        _received_lines,
        {
            "year": _year(RECEIVED_AT),
            "facility": F("manifest__facility"),
            "site": F("manifest__facility_site"),
            "permit": F("manifest__permit"),
            "province": F("manifest__facility_province"),
            "method": F("treatment_method"),
        },
        {"received_kg": RECEIVED_KG, "treated_kg": TREATED_KG, "manifests": MANIFESTS},
    ),
    "facility_intake": Grouping(
        FacilityIntake,
        _received_lines,
        {
            "year": _year(RECEIVED_AT),
            "permit": F("manifest__permit"),
            "generator": F("manifest__generator"),
            "province": F("manifest__province"),
        },
        {"received_kg": RECEIVED_KG, "treated_kg": TREATED_KG, "manifests": MANIFESTS},
    ),
}




class Silent:
    """SilentGenerator: for each year Y, the generators with declared waste (GeneratorYear rows with declared_kg
    above zero) in Y-1 or Y-2 and no GeneratorYear row in Y — in the whole country (province empty) and in each
    province (rows of the province only). `declared_kg` sums those earlier rows. The rule the dashboards showed
    as a query (an anti-join over GeneratorYear on every view), kept as a table.

    One SELECT (`sql`) over a source of (year, generator_id, province_id, declared_kg) rows: the GeneratorYear
    table for the rebuild and the recompute, the raw GROUP BY of GeneratorYear for the check. Read after
    GeneratorYear is written (in GROUPINGS after it, in the same transaction in `recompute`)."""

    model = SilentGenerator
    keys = {"year": None, "province": None, "generator": None}
    measures = {"declared_kg": None}
    COLUMNS = "year, province_id, generator_id, declared_kg"
    SELECT = """
        WITH gy AS ({source}),
        e AS (
            SELECT year + 1 AS target, generator_id, province_id, declared_kg FROM gy WHERE declared_kg > 0
            UNION ALL
            SELECT year + 2 AS target, generator_id, province_id, declared_kg FROM gy WHERE declared_kg > 0
        )
        SELECT e.target, CAST(NULL AS integer), e.generator_id, SUM(e.declared_kg) FROM e
        WHERE {targets} NOT EXISTS (SELECT 1 FROM gy a WHERE a.generator_id = e.generator_id AND a.year = e.target)
        GROUP BY e.target, e.generator_id
        UNION ALL
        SELECT e.target, e.province_id, e.generator_id, SUM(e.declared_kg) FROM e
        WHERE {targets} NOT EXISTS (
            SELECT 1 FROM gy a WHERE a.generator_id = e.generator_id AND a.province_id = e.province_id AND a.year = e.target
        )
        GROUP BY e.target, e.province_id, e.generator_id
    """

    @property
    def table(self):
        return self.model._meta.db_table

    def sql(self, generator=None, years=None, raw=False):
        """(SELECT, parameters, columns) of the rows for `years` (all when None) of `generator` (all when None),
        over the GeneratorYear table, or over its raw GROUP BY when `raw`."""
        if raw:
            grouped, params, _columns = GROUPINGS["generator_year"].sql(Q(manifest__generator=generator) if generator else None)
            source = f"SELECT {KEY}year AS year, {KEY}generator AS generator_id, {KEY}province AS province_id, declared_kg FROM ({grouped}) r"
        else:
            source = f"SELECT year, generator_id, province_id, declared_kg FROM {GeneratorYear._meta.db_table}"
            params = []
            if generator is not None:
                source += " WHERE generator_id = %s"
                params = [generator]
        targets = ""
        if years is not None:  # the source's parameters come once (a CTE), the years once per branch
            targets = f"e.target IN ({', '.join(['%s'] * len(years))}) AND"
            params = [*params, *years, *years]
        sql = self.SELECT.format(source=source, targets=targets)
        return sql, params, self.COLUMNS

    def insert(self, where):
        """The rows of one generator: `where` is (generator id, [years] or None for all)."""
        sql, params, columns = self.sql(*where)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {self.table} ({columns}) {sql}", params)
            return cursor.rowcount

    def replace_all(self):
        return _replace_all(self, *self.sql())

    def expected(self):
        sql, params, _columns = self.sql(raw=True)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            names = [f"{KEY}year", f"{KEY}province", f"{KEY}generator", "declared_kg"]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


GROUPINGS["silent"] = Silent()


# --- one manifest's keys -------------------------------------------------------------------------------


def _period(year, month=None):
    """[start, end) of a local year or month, as aware datetimes (a range the indexes can use)."""
    zone = tz()
    if month is None:
        return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return datetime(year, month, 1, tzinfo=zone), end


def _in(path, period):
    return Q(**{f"{path}__gte": period[0], f"{path}__lt": period[1]})


def _parties(manifest, prefix=""):
    """The manifest's sites and transporter (which fix its organisations and provinces), as lookups."""
    return {f"{prefix}{name}_id": getattr(manifest, f"{name}_id") for name in ("generator_site", "facility_site", "transporter")}


def scopes(manifest, codes):
    """[(grouping name, Q over the raw lines, Q over the rollup rows)]: the rollup keys the manifest touches,
    each with the raw rows that make them. A manifest's keys never change once it is handed over (province,
    parties, handover date, declared codes and states are frozen by the signature; the receipt year once
    received); what changes (quantities, treatment, status) only moves figures within those keys. Treatment
    methods are recomputed all together per code, so a revised method leaves no stale row."""
    if manifest.generator_signed_at is None:
        return []  # never counted: drafts and manifests awaiting the signature
    signed = timezone.localtime(manifest.generator_signed_at, tz())
    month, year = _period(signed.year, signed.month), _period(signed.year)
    province = manifest.province_id
    found = [
        (
            "waste_month",
            Q(manifest__province=province, waste_code__in=codes) & _in(SIGNED, month),
            Q(province=province, year=signed.year, month=signed.month, waste_code__in=codes),
        ),
        (
            "waste_year",
            Q(manifest__province=province, waste_code__in=codes) & _in(SIGNED, year),
            Q(province=province, year=signed.year, waste_code__in=codes),
        ),
        (
            "manifest_month",
            Q(manifest__province=province) & _in(SIGNED, month),
            Q(province=province, year=signed.year, month=signed.month),
        ),
        (
            "generator_year",
            Q(manifest__generator_site=manifest.generator_site_id) & _in(SIGNED, year),
            Q(site=manifest.generator_site_id, year=signed.year),
        ),
        (
            "generator_code",
            Q(manifest__generator_site=manifest.generator_site_id) & _in(SIGNED, year),
            Q(site=manifest.generator_site_id, year=signed.year),
        ),
        (
            # Every year of the site, but only the manifest's codes.
            "generator_site_code",
            Q(manifest__generator_site=manifest.generator_site_id, waste_code__in=codes),
            Q(site=manifest.generator_site_id, waste_code__in=codes),
        ),
        (
            "flow",
            Q(manifest__facility=manifest.facility_id, manifest__province=province, manifest__facility_province=manifest.facility_province_id)
            & _in(SIGNED, year),
            Q(facility=manifest.facility_id, province=province, facility_province=manifest.facility_province_id, year=signed.year),
        ),
        (
            "flow_site",
            Q(
                manifest__facility_site=manifest.facility_site_id,
                manifest__province=province,
                manifest__facility_province=manifest.facility_province_id,
            )
            & _in(SIGNED, year),
            Q(facility_site=manifest.facility_site_id, province=province, facility_province=manifest.facility_province_id, year=signed.year),
        ),
        (
            "party_flow",
            Q(**_parties(manifest, "manifest__")) & _in(SIGNED, year),
            Q(**_parties(manifest), year=signed.year),
        ),
        # After generator_year (it reads that table): the generator's lists, every year (a few rows), so that
        # every recompute of the generator takes the same lock.
        ("silent", (manifest.generator_id, None), Q(generator=manifest.generator_id)),
    ]
    if manifest.received_at is not None and manifest.permit_id is not None:
        received = timezone.localtime(manifest.received_at, tz()).year
        period = _period(received)
        chapters = sorted(set(WasteCode.objects.filter(pk__in=codes).values_list("chapter", flat=True)))
        found += [
            ("facility_year", Q(manifest__permit=manifest.permit_id) & _in(RECEIVED_AT, period), Q(permit=manifest.permit_id, year=received)),
            (
                "facility_intake",
                Q(manifest__permit=manifest.permit_id, manifest__generator=manifest.generator_id, manifest__province=province)
                & _in(RECEIVED_AT, period),
                Q(permit=manifest.permit_id, year=received, generator=manifest.generator_id, province=province),
            ),
            (
                # Narrowed to the manifest's chapters: a pair of large provinces receives many manifests a year.
                "province_intake",
                Q(manifest__province=province, manifest__facility_province=manifest.facility_province_id)
                & Q(waste_code__chapter__in=chapters)
                & _in(RECEIVED_AT, period),
                Q(province=province, facility_province=manifest.facility_province_id, year=received, chapter__in=chapters),
            ),
            ("party_intake", Q(**_parties(manifest, "manifest__")) & _in(RECEIVED_AT, period), Q(**_parties(manifest), year=received)),
        ]
    return found


def _lock(names):
    """Serialise recomputations of the same keys (PostgreSQL advisory locks, held to the commit, taken in a
    fixed order so two tasks cannot deadlock). SQLite serialises writers itself."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted({zlib.crc32(name.encode()) - 2**31 for name in names}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def recompute(manifest_id):
    """Bring every rollup row the manifest touches to what the raw rows say now. Returns the rows written."""
    manifest = (
        Manifest.objects.filter(pk=manifest_id)
        .only(
            "generator_signed_at", "received_at", "province", "facility_province", "generator", "generator_site", "facility",
            "facility_site", "transporter", "permit",
        )
        .first()
    )
    if manifest is None:
        return 0
    codes = sorted(set(ManifestLine.objects.filter(manifest_id=manifest_id).values_list("waste_code", flat=True)))
    found = scopes(manifest, codes)
    written = 0
    with transaction.atomic():
        _lock(f"{name}:{rollup_q}" for name, _raw, rollup_q in found)
        pairs = _site_codes(manifest.generator_site_id, codes) if found else None
        for name, raw_q, rollup_q in found:
            grouping = GROUPINGS[name]
            grouping.model.objects.filter(rollup_q).delete()
            written += grouping.insert(raw_q)
        changed = touched(manifest)
        if found and _site_codes(manifest.generator_site_id, codes) != pairs:
            changed.append(SITE_CODES)
        bump(changed)
    return written


def _site_codes(site_id, codes):
    """The codes among `codes` that the site handed over in any year (GeneratorSiteCode): when a recompute changes
    them, the sites map's waste-code filter changes (its cache is keyed on SITE_CODES, not on every recompute)."""
    return set(GeneratorSiteCode.objects.filter(site=site_id, waste_code__in=codes).values_list("waste_code", flat=True))


def touched(manifest):
    """The version counters a recompute of the manifest moves: every figure, its years (handover, receipt) and
    those years in its two provinces (generator site's, facility's)."""
    years = {timezone.localtime(manifest.generator_signed_at, tz()).year}
    if manifest.received_at is not None:
        years.add(timezone.localtime(manifest.received_at, tz()).year)
    provinces = {manifest.province_id, manifest.facility_province_id} - {None}
    return [ANY, *(year_scope(y) for y in years), *(year_scope(y, p) for y in years for p in provinces)]


# --- versions of what the statistics read -------------------------------------------------------------------

ANY = "any"  # every recompute and rebuild
REBUILD = "rebuild"  # every rebuild (figures of any year may change)
REFERENCE = "reference"  # sites, organisations, permits, the catalog: names and capacities in the tables
SITE_CODES = "site_codes"  # a generator site handed a waste code over for the first time, or no longer (rebuilds too)


def year_scope(year, province=None):
    return f"year:{year}" if province is None else f"year:{year}:province:{province}"


def bump(names):
    """Move the counters `names` by one, in this transaction (one statement; rows in a fixed order, so two
    transactions cannot deadlock on them)."""
    names = sorted(set(names))
    if not names:
        return
    table = RollupVersion._meta.db_table
    values = ", ".join(["(%s, 1)"] * len(names))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, value) VALUES {values} ON CONFLICT (scope) DO UPDATE SET value = {table}.value + 1",
            names,
        )


def versions(names):
    """{name: counter} for `names` (0 for a counter never moved): one query."""
    found = dict(RollupVersion.objects.filter(scope__in=names).values_list("scope", "value"))
    return {name: found.get(name, 0) for name in names}


def reference_changed(sender, **kwargs):
    """Receiver of saves and deletes of what the statistics and maps name (sites, organisations, permits,
    provinces, the catalog): cached tables and maps holding names, capacities or permit dates are read again."""
    bump([REFERENCE])


# --- everything -----------------------------------------------------------------------------------------


def rebuild(names=None):
    """Every table (or those named) emptied and refilled from the raw rows, each in one transaction
    (Grouping.replace_all); returns {name: rows}."""
    return {name: GROUPINGS[name].replace_all() for name in names or GROUPINGS}


def _normal(value):
    if isinstance(value, float):
        value = Decimal(str(value))
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return value


def _rows(pairs, keys, measures):
    return {tuple(row[k] for k in keys): tuple(_normal(row[m]) for m in measures) for row in pairs}


def filler(*names):
    """A migration's RunPython that fills new rollup tables from the raw rows by their groupings (what
    `rebuild_rollups` does for them), so that no reader finds them empty; nothing on an empty database."""

    def fill(apps, schema_editor):
        if ManifestLine.objects.exists():
            for name in names:
                GROUPINGS[name].replace_all()

    return fill


def differences(names=None, limit=20):
    """{name: [(key, stored, expected)]} where a table differs from the GROUP BY over the raw rows (at most
    `limit` per table); empty when everything agrees."""
    found = {}
    for name in names or GROUPINGS:
        grouping = GROUPINGS[name]
        keys, measures = list(grouping.keys), list(grouping.measures)
        columns = [grouping.model._meta.get_field(k).attname for k in keys]
        stored = _rows(grouping.model.objects.values(*columns, *measures).iterator(), columns, measures)
        expected = _rows(grouping.expected(), [f"{KEY}{k}" for k in keys], measures)
        diff = []
        for key in sorted(stored.keys() | expected.keys(), key=lambda k: tuple((v is None, v) for v in k)):
            if stored.get(key) != expected.get(key):
                diff.append((key, stored.get(key), expected.get(key)))
                if len(diff) >= limit:
                    break
        if diff:
            found[name] = diff
    return found
