"""Synthetic national data for benchmarks: organisations, sites, people, vehicles and permits in Python (tens of
thousands of rows, bulk_create), then manifests, lines and the access index with INSERT … SELECT over
generate_series on PostgreSQL (millions of rows in minutes). Deterministic for a seed: every random choice of
the SQL part is hashint4 of the row number, an attribute salt and the seed.

Shapes: generators in proportion to the manifests, heavy-tailed (the largest files several percent of all
manifests), about 100 facilities (the largest receives about a tenth), transporters with vehicles (some
facilities transport their own loads), sites over the 34 provinces weighted towards the industrial ones, with
a ward and coordinates near the provincial centre. Statuses follow age: old manifests are mostly completed, some
rejected, cancelled or left open (then flagged overdue); recent ones are in flight. Synthetic manifests are
numbered "<province>-<year>-S<seq>", which the portal's own numbering never produces, and created by the user
"synthetic"; a database holding other manifests is refused unless forced.
"""

import random
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Membership, Organisation, Permit, Site, User, Vehicle
from catalog.models import TreatmentMethod, WasteCode
from gis.geometry import point_in_vietnam
from gis.models import Province, Ward

from . import access
from .models import Manifest

SYNTHETIC_USER = "synthetic"
PASSWORD = "synthetic-2026"

# Administrative centres of the 34 provinces (approximate), by code name: sites are spread around them.
CENTRES = {
    "ha_noi": (21.0285, 105.8542), "cao_bang": (22.6657, 106.2570), "tuyen_quang": (21.8236, 105.2181),
    "dien_bien": (21.3860, 103.0230), "lai_chau": (22.3964, 103.4582), "son_la": (21.3256, 103.9188),
    "lao_cai": (21.7229, 104.9113), "thai_nguyen": (21.5942, 105.8482), "lang_son": (21.8537, 106.7610),
    "quang_ninh": (20.9599, 107.0425), "bac_ninh": (21.2731, 106.1946), "phu_tho": (21.3227, 105.4019),
    "hai_phong": (20.8449, 106.6881), "hung_yen": (20.6464, 106.0511), "ninh_binh": (20.2506, 105.9745),
    "thanh_hoa": (19.8067, 105.7852), "nghe_an": (18.6796, 105.6813), "ha_tinh": (18.3428, 105.9057),
    "quang_tri": (17.4689, 106.6223), "hue": (16.4637, 107.5909), "da_nang": (16.0544, 108.2022),
    "quang_ngai": (15.1214, 108.8044), "gia_lai": (13.7830, 109.2197), "khanh_hoa": (12.2388, 109.1967),
    "dak_lak": (12.6667, 108.0500), "lam_dong": (11.9404, 108.4583), "dong_nai": (10.9574, 106.8427),
    "ho_chi_minh": (10.7769, 106.7009), "tay_ninh": (10.5359, 106.4137), "dong_thap": (10.3600, 106.3600),
    "vinh_long": (10.2537, 105.9722), "an_giang": (10.0125, 105.0809), "can_tho": (10.0452, 105.7469),
    "ca_mau": (9.1769, 105.1524),
}
# Where industry is: relative weights of the provinces for generator and facility sites (others weigh 1).
INDUSTRY = {"ho_chi_minh": 14, "ha_noi": 10, "dong_nai": 7, "bac_ninh": 7, "hai_phong": 6, "hung_yen": 4,
            "tay_ninh": 4, "phu_tho": 3, "thai_nguyen": 3, "quang_ninh": 3, "da_nang": 3, "can_tho": 2,
            "thanh_hoa": 2, "nghe_an": 2, "khanh_hoa": 2, "ninh_binh": 2}


class SyntheticError(Exception):
    pass


def _unit(expr, salt, seed):
    """SQL for a number in [0, 1) from hashint4 of an integer expression, an attribute salt and the seed."""
    mixed = f"mod(({expr})::bigint * 16777619 + {salt} * 40503 + {seed}, 2147483647)::int"
    return f"((hashint4({mixed})::bigint + 2147483648) / 4294967296.0)"


class Seeder:
    def __init__(self, manifests, years, seed, out=None):
        self.n, self.years, self.seed = manifests, years, seed
        self.random = random.Random(seed)
        self.out = out or (lambda message: None)
        self.generators = max(20, manifests // 60)
        self.transporters = max(5, manifests // 5000)
        self.facilities = min(100, max(5, manifests // 500))

    # --- checks ---------------------------------------------------------------------------------------

    def check(self, force):
        if connection.vendor != "postgresql":
            raise SyntheticError("seed_synthetic needs PostgreSQL (set DATABASE_URL): it writes with INSERT … SELECT.")
        if not Province.objects.exists() or not WasteCode.objects.current().exists():
            raise SyntheticError("Load the reference data first: manage.py load_reference_data")
        real = Manifest.objects.exclude(created_by__username=SYNTHETIC_USER)
        if real.exists() and not force:
            raise SyntheticError(
                f"The database holds {real.count()} manifests that are not synthetic; refusing (use --force on a test copy)."
            )
        if Manifest.objects.filter(created_by__username=SYNTHETIC_USER).exists():
            raise SyntheticError("Synthetic data is already loaded; run with --reset to replace it.")

    # --- organisations, sites, people -------------------------------------------------------------------

    def _province_weights(self, provinces):
        return [INDUSTRY.get(p.codename, 1) for p in provinces]

    def _position(self, province):
        lat, lng = CENTRES.get(province.codename, (16.0, 107.0))
        for _ in range(5):
            candidate = (round(lat + self.random.gauss(0, 0.06), 6), round(lng + self.random.gauss(0, 0.06), 6))
            if point_in_vietnam(Decimal(str(candidate[0])), Decimal(str(candidate[1]))):
                return candidate
        return lat, lng

    def organisations(self):
        provinces = list(Province.objects.order_by("code"))
        weights = self._province_weights(provinces)
        wards = {}
        for ward_code, province_id in Ward.objects.values_list("code", "province_id"):
            wards.setdefault(province_id, []).append(ward_code)
        stamp = self.seed % 10
        orgs = []
        for kind, count in (("g", self.generators), ("t", self.transporters), ("f", self.facilities)):
            for index in range(count):
                transports = kind == "t" or (kind == "f" and index % 3 == 0)
                orgs.append(
                    Organisation(
                        name=f"Synthetic {'generator' if kind == 'g' else 'transporter' if kind == 't' else 'facility'} {index + 1}",
                        tax_code=f"9{stamp}{'gtf'.index(kind)}{index:07d}",
                        is_generator=kind == "g",
                        is_transporter=transports,
                        is_facility=kind == "f",
                        address="Synthetic",
                    )
                )
        Organisation.objects.bulk_create(orgs, batch_size=5000)
        orgs = list(Organisation.objects.filter(tax_code__startswith=f"9{stamp}").order_by("tax_code"))
        by_kind = {"g": [], "t": [], "f": []}
        for org in orgs:
            by_kind["gtf"[int(org.tax_code[2])]].append(org)
        sites = []
        for kind, members in by_kind.items():
            for rank, org in enumerate(members):
                # The largest generators (lowest rank) have more sites.
                count = 1 if kind != "g" else (3 if rank < 50 else 2 if rank < 500 else 1)
                for number in range(count):
                    province = self.random.choices(provinces, weights)[0]
                    lat, lng = self._position(province)
                    sites.append(
                        Site(
                            organisation=org, name=f"{org.name} – site {number + 1}", address="Synthetic",
                            province=province, ward_id=self.random.choice(wards[province.code]), latitude=lat, longitude=lng,
                        )
                    )
        Site.objects.bulk_create(sites, batch_size=5000)
        return by_kind

    def people_and_assets(self, by_kind):
        password = make_password(PASSWORD)
        User.objects.get_or_create(username=SYNTHETIC_USER, defaults={"full_name": "Synthetic data", "password": password, "is_active": False})
        users, memberships, vehicles = [], [], []
        for members in by_kind.values():
            for org in members:
                users.append(User(username=f"syn_{org.tax_code}", full_name=f"Admin of {org.name}", password=password))
                if org.is_transporter:
                    users.append(User(username=f"syn_{org.tax_code}_driver", full_name=f"Driver of {org.name}", password=password))
        User.objects.bulk_create(users, batch_size=5000)
        people = {u.username: u for u in User.objects.filter(username__startswith="syn_")}
        plate = 0
        for members in by_kind.values():
            for org in members:
                memberships.append(Membership(user=people[f"syn_{org.tax_code}"], organisation=org, role=Membership.Role.ADMIN))
                if org.is_transporter:
                    memberships.append(Membership(user=people[f"syn_{org.tax_code}_driver"], organisation=org, role=Membership.Role.DRIVER))
                    for _ in range(self.random.randint(2, 10)):
                        area, number = 11 + plate % 89, plate // 89
                        vehicles.append(Vehicle(organisation=org, plate=f"{area}SY-{number // 100:03d}.{number % 100:02d}", capacity_kg=10000))
                        plate += 1
        Membership.objects.bulk_create(memberships, batch_size=5000)
        Vehicle.objects.bulk_create(vehicles, batch_size=5000)
        codes = list(WasteCode.objects.current().exclude(class_marker="TT"))
        methods = list(TreatmentMethod.objects.exclude(code=TreatmentMethod.OTHER))  # "Khác" would need a description
        today = timezone.localdate()
        permits = []
        # Facilities hold treatment permits (those that transport, covering transport); transporters hold transport
        # permits listing their vehicles (Decree 08/2022).
        for org in (*by_kind["f"], *by_kind["t"]):
            for site in org.sites.all():
                permits.append(
                    Permit(
                        site=site, number=f"{org.tax_code}/GPMT-SYN", issuer="Synthetic",
                        valid_from=date(today.year - self.years - 1, 1, 1), valid_until=date(today.year + 5, 12, 31),
                        yearly_capacity_kg=Decimal(self.random.randint(500, 50000)) * 1000 if org.is_facility else Decimal(0),
                        covers_transport=org.is_transporter,
                    )
                )
        Permit.objects.bulk_create(permits)
        listed = []
        for permit in Permit.objects.filter(issuer="Synthetic").select_related("site__organisation"):
            if permit.site.organisation.is_facility:
                permit.waste_codes.set(codes)
                permit.treatment_methods.set(methods)
            if permit.covers_transport:
                listed += [Permit.vehicles.through(permit_id=permit.pk, vehicle_id=v) for v in permit.site.organisation.vehicles.values_list("pk", flat=True)]
        Permit.vehicles.through.objects.bulk_create(listed, batch_size=5000)
        return codes, methods

    # --- manifests and lines (SQL) ------------------------------------------------------------------------

    def _arrays(self, by_kind):
        def sites_by_org(orgs):
            sites = {}
            rows = Site.objects.filter(organisation__in=orgs).order_by("pk").values_list("pk", "organisation_id", "province_id")
            for site_id, org_id, province_id in rows:
                sites.setdefault(org_id, []).append((site_id, province_id))
            return sites

        generators, facilities, transporters = by_kind["g"], by_kind["f"], by_kind["t"]
        gen_sites = sites_by_org(generators)
        fac_site = {org_id: sites[0] for org_id, sites in sites_by_org(facilities).items()}
        permits = dict(Permit.objects.filter(site__organisation__in=facilities).values_list("site_id", "pk"))
        people = dict(User.objects.filter(username__startswith="syn_").values_list("username", "pk"))
        vehicles = {}
        for vehicle_id, org_id in Vehicle.objects.filter(plate__contains="SY-").values_list("pk", "organisation_id"):
            vehicles.setdefault(org_id, vehicle_id)
        # A generator's manifests go through its first site three times in four, else its others.
        return {
            "gen_org": [org.pk for org in generators],
            "gen_site1": [gen_sites[org.pk][0][0] for org in generators],
            "gen_site2": [gen_sites[org.pk][-1][0] for org in generators],
            "gen_prov1": [gen_sites[org.pk][0][1] for org in generators],
            "gen_prov2": [gen_sites[org.pk][-1][1] for org in generators],
            "gen_user": [people[f"syn_{org.tax_code}"] for org in generators],
            "fac_org": [org.pk for org in facilities],
            "fac_site": [fac_site[org.pk][0] for org in facilities],
            "fac_prov": [fac_site[org.pk][1] for org in facilities],
            "fac_permit": [permits[fac_site[org.pk][0]] for org in facilities],
            "fac_user": [people[f"syn_{org.tax_code}"] for org in facilities],
            "fac_transports": [org.is_transporter for org in facilities],
            "fac_vehicle": [vehicles.get(org.pk, 0) for org in facilities],
            "fac_driver": [people.get(f"syn_{org.tax_code}_driver", 0) for org in facilities],
            "tra_org": [org.pk for org in transporters],
            "tra_vehicle": [vehicles[org.pk] for org in transporters],
            "tra_driver": [people[f"syn_{org.tax_code}_driver"] for org in transporters],
        }

    def manifests(self, arrays, codes, methods):
        seed, days = self.seed, self.years * 365
        u = lambda salt, expr="i": _unit(expr, salt, seed)  # noqa: E731
        end = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        creator = User.objects.get(username=SYNTHETIC_USER).pk
        code_ids = [code.pk for code in codes]
        method_ids = [method.pk for method in methods]
        params = {**arrays, "end": end, "creator": creator, "codes": code_ids, "methods": method_ids, "n": self.n}
        g, f, t = len(arrays["gen_org"]), len(arrays["fac_org"]), len(arrays["tra_org"])
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS synthetic_plan, synthetic_map")
            # One planning row per manifest: every choice made once, reused by the manifest and its lines.
            cursor.execute(
                f"""
                CREATE UNLOGGED TABLE synthetic_plan AS
                SELECT i,
                       1 + floor({g} * power({u(1)}, 3))::int AS gi,
                       1 + floor({f} * power({u(2)}, 2))::int AS fi,
                       1 + floor({t} * power({u(3)}, 2))::int AS ti,
                       {u(4)} < 0.25 AS other_site,
                       {u(5)} < 0.5 AS own_transport,
                       %(end)s::timestamptz - make_interval(secs => ({u(6)} * {days} * 86400)::int) AS created_at,
                       {u(7)} AS fate,
                       1 + floor({u(8)} * 4)::int AS nlines,
                       {u(9)} < 0.03 AS discrepant
                FROM generate_series(1, %(n)s) AS i
                """,
                params,
            )
            cursor.execute("ALTER TABLE synthetic_plan ADD PRIMARY KEY (i)")
            self.out("planned")
            cursor.execute(
                f"""
                INSERT INTO manifests_manifest (
                    number, number_reversed, status, version, generator_id, generator_site_id, facility_id, facility_site_id,
                    permit_id, transporter_id, prepared_by_id, province_id, facility_province_id, declared_kg,
                    planned_pickup_date, note, created_by_id, created_at, updated_at,
                    generator_signed_by_id, generator_signed_at, generator_signature_method, content_hash,
                    vehicle_id, driver_id, picked_up_at, delivered_at, received_by_id, received_at,
                    has_discrepancy, has_rejection, rejection_reason, completed_at, cancelled_at, cancel_reason, overdue_since,
                    completed_by_id, over_capacity, origin_kind, refused_by_generator
                )
                SELECT number, reverse(number), status, 1, gen_org, gen_site, fac_org, fac_site, permit, tra_org, gen_org, gen_prov,
                       fac_prov, declared, (created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date + 3, '', %(creator)s, created_at, created_at,
                       CASE WHEN status NOT IN ('sealed', 'cancelled') THEN gen_user END,
                       CASE WHEN status NOT IN ('sealed', 'cancelled') THEN created_at + interval '1 day' END,
                       CASE WHEN status NOT IN ('sealed', 'cancelled') THEN 'password' ELSE '' END,
                       CASE WHEN status NOT IN ('sealed', 'cancelled') THEN md5(number) || md5(reverse(number)) ELSE '' END,
                       CASE WHEN picked THEN vehicle END, CASE WHEN picked THEN driver END,
                       CASE WHEN picked THEN created_at + interval '3 days' END,
                       CASE WHEN received THEN created_at + interval '4 days' END,
                       CASE WHEN received THEN fac_user END, CASE WHEN received THEN created_at + interval '4 days' END,
                       discrepant AND received AND status <> 'rejected', status = 'rejected',
                       CASE WHEN status = 'rejected' THEN 'Bao bì không đạt yêu cầu' ELSE '' END,
                       CASE WHEN status = 'completed' THEN created_at + interval '20 days' END,
                       CASE WHEN status = 'cancelled' THEN created_at + interval '1 day' END,
                       CASE WHEN status = 'cancelled' THEN 'Thay đổi kế hoạch' ELSE '' END,
                       CASE WHEN status IN ('in_transit', 'delivered', 'received') AND created_at < %(end)s - interval '183 days'
                            THEN created_at + interval '183 days' END,
                       CASE WHEN status = 'completed' THEN fac_user END, false, '', false
                FROM (
                    SELECT p.*, s.status,
                           s.status NOT IN ('sealed', 'ready_for_pickup', 'cancelled') AS picked,
                           s.status IN ('received', 'completed', 'rejected') AS received,
                           format('%%s-%%s-S%%s', lpad(gen_prov::text, 2, '0'), extract(year FROM p.created_at)::int,
                                  lpad(p.i::text, 8, '0')) AS number
                    FROM (
                        SELECT pl.*,
                               (%(gen_org)s::bigint[])[gi] AS gen_org,
                               CASE WHEN other_site THEN (%(gen_site2)s::bigint[])[gi] ELSE (%(gen_site1)s::bigint[])[gi] END AS gen_site,
                               CASE WHEN other_site THEN (%(gen_prov2)s::int[])[gi] ELSE (%(gen_prov1)s::int[])[gi] END AS gen_prov,
                               (%(gen_user)s::bigint[])[gi] AS gen_user,
                               (%(fac_org)s::bigint[])[fi] AS fac_org, (%(fac_site)s::bigint[])[fi] AS fac_site,
                               (%(fac_prov)s::int[])[fi] AS fac_prov, (%(fac_permit)s::bigint[])[fi] AS permit,
                               (%(fac_user)s::bigint[])[fi] AS fac_user,
                               CASE WHEN own_transport AND (%(fac_transports)s::bool[])[fi] THEN (%(fac_org)s::bigint[])[fi]
                                    ELSE (%(tra_org)s::bigint[])[ti] END AS tra_org,
                               CASE WHEN own_transport AND (%(fac_transports)s::bool[])[fi] THEN (%(fac_vehicle)s::bigint[])[fi]
                                    ELSE (%(tra_vehicle)s::bigint[])[ti] END AS vehicle,
                               CASE WHEN own_transport AND (%(fac_transports)s::bool[])[fi] THEN (%(fac_driver)s::bigint[])[fi]
                                    ELSE (%(tra_driver)s::bigint[])[ti] END AS driver,
                               (SELECT sum(round((20 + 2000 * power({u(20, 'pl.i * 8 + k')}, 2))::numeric, 2))
                                FROM generate_series(1, pl.nlines) AS k) AS declared
                        FROM synthetic_plan pl
                    ) p
                    CROSS JOIN LATERAL (
                        SELECT CASE
                            WHEN p.created_at < %(end)s - interval '30 days' THEN CASE
                                WHEN p.fate < 0.93 THEN 'completed' WHEN p.fate < 0.95 THEN 'rejected'
                                WHEN p.fate < 0.97 THEN 'cancelled' WHEN p.fate < 0.985 THEN 'received' ELSE 'in_transit' END
                            ELSE CASE
                                WHEN p.fate < 0.35 THEN 'completed' WHEN p.fate < 0.5 THEN 'received' WHEN p.fate < 0.6 THEN 'delivered'
                                WHEN p.fate < 0.75 THEN 'in_transit' WHEN p.fate < 0.85 THEN 'ready_for_pickup'
                                WHEN p.fate < 0.9 THEN 'sealed' WHEN p.fate < 0.93 THEN 'rejected' ELSE 'cancelled' END
                        END AS status
                    ) s
                ) m
                ORDER BY i
                """,
                params,
            )
            self.out(f"{self.n} manifests")
            # The manifest of each plan row, by the sequence in its number: a hash join, not a lookup per line.
            cursor.execute(
                """
                CREATE UNLOGGED TABLE synthetic_map AS
                SELECT split_part(m.number, '-S', 2)::int AS i, m.id, m.status, m.has_discrepancy, m.picked_up_at,
                       m.received_at, m.rejection_reason, m.completed_at
                FROM manifests_manifest m WHERE m.created_by_id = %(creator)s
                """,
                params,
            )
            cursor.execute(
                f"""
                INSERT INTO manifests_manifestline (
                    manifest_id, position, waste_code_id, description, physical_state, packaging_type, packaging_count,
                    quantity_kg, pickup_quantity_kg, received_quantity_kg, received_waste_code_id, discrepancy,
                    discrepancy_comment, rejected, rejection_reason, treatment_method_id, treated_on,
                    planned_method_id, planned_method_note, treatment_note, pickup_discrepancy
                )
                SELECT m.id, k, (%(codes)s::bigint[])[1 + floor({u(21, 'pl.i * 8 + k')} * %(ncodes)s)::int],
                       'Chất thải tổng hợp', 'solid', 'drum', 1 + floor({u(22, 'pl.i * 8 + k')} * 20)::int, q.kg,
                       CASE WHEN m.picked_up_at IS NOT NULL THEN q.kg END,
                       CASE WHEN m.received_at IS NOT NULL AND m.status <> 'rejected'
                            THEN CASE WHEN m.has_discrepancy AND k = 1 THEN round(q.kg * 0.8, 2) ELSE q.kg END END,
                       NULL, m.has_discrepancy AND k = 1 AND m.status <> 'rejected',
                       CASE WHEN m.has_discrepancy AND k = 1 AND m.status <> 'rejected' THEN 'Thiếu so với khối lượng kê khai' ELSE '' END,
                       m.status = 'rejected', CASE WHEN m.status = 'rejected' THEN m.rejection_reason ELSE '' END,
                       CASE WHEN m.status = 'completed' THEN (%(methods)s::bigint[])[1 + floor({u(23, 'pl.i * 8 + k')} * %(nmethods)s)::int] END,
                       CASE WHEN m.status = 'completed' THEN (m.completed_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date END,
                       CASE WHEN m.status NOT IN ('draft') THEN (%(methods)s::bigint[])[1 + floor({u(23, 'pl.i * 8 + k')} * %(nmethods)s)::int] END,
                       '', '', false
                FROM synthetic_plan pl
                JOIN synthetic_map m ON m.i = pl.i
                CROSS JOIN LATERAL generate_series(1, pl.nlines) AS k
                CROSS JOIN LATERAL (SELECT round((20 + 2000 * power({u(20, 'pl.i * 8 + k')}, 2))::numeric, 2) AS kg) q
                """,
                {**params, "ncodes": len(code_ids), "nmethods": len(method_ids)},
            )
            self.out(f"{cursor.rowcount} lines")
            cursor.execute("DROP TABLE synthetic_plan, synthetic_map")

    def access_index(self):
        """The access rows of the synthetic manifests (manifests.access.insert_rows), then every counter. The
        table's indexes are dropped for the load and built again after it: several times faster than keeping
        six indexes up to date row by row over millions of rows."""
        with without_indexes("manifests_manifestaccess"):
            count = access.insert_rows("m.created_by_id = (SELECT id FROM accounts_user WHERE username = %(user)s)", {"user": SYNTHETIC_USER})
            self.out(f"{count} access rows")
        self.out("access indexes built")
        access.recount()


# The tables the seeder fills with millions of rows.
LOADED_TABLES = ("manifests_manifest", "manifests_manifestline", "manifests_manifestaccess")


@contextmanager
def without_indexes(table):
    """Drop the table's secondary indexes and unique constraints for a bulk load, and create them again after
    (inside the caller's transaction: a failure leaves them as they were)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        constraints = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND i.indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p')",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred foreign-key checks before the DDL
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def reset():
    """Remove the synthetic data (manifests first, then what they named)."""
    with transaction.atomic(), connection.cursor() as cursor:
        synthetic = "SELECT m.id FROM manifests_manifest m JOIN accounts_user u ON u.id = m.created_by_id WHERE u.username = %s"
        for table in ("manifests_manifestaccess", "manifests_manifestline", "manifests_notification", "manifests_manifestsnapshot"):
            cursor.execute(f"DELETE FROM {table} WHERE manifest_id IN ({synthetic})", [SYNTHETIC_USER])
        cursor.execute(f"DELETE FROM manifests_manifest WHERE id IN ({synthetic})", [SYNTHETIC_USER])
        orgs = "SELECT id FROM accounts_organisation WHERE address = 'Synthetic' AND tax_code LIKE '9%%'"
        cursor.execute("DELETE FROM accounts_permit_vehicles WHERE permit_id IN (SELECT id FROM accounts_permit WHERE issuer = 'Synthetic')")
        cursor.execute("DELETE FROM accounts_permit_waste_codes WHERE permit_id IN (SELECT id FROM accounts_permit WHERE issuer = 'Synthetic')")
        cursor.execute("DELETE FROM accounts_permit_treatment_methods WHERE permit_id IN (SELECT id FROM accounts_permit WHERE issuer = 'Synthetic')")
        cursor.execute("DELETE FROM accounts_permit WHERE issuer = 'Synthetic'")
        cursor.execute(f"DELETE FROM accounts_vehicle WHERE organisation_id IN ({orgs})")
        cursor.execute(f"DELETE FROM accounts_membership WHERE organisation_id IN ({orgs})")
        cursor.execute("DELETE FROM accounts_user WHERE username LIKE 'syn\\_%%'")
        cursor.execute(f"DELETE FROM accounts_site WHERE organisation_id IN ({orgs})")
        cursor.execute(f"DELETE FROM accounts_organisation WHERE id IN ({orgs})")
        access.recount()


@contextmanager
def without_foreign_keys(tables):
    """Drop the tables' foreign keys for a bulk load and add them again after it (in the caller's transaction).

    Kept, a deferred foreign key queues one check per inserted row and key until the commit: at 3 M manifests,
    7.5 M lines and their access rows, some 60 M checks, 17 minutes. Added again, each key is checked by one
    join over the whole table."""
    dropped = []
    with connection.cursor() as cursor:
        # The checks already queued (the organisations and sites just inserted) first: a table with pending
        # checks cannot be altered, and dropping a key alters the table it points to.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table in tables:
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'", [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                dropped.append((table, name, definition))
    yield
    with connection.cursor() as cursor:
        for table, name, definition in dropped:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def seed(manifests, years, seed_value, out=print, force=False):
    seeder = Seeder(manifests, years, seed_value, out)
    seeder.check(force)
    with transaction.atomic():
        by_kind = seeder.organisations()
        codes, methods = seeder.people_and_assets(by_kind)
        out(f"{sum(len(v) for v in by_kind.values())} organisations")
        with without_foreign_keys(LOADED_TABLES):
            seeder.manifests(seeder._arrays(by_kind), codes, methods)
            seeder.access_index()
        out("foreign keys checked")
    with connection.cursor() as cursor:
        # Statistics for the planner, and the visibility map for index-only scans (autovacuum would get there).
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")  # VACUUM cannot run in a transaction
    return seeder
