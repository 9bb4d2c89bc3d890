"""Benchmark: full manifest lifecycles through the service layer (the status machine), on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres hwms_bench        # optional: the script creates it when missing
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwms_bench DEBUG=1 \\
        .venv/bin/python benchmarks/bench_lifecycle.py --manifests 500 [--threads 4] [--lines 2] [--drop]
    dropdb -h 127.0.0.1 -U postgres hwms_bench           # or pass --drop

What it does: DROPS the database and creates it anew (so its name must contain "bench", or pass --force; a
flush would be refused by the audit tables' TRUNCATE trigger), migrates it, creates minimal reference data with the test factories (four generator
sites in four provinces, one facility that also transports, its permit, a truck), then runs N lifecycles
create_draft → sign → pickup → deliver → receive → treat, each call timed. It prints the throughput in
manifests per second and per-transition p50 / p95 / max in milliseconds, then verifies the audit chains.

Each transition recomputes the actor's access scope, as a new request would. Notification e-mails are queued
in Celery's in-memory broker and not sent (a worker's job, not the request's): the notifications rows and the
on-commit enqueue are measured, the SMTP round trip is not. Query logging is off even with DEBUG=1.
With --threads T, T threads each run N/T lifecycles on their own connection (T concurrent requests); with
--processes P, P forked processes do (as P gunicorn workers would: threads of one interpreter run Python one at a
time, so two threads measure one core's worth of Python).
Not a test: figures depend on the machine.
"""

import argparse
import math
import os
import platform
import secrets
import statistics
import sys
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSITIONS = ["create_draft", "sign", "pickup", "deliver", "receive", "treat"]


def ensure_database(url):
    """Create the PostgreSQL database named in the URL when it does not exist yet."""
    import dj_database_url
    import psycopg2

    db = dj_database_url.parse(url)
    if "postgresql" not in db["ENGINE"]:
        return db
    params = {"host": db["HOST"] or None, "port": db["PORT"] or None, "user": db["USER"] or None, "password": db["PASSWORD"] or None}
    conn = psycopg2.connect(dbname="postgres", **params)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{db["NAME"]}"')
            print(f"created database {db['NAME']}")
    conn.close()
    return db


def drop_database(db):
    import psycopg2

    params = {"host": db["HOST"] or None, "port": db["PORT"] or None, "user": db["USER"] or None, "password": db["PASSWORD"] or None}
    conn = psycopg2.connect(dbname="postgres", **params)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}"')
    conn.close()
    print(f"dropped database {db['NAME']}")


def setup_django():
    import logging

    logging.getLogger("kombu.connection").setLevel(logging.ERROR)  # "No hostname was supplied" of memory://
    sys.path.insert(0, str(ROOT))
    os.environ.pop("REDIS_URL", None)  # in-memory broker: e-mails are queued, never sent
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwms.settings")
    if not os.environ.get("DEBUG") and not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log (DEBUG keeps every SQL statement in memory)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast factory users


def reference_data():
    """Alpha (4 sites in 4 provinces) → Omega (facility and transporter, HCM), as in tests/conftest.py."""
    from accounts.models import Membership
    from catalog.models import PhysicalState
    from manifests import services
    from manifests.models import Packaging
    from tests import factories

    provinces = [(1, "Thành phố Hà Nội"), (79, "Thành phố Hồ Chí Minh"), (31, "Thành phố Hải Phòng"), (48, "Thành phố Đà Nẵng")]
    alpha = factories.OrganisationFactory(name="Công ty TNHH Alpha Việt Nam", tax_code="0101234567")
    sites, by_code = [], {}
    for index, (code, name) in enumerate(provinces):
        by_code[code] = province = factories.ProvinceFactory(code=code, name=name)
        ward = factories.WardFactory(code=90000 + code, province=province)
        sites.append(factories.SiteFactory(organisation=alpha, name=f"Nhà máy Alpha {index + 1}", ward=ward))
    omega = factories.OrganisationFactory(
        name="Công ty CP Môi trường Omega", tax_code="0301234567", is_generator=False, is_transporter=True, is_facility=True
    )
    omega_site = factories.SiteFactory(organisation=omega, name="Khu xử lý Omega", ward=factories.WardFactory(code=26734, province=by_code[79]))

    def member(username, org, role):
        user = factories.UserFactory(username=username)
        factories.MembershipFactory(user=user, organisation=org, role=role)
        return user

    people = {
        "alice": member("alice", alpha, Membership.Role.ADMIN),
        "fred": member("fred", omega, Membership.Role.MEMBER),
        "dan": member("dan", omega, Membership.Role.DRIVER),
    }
    factories.MembershipFactory(user=factories.UserFactory(username="vera"), organisation=alpha, role=Membership.Role.VIEWER)
    factories.JurisdictionFactory(user=factories.UserFactory(username="hn_official"), province=by_code[1])
    truck = factories.VehicleFactory(organisation=omega, plate="51C-123.45")
    oil = factories.WasteCodeFactory(code="17 02 03")
    lamps = factories.WasteCodeFactory(code="16 01 06", name_vi="Bóng đèn huỳnh quang thải", physical_states=["solid"])
    incineration = factories.TreatmentMethodFactory(code="TĐ", name_vi="Thiêu đốt")
    permit = factories.PermitFactory(site=omega_site, covers_transport=True)
    permit.vehicles.set([truck])
    permit.waste_codes.set([oil, lamps])
    permit.treatment_methods.set([incineration])
    codes = [oil, lamps]

    def lines(count, seed):
        return [
            services.LineInput(
                waste_code=codes[i % 2],
                description="Dầu thải từ máy nén" if i % 2 == 0 else "Bóng đèn huỳnh quang hỏng",
                physical_state=PhysicalState.LIQUID if i % 2 == 0 else PhysicalState.SOLID,
                packaging_type=Packaging.DRUM,
                packaging_count=1 + i,
                quantity_kg=Decimal(100 + (seed * 7 + i * 13) % 400) + Decimal("0.25"),
                planned_method=incineration,
            )
            for i in range(count)
        ]

    return {
        "people": people,
        "sites": sites,
        "omega": omega,
        "omega_site": omega_site,
        "permit": permit,
        "truck": truck,
        "incineration": incineration,
        "lines": lines,
        "password": factories.PASSWORD,
    }


def lifecycle(ref, index, line_count, timings, queries):
    """One manifest from draft to completion; appends each call's duration (seconds) to timings and
    its number of SQL statements to queries."""
    from django.db import connection
    from django.utils import timezone

    from accounts import policy
    from manifests import services

    people = ref["people"]

    def timed(name, actor, call):
        policy.forget_scope(actor)  # a new request computes the scope again
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            result = call()
            timings[name].append(time.perf_counter() - start)
        queries[name].append(count[0])
        return result

    alice, dan, fred = people["alice"], people["dan"], people["fred"]
    today = timezone.localdate()
    m = timed(
        "create_draft",
        alice,
        lambda: services.create_draft(
            alice,
            generator_site=ref["sites"][index % len(ref["sites"])],
            facility_site=ref["omega_site"],
            permit=ref["permit"],
            transporter=ref["omega"],
            planned_pickup_date=today,
            lines=ref["lines"](line_count, index),
        ),
    )
    m = timed("sign", alice, lambda: services.sign(alice, m, ref["password"]))
    lines = list(m.lines.all())
    m = timed(
        "pickup",
        dan,
        lambda: services.pickup(
            dan,
            m,
            vehicle=ref["truck"],
            quantities={line.pk: line.quantity_kg for line in lines},
            latitude=Decimal("21.028511"),
            longitude=Decimal("105.804817"),
            accuracy_m=Decimal(12),
            idempotency_key=f"bench-{index}-pickup",
        ),
    )
    m = timed("deliver", dan, lambda: services.deliver(dan, m, idempotency_key=f"bench-{index}-deliver"))
    received = {line.pk: {"received_quantity_kg": line.quantity_kg} for line in lines}
    if index % 10 == 0:  # one in ten arrives short: a discrepancy, with notifications to officials
        received[lines[0].pk] = {"received_quantity_kg": lines[0].quantity_kg * Decimal("0.8"), "comment": "Thiếu khi cân"}
    m = timed("receive", fred, lambda: services.receive(fred, m, password=ref["password"], lines=received))
    treated = {line.pk: {"treatment_method": ref["incineration"], "treated_on": today} for line in lines}
    m = timed("treat", fred, lambda: services.treat(fred, m, password=ref["password"], lines=treated))
    assert m.status == "completed", m.status


# What the workers read: set before they start (forked processes inherit it).
SHARED = {}


def run_share(start, step):
    """One worker's share of the lifecycles (every step-th from start), on its own connection: its timings and
    queries, and the error that stopped it."""
    from django.db import connections

    local, local_queries = defaultdict(list), defaultdict(list)
    try:
        for index in range(start, SHARED["manifests"], step):
            lifecycle(SHARED["ref"], index, SHARED["lines"], local, local_queries)
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        return dict(local), dict(local_queries), repr(exc)
    finally:
        connections.close_all()
    return dict(local), dict(local_queries), None


def percentile(values, p):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=200, help="number of full lifecycles (default 200)")
    parser.add_argument("--lines", type=int, default=2, help="waste lines per manifest (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="concurrent workers, one connection each (default 1)")
    parser.add_argument(
        "--processes", type=int, default=1, help="concurrent worker processes, one connection each, as gunicorn's workers (default 1)"
    )
    parser.add_argument("--warmup", type=int, default=5, help="lifecycles run first and not counted (default 5)")
    parser.add_argument("--force", action="store_true", help="allow a database whose name does not contain 'bench'")
    parser.add_argument("--drop", action="store_true", help="drop the (PostgreSQL) database at the end")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL")
    if not url:
        parser.error("set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/hwms_bench")
    import dj_database_url

    db = dj_database_url.parse(url)
    if "bench" not in str(db["NAME"]) and not args.force:
        parser.error(f"the benchmark empties database {db['NAME']!r}: use a name containing 'bench', or --force")
    if "postgresql" in db["ENGINE"]:
        # A new database each run, not a flush: the audit tables refuse TRUNCATE (accounts migration 0005).
        drop_database(db)
    db = ensure_database(url)
    setup_django()

    from django.core.management import call_command
    from django.db import connection, connections

    from accounts.audit import verify_chains
    from accounts.models import AuditEvent
    from manifests.models import Manifest

    call_command("migrate", verbosity=0, interactive=False)
    ref = reference_data()

    for index in range(args.warmup):
        lifecycle(ref, 10**6 + index, args.lines, defaultdict(list), defaultdict(list))

    timings, queries = defaultdict(list), defaultdict(list)
    errors = []
    if args.processes > 1 and args.threads > 1:
        parser.error("--processes or --threads, not both")
    SHARED.update(ref=ref, manifests=args.manifests, lines=args.lines)
    started = time.perf_counter()
    if args.processes > 1:
        # Threads of one interpreter share its lock: two of them run Python one at a time, where two gunicorn
        # workers each have a core. Forked after closing the connections: each child opens its own.
        import multiprocessing

        connections.close_all()
        with multiprocessing.get_context("fork").Pool(args.processes) as pool:
            results = pool.starmap(run_share, [(p, args.processes) for p in range(args.processes)])
    else:
        results = []  # list.append is atomic: each thread adds its share's result
        threads = [threading.Thread(target=lambda t=t: results.append(run_share(t, args.threads))) for t in range(args.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for local, local_queries, error in results:  # the i-th entry of every transition list from the same lifecycle
        if error:
            errors.append(error)
        for name, values in local.items():
            timings[name].extend(values)
            queries[name].extend(local_queries[name])
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} worker(s) failed, first: {errors[0]!r}")

    vendor = connection.vendor
    version = ""
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = " " + cursor.fetchone()[0].split()[0]
    completed = Manifest.objects.filter(status="completed").count() - args.warmup
    calls = sum(len(values) for values in timings.values())
    print(
        f"HWMS lifecycle benchmark: {vendor}{version}, database {db['NAME']}, Python {platform.python_version()}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    )
    workers = f"{args.processes} process(es)" if args.processes > 1 else f"{args.threads} thread(s)"
    print(f"{args.manifests} manifests x {args.lines} lines, {workers}, {args.warmup} warm-up lifecycles not counted")
    print(f"completed {completed} lifecycles in {elapsed:.2f} s: {completed / elapsed:.1f} manifests/s ({calls / elapsed:.0f} transitions/s)")
    print(f"{'transition':<14}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'queries':>9}")
    for name in TRANSITIONS:
        values = [v * 1000 for v in timings[name]]
        print(
            f"{name:<14}{statistics.median(values):>9.2f}{percentile(values, 95):>9.2f}{max(values):>9.2f}"
            f"{statistics.median(queries[name]):>9.0f}"
        )
    whole = [sum(timings[name][i] for name in TRANSITIONS) * 1000 for i in range(len(timings["treat"]))]
    whole_queries = [sum(queries[name][i] for name in TRANSITIONS) for i in range(len(queries["treat"]))]
    print(
        f"{'lifecycle':<14}{statistics.median(whole):>9.2f}{percentile(whole, 95):>9.2f}{max(whole):>9.2f}"
        f"{statistics.median(whole_queries):>9.0f}"
    )
    checked, problem = verify_chains()
    print(f"audit chains: {'OK' if problem is None else 'BROKEN: ' + problem}, {checked} of {AuditEvent.objects.count()} events verified")
    connections.close_all()
    if args.drop and "postgresql" in db["ENGINE"]:
        drop_database(db)
    if problem is not None or completed != args.manifests:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
