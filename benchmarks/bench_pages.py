"""Benchmark: server time and query count of every page that lists or counts manifests, per role, on PostgreSQL
with synthetic national data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwms_pages \\
        .venv/bin/python benchmarks/bench_pages.py --manifests 1000000 [--years 3] [--seed 1] [--repeat 20]

What it does: migrates the database, loads the reference data, seeds N synthetic manifests with
`manage.py seed_synthetic` unless they are already there (it reuses them), then logs in as each role — a
central official, the provincial official of the province with most manifests, the member of the largest
generator, the staff of the largest facility, the driver of the largest transporter — and requests each of
their pages `--repeat` times through Django's test client (the whole request: middleware, queries, template).
It prints p50 / p95 in milliseconds and the number of queries of one request, per page. "Later pages" open the
list at a cursor two years back, as a user paging far down would reach it. Not a test: figures depend on the
machine.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def setup(args):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwms.settings")
    os.environ.setdefault("HWMS_TESTING", "1")  # relaxed hosts and cookies for the in-process client
    import django

    django.setup()
    from django.core.management import call_command

    from manifests.models import Manifest
    from manifests.synthetic import SYNTHETIC_USER

    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0, stdout=open(os.devnull, "w"))
    have = Manifest.objects.filter(created_by__username=SYNTHETIC_USER).count()
    if getattr(args, "reuse", False):  # bench_gis and bench_stats call this set-up too
        print(f"reusing {have} synthetic manifests (--reuse)")
    elif have != args.manifests:
        started = time.monotonic()
        call_command("seed_synthetic", reset=have > 0, manifests=args.manifests, years=args.years, seed=args.seed, force=True)
        print(f"seeded {args.manifests} manifests in {time.monotonic() - started:.0f} s")
    else:
        print(f"reusing {have} synthetic manifests")


def second_factor(session, user):
    """Mark a session as past the second step, as the sign-in does for an official or an administrator (with a
    real authenticator of theirs, made when missing): the benchmarks measure pages, not the sign-in."""
    from accounts import two_factor

    if two_factor.requires_two_factor(user) or two_factor.has_device(user):
        session[two_factor.DEVICE_ID_SESSION_KEY] = two_factor.give_authenticator(user).persistent_id


def sign_in(client, user):
    """force_login, then the second factor (see second_factor)."""
    client.force_login(user)
    session = client.session
    second_factor(session, user)
    session.save()


def personas():
    """The users of the benchmark: one per role, on the largest organisations of the synthetic data."""
    from django.db.models import Count

    from accounts.models import Jurisdiction, Membership, User
    from manifests.models import Manifest

    def user(username, **fields):
        person, _ = User.objects.get_or_create(username=username, defaults=fields)
        return person

    central = user("bench_central")
    Jurisdiction.objects.get_or_create(user=central, defaults={"province": None})
    busiest_province = Manifest.objects.values("province").annotate(n=Count("pk")).order_by("-n").first()["province"]
    provincial = user("bench_province")
    Jurisdiction.objects.get_or_create(user=provincial, defaults={"province_id": busiest_province})

    def largest(field):
        return Manifest.objects.values(field).annotate(n=Count("pk")).order_by("-n").first()

    def member(field, role, username):
        top = largest(field)
        person = user(username)
        Membership.objects.get_or_create(user=person, organisation_id=top[field], defaults={"role": role})
        return person, top["n"]

    generator, generator_n = member("generator", Membership.Role.MEMBER, "bench_generator")
    facility, facility_n = member("facility", Membership.Role.MEMBER, "bench_facility")
    driver, driver_n = member("transporter", Membership.Role.DRIVER, "bench_driver")
    return {
        "central official": (central, None),
        "provincial official": (provincial, None),
        f"generator member ({generator_n:,} manifests)": (generator, generator_n),
        f"facility staff ({facility_n:,} manifests)": (facility, facility_n),
        f"driver ({driver_n:,} manifests)": (driver, driver_n),
    }


def pages_for(name, user):
    from django.urls import reverse
    from django.utils import timezone

    from common.pagination import Cursor
    from manifests import selectors

    deep = Cursor(timezone.now() - timedelta(days=730), 2**62).encode()
    today = timezone.localdate()
    some = selectors.scope_rows(user).order_by("-created_at").values_list("manifest_id", flat=True).first()
    number = selectors.visible_manifests(user).filter(pk=some).values_list("number", flat=True).first() or "01"
    # A driver's home redirects to the pickups (measured below).
    lists = [] if "driver" in name else [("home", reverse("home"), {})]
    lists += [
        ("manifest list", reverse("manifests:list"), {}),
        ("list, later page (2 years back)", reverse("manifests:list"), {"after": deep}),
        ("list, status filter", reverse("manifests:list"), {"status": "in_transit"}),
        ("list, date range", reverse("manifests:list"), {"date_from": (today - timedelta(days=60)).isoformat(), "date_to": today.isoformat()}),
        ("list, province", reverse("manifests:list"), {"province": "79"}),
        ("list, waste code", reverse("manifests:list"), {"waste_code": "17 02"}),
        ("list, number search (end)", reverse("manifests:list"), {"number": number[-8:]}),
        ("discrepancies", reverse("manifests:oversight", args=["discrepancies"]), {}),
        ("rejections", reverse("manifests:oversight", args=["rejections"]), {}),
        ("overdue", reverse("manifests:oversight", args=["overdue"]), {}),
        ("notifications", reverse("manifests:notifications"), {}),
    ]
    if "facility" in name:
        lists.append(("incoming", reverse("manifests:incoming"), {}))
        lists.append(("incoming, treatment pending", reverse("manifests:incoming"), {"show": "pending"}))
    if "driver" in name:
        lists.append(("pickups", reverse("manifests:driver_list"), {}))
    if some:
        lists.append(("manifest detail", reverse("manifests:detail", args=[some]), {}))
        lists.append(("manifest PDF", reverse("manifests:pdf", args=[some]), {}))
    return lists


def measure(client, url, params, repeat):
    from django.db import connection

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url, params)
    assert response.status_code == 200, (url, params, response.status_code)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    from cpu_mix import backend_cpu_ms

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    times, cpu = [], []
    for _ in range(repeat):
        started, cpu_started, db_started = time.perf_counter(), time.process_time(), backend_cpu_ms(pid)
        response = client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000 + backend_cpu_ms(pid) - db_started)
    return statistics.median(times), percentile(times, 0.95), len(queries), statistics.mean(cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifests", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="never seed: measure the synthetic manifests already there")
    args = parser.parse_args()
    setup(args)
    from django.test import Client

    from common import heap

    # CPU ms: the app's CPU time plus that of the PostgreSQL backend serving it (mean): on a machine shared with other
    # work the wall times wait for a core, the CPU a page costs does not.
    print("| who | page | p50 ms | p95 ms | CPU ms (app + PostgreSQL) | queries |\n|---|---|---|---|---|---|")
    worst = worst_cpu = 0.0
    people = personas()
    heap.freeze()  # as the server does after start-up (hwms/wsgi.py): the set-up's objects out of the collector's way
    for name, (user, _count) in people.items():
        client = Client(HTTP_HOST="localhost")
        sign_in(client, user)
        for page, url, params in pages_for(name, user):
            p50, p95, queries, cpu = measure(client, url, params, args.repeat)
            if "PDF" not in page and "detail" not in page:
                worst, worst_cpu = max(worst, p95), max(worst_cpu, cpu)
            print(f"| {name} | {page} | {p50:.1f} | {p95:.1f} | {cpu:.1f} | {queries} |", flush=True)
    print(f"\nworst p95 of the list and count pages: {worst:.1f} ms; most CPU: {worst_cpu:.1f} ms (load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
