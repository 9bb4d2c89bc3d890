"""Benchmark of the statistics on PostgreSQL with synthetic national data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwms_stats_bench REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python benchmarks/bench_stats.py --manifests 1000000 [--years 3] [--seed 1] [--repeat 20]

What it measures (figures depend on the machine; other processes sharing its CPU show in them):
1. the raw GROUP BYs of every rollup table (`WITH t AS MATERIALIZED (<GROUP BY>) SELECT count(*) FROM t`: every
   column computed, nothing written) against the
   full rebuild (`stats.rollups.rebuild`: delete and INSERT … SELECT the same GROUP BYs) — target ≤ 2×;
   then `check_rollups`' comparison, optional (--check);
2. dashboard p50/p95 through Django's test client (whole request) for a central official (country; country
   filtered by a chapter) and the provincial official of the busiest province, plus the largest enterprise's
   and facility's pages — target p95 < 200 ms — cold (the version counters moved before each request, as a
   recompute moves them: every section computed) and warm (the sections from the cache);
3. the delay from a completed manifest (treatment recorded through manifests.services, committed) to the
   dashboards' figures showing it, with a real `celery -A hwms worker` (started here on a queue of its own)
   — target < 10 s;
4. the export of a year of manifest lines (the Celery job's function, run in-process) for a central official.
"""

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import bench_pages  # noqa: E402
from benchmarks.bench_pages import percentile, sign_in  # noqa: E402


def setup(args):
    """Migrate, load the reference data and seed the synthetic manifests as bench_pages does (reused)."""
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"  # the worker, not this process, runs the tasks
    bench_pages.setup(args)


def timed(function, *args):
    started = time.monotonic()
    result = function(*args)
    return time.monotonic() - started, result


def rebuild_against_group_by(check, names=None):
    from django.db import connection

    from stats import rollups

    def raw(grouping):
        if isinstance(grouping, rollups.Silent):  # derived from GeneratorYear: its SELECT over that table
            sql, params, _columns = grouping.sql()
        else:
            sql, params = grouping.queryset().query.sql_with_params()
        with connection.cursor() as cursor:
            # MATERIALIZED: every column computed (PostgreSQL drops the outputs of a plain subquery that the
            # outer count(*) does not read, which would skip the sums).
            cursor.execute(f"WITH t AS MATERIALIZED ({sql}) SELECT count(*) FROM t", params)
            return cursor.fetchone()[0]

    print("\nrollup: raw GROUP BY s / rebuild s (rows)")
    total_raw = total_rebuild = 0
    for name, grouping in rollups.GROUPINGS.items():
        if names and name not in names:
            continue
        raw(grouping)  # warm the cache: both sides then read the same pages from memory
        raw_s, groups = timed(raw, grouping)
        rebuild_s, written = timed(rollups.rebuild, [name])
        assert written[name] == groups, (name, groups, written)
        total_raw, total_rebuild = total_raw + raw_s, total_rebuild + rebuild_s
        print(f"  {name:16s} {raw_s:7.1f} / {rebuild_s:7.1f}  ({groups} rows)")
    print(f"  {'all':16s} {total_raw:7.1f} / {total_rebuild:7.1f}  = {total_rebuild / total_raw:.2f}× the GROUP BY (target ≤ 2×)")
    if check:
        check_s, differences = timed(rollups.differences)
        print(f"check_rollups: {check_s:.1f} s, {'no difference' if not differences else differences}")
    with connection.cursor() as cursor:
        tables = ", ".join(grouping.table for grouping in rollups.GROUPINGS.values())
        cursor.execute(f"VACUUM ANALYZE {tables}")


def personas():
    from django.db.models import Count, Sum

    from accounts.models import Jurisdiction, Membership, User
    from manifests.models import Manifest
    from stats.models import FacilityYear, GeneratorYear

    def user(username):
        person, _ = User.objects.get_or_create(username=username)
        return person

    central = user("bench_central")
    Jurisdiction.objects.get_or_create(user=central, defaults={"province": None})
    busiest = Manifest.objects.values("province").annotate(n=Count("pk")).order_by("-n").first()["province"]
    provincial = user("bench_province")
    Jurisdiction.objects.update_or_create(user=provincial, defaults={"province_id": busiest})
    generator = GeneratorYear.objects.values("generator").annotate(kg=Sum("declared_kg")).order_by("-kg").first()["generator"]
    facility = FacilityYear.objects.values("facility").annotate(kg=Sum("received_kg")).order_by("-kg").first()["facility"]
    member = user("bench_generator_member")
    Membership.objects.get_or_create(user=member, organisation_id=generator, defaults={"role": Membership.Role.MEMBER})
    staff = user("bench_facility_staff")
    Membership.objects.get_or_create(user=staff, organisation_id=facility, defaults={"role": Membership.Role.MEMBER})
    return central, provincial, member, staff, generator, facility, busiest


def pages(repeat, year):
    from django.test import Client
    from django.urls import reverse

    central, provincial, member, staff, generator, facility, province = personas()
    cases = [
        ("central official, country", central, reverse("stats:dashboard"), {"year": year}),
        ("central official, country, chapter 17", central, reverse("stats:dashboard"), {"year": year, "chapter": "17"}),
        ("central official, drilled into a province", central, reverse("stats:dashboard"), {"year": year, "province": province}),
        ("provincial official (busiest province)", provincial, reverse("stats:dashboard"), {"year": year}),
        ("largest generator's member", member, reverse("stats:enterprise", args=[generator]), {"year": year}),
        ("largest facility's staff", staff, reverse("stats:facility", args=[facility]), {"year": year}),
    ]
    print(f"\ndashboards, year {year}, {repeat} requests each, p50 / p95 ms (p50 of the CPU ms, app + PostgreSQL): "
          "cold (every cached section dropped before each request: what the first view after a change costs) and "
          "warm (the sections from the cache)")
    for label, user, url, params in cases:
        client = Client(HTTP_HOST="localhost")
        sign_in(client, user)
        assert client.get(url, params).status_code == 200  # templates, connections
        figures = {}
        for cold in (True, False):
            times, cpu = [], []
            for _ in range(repeat):
                if cold:
                    drop_cached_sections()
                started, app, database = time.monotonic(), time.process_time(), backend_cpu()
                response = client.get(url, params)
                times.append((time.monotonic() - started) * 1000)
                cpu.append((time.process_time() - app + backend_cpu() - database) * 1000)
                assert response.status_code == 200
            figures[cold] = f"{percentile(times, .5):7.1f} / {percentile(times, .95):7.1f} (CPU {percentile(cpu, .5):5.1f})"
        print(f"  {label:45s} cold {figures[True]}   warm {figures[False]}")


def backend_cpu():
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine: /proc), 0 if unreadable.
    With the process's own CPU, a figure the other loads of a shared machine do not inflate."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drop_cached_sections(_cache=None):
    """Every cached dashboard section and map answer (not the sessions): their keys' version counters moved, as
    a recompute moves them."""
    from stats import rollups
    from stats.models import RollupVersion

    rollups.bump([*RollupVersion.objects.values_list("scope", flat=True), rollups.REBUILD, rollups.ANY, rollups.REFERENCE])


def start_worker(queue):
    env = dict(os.environ, CELERY_TASK_ALWAYS_EAGER="0", DB_CONN_MAX_AGE="0")
    command = [
        sys.executable, "-m", "celery", "-A", "hwms", "worker", "--pool=solo", "--concurrency=1", "-l", "warning",
        "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    log = open(f"/tmp/{queue}.log", "w")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def worker_delay(samples):
    """Treat received manifests through the services (the last treatment completes them) and wait for the
    dashboards' treated total of the year to move by the treated kilograms."""
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import Membership
    from hwms.celery import app
    from manifests import services
    from manifests.models import Manifest, Status
    from manifests.synthetic import PASSWORD
    from stats import selectors

    queue = f"bench-stats-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    worker = start_worker(queue)
    try:
        time.sleep(8)  # the worker's start (not part of the delay)
        this_year = timezone.localdate().year
        candidates = (
            Manifest.objects.filter(status=Status.RECEIVED, received_at__year=this_year, received_at__lte=timezone.now(), permit__isnull=False, generator_signed_at__year=this_year)
            .order_by("-received_at")[:samples * 4]
        )
        delays = []
        for manifest in candidates:
            if len(delays) >= samples:
                break
            staff = Membership.objects.filter(organisation_id=manifest.facility_id, role__in=[Membership.Role.ADMIN, Membership.Role.MEMBER]).select_related("user").first()
            method = manifest.permit.treatment_methods.exclude(code="Khác").first()
            if staff is None or method is None:
                continue
            filters = selectors.Filters(year=timezone.localtime(manifest.generator_signed_at).year, province=manifest.province_id)
            before = selectors.national(filters)["totals"]["treated_kg"]
            lines = {line.pk: {"treatment_method": method, "treated_on": timezone.localdate()} for line in manifest.lines.filter(rejected=False, treated_on__isnull=True)}
            expected = sum((line.received_quantity_kg or Decimal(0) for line in manifest.lines.filter(pk__in=lines)), Decimal(0))
            try:
                services.treat(staff.user, manifest, lines=lines, password=PASSWORD)
            except Exception as error:  # a synthetic permit not covering the code, …: take another manifest
                print(f"  skipped {manifest.number}: {error}")
                continue
            committed = time.monotonic()
            while time.monotonic() - committed < 60:
                if selectors.national(filters)["totals"]["treated_kg"] - before == expected:
                    break
                time.sleep(0.05)
            delays.append(time.monotonic() - committed)
        print(f"\ncompleted manifest → dashboards updated (real worker), {len(delays)} samples: "
              f"p50 {percentile(delays, .5):.2f} s, max {max(delays):.2f} s (target < 10 s)")
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        client.delete(queue, *client.keys(f"_kombu.binding*.{queue}"))


def export_year(year):
    from django.core.files.storage import default_storage

    from stats import exports
    from stats.models import ExportJob

    central, *_ = personas()
    job = ExportJob.objects.create(user=central, kind="lines", params={"year": year, "province": None})
    seconds, _ = timed(exports.run_job, job.pk)
    job.refresh_from_db()
    size = job.file.size
    print(f"\nexport of a year of lines ({year}, whole country): {job.total} lines, {size / 1e6:.0f} MB CSV in {seconds:.1f} s")
    default_storage.delete(job.file.name)
    job.delete()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--samples", type=int, default=5, help="completed manifests timed through the worker")
    parser.add_argument("--check", action="store_true", help="also time check_rollups")
    parser.add_argument("--skip", default="", help="comma-separated: rebuild,pages,worker,export")
    parser.add_argument("--rollups", default="", help="comma-separated rollups to rebuild and time (default: all)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL (PostgreSQL) and REDIS_URL")
    setup(args)
    from django.utils import timezone

    skip = set(filter(None, args.skip.split(",")))
    year = timezone.localdate().year
    if "rebuild" not in skip:
        rebuild_against_group_by(args.check, set(filter(None, args.rollups.split(","))))
    if "pages" not in skip:
        pages(args.repeat, year)
        pages(args.repeat, year - 1)
    if "worker" not in skip:
        worker_delay(args.samples)
    if "export" not in skip:
        export_year(year - 1)


if __name__ == "__main__":
    main()
