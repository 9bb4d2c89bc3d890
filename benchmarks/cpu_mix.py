"""CPU per request over the load mix of load.py, in process: noise-free figures to compare changes with.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwms_load REDIS_URL=redis://127.0.0.1:6379/1 \\
        .venv/bin/python benchmarks/cpu_mix.py [--rounds 5] [--profile list]

Wall-clock load figures (load.py) move with whatever else runs on the machine; the CPU time a request costs
does not. This script sends the same (page, session) pairs as load.py through Django's test client (the whole
request: middleware, session, queries, template), with DEBUG off, one at a time, and reports per page type:
the Python CPU time (time.process_time), the CPU time of the PostgreSQL backend serving the connection (read
from /proc, PostgreSQL runs on this machine), their sum, the wall time and the number of queries. The sum is
what bounds throughput on a machine whose cores are saturated: requests/s ≈ cores × 1000 / (app + db ms).
`--profile KIND` prints the cProfile of that page type (e.g. "list", "detail", "home", "pdf"; "all": the whole mix).
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import load  # noqa: E402 - sets up the same environment and mix as the load test


def kind_of(path):
    """The page type of a path of the mix."""
    if path.endswith("/pdf/"):
        return "pdf"
    if "/incoming/" in path:
        return "incoming"
    if "/driver/" in path or "/pickups/" in path:
        return "pickups"
    if "/oversight/" in path or "discrepanc" in path:
        return "oversight"
    if path.split("?")[0].rstrip("/").split("/")[-1].isdigit():
        return "detail"
    if path.split("?")[0] == "/":
        return "home"
    return "list"


def backend_cpu_ms(pid):
    """User + system CPU of a local process, in milliseconds (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the whole mix (after one warm-up pass)")
    parser.add_argument("--profile", help="print the cProfile of this page type")
    parser.add_argument("--profile-out", help="also write that profile to this file (pstats format)")
    args = parser.parse_args()
    mix = load.sessions_and_paths()
    from django.conf import settings
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # production serves hashed static files
    from django.db import connection
    from django.test import Client

    assert not settings.DEBUG
    clients = {}
    for _path, cookie in mix:
        if cookie not in clients:
            name, value = cookie.split("=", 1)
            client = Client(HTTP_HOST="127.0.0.1")
            client.cookies[name] = value
            clients[cookie] = client
    queries = defaultdict(list)

    def get(path, cookie, count=None):
        def counting(execute, sql, params, many, context):
            count.append(sql)
            return execute(sql, params, many, context)

        if count is None:
            response = clients[cookie].get(path)
        else:
            with connection.execute_wrapper(counting):
                response = clients[cookie].get(path)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        assert response.status_code == 200, (path, response.status_code)
        return response

    for path, cookie in mix:  # warm-up: connections, caches, template loading
        found = []
        get(path, cookie, found)
        queries[kind_of(path)].append(len(found))
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    app, db, wall = defaultdict(list), defaultdict(list), defaultdict(list)
    # CPU time, not wall time: on a shared machine waits for PostgreSQL, Redis or the scheduler would dominate.
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    for _ in range(args.rounds):
        for path, cookie in mix:
            kind = kind_of(path)
            db_before, cpu_before, wall_before = backend_cpu_ms(pid), time.process_time(), time.perf_counter()
            if profiler and args.profile in (kind, "all"):
                profiler.enable()
                get(path, cookie)
                profiler.disable()
            else:
                get(path, cookie)
            app[kind].append((time.process_time() - cpu_before) * 1000)
            wall[kind].append((time.perf_counter() - wall_before) * 1000)
            db[kind].append(backend_cpu_ms(pid) - db_before)
    # CPU times: means (PostgreSQL's are counted in 10 ms ticks, exact only on average); wall time: medians.
    print(f"{len(mix)} (page, session) pairs, {args.rounds} rounds; CPU ms per request (mean), wall ms (median)")
    print("| page type | pages | app CPU ms | PostgreSQL CPU ms | total CPU ms | wall ms | queries |")
    print("|---|---|---|---|---|---|---|")
    total_app = total_db = 0.0
    for kind in sorted(app):
        a, d, w = statistics.mean(app[kind]), statistics.mean(db[kind]), statistics.median(wall[kind])
        counts = queries[kind]
        total_app += a * len(counts)
        total_db += d * len(counts)
        print(f"| {kind} | {len(counts)} | {a:.1f} | {d:.1f} | {a + d:.1f} | {w:.1f} | {min(counts)}–{max(counts)} |")
    n = len(mix)
    per_request = (total_app + total_db) / n
    print(f"\nmix: app {total_app / n:.1f} ms + PostgreSQL {total_db / n:.1f} ms = {per_request:.1f} ms CPU per request"
          f" -> ceiling ≈ {2000 / per_request:.0f} requests/s on 2 cores (before gunicorn, wrk and network overhead)")
    if profiler and args.profile_out:
        profiler.dump_stats(args.profile_out)
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
