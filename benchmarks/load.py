"""Sustained load: gunicorn with DEBUG off on PostgreSQL and Redis, 32 connections of wrk over a mix of every
role's pages (home, lists, detail, PDF), on the synthetic data of bench_pages.py.

    apt-get install -y wrk
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwms_pages REDIS_URL=redis://127.0.0.1:6379/1 \\
        .venv/bin/python benchmarks/load.py [--connections 32] [--seconds 30] [--workers 4] [--worker-class sync]

Seed once with bench_pages.py (or `manage.py seed_synthetic --manifests 1000000 --years 3 --seed 1` after migrate
and load_reference_data): the personas and pages are the ones bench_pages.py picks on that data.

What it does: collects the static files, reuses the personas of bench_pages.py (seed the database with bench_pages.py first), opens a
session for each of them directly in the session store, writes a wrk Lua script that cycles through the mix
of (page, session) pairs, starts gunicorn on 127.0.0.1, warms it up, runs wrk, and prints the requests per
second, the latency percentiles (p50, p95, p99), the non-2xx answers and the requests that timed out, then
stops gunicorn and says whether the target of issue 7 is met (≥ 150 requests/s at p95 < 300 ms). wrk leaves
requests slower than its timeout out of the percentiles: the timeout is set to 10 s, and any timeout is reported.
Traffic goes to 127.0.0.1 only, bounded in time. Not a test: figures depend on the machine (and on whatever else
runs on it: compare before/after back to back; benchmarks/cpu_mix.py gives the CPU cost per request, which does
not depend on the load).
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8077
TARGET_RATE, TARGET_P95_MS = 150, 300
ENV = {
    "SECRET_KEY": "load-test-secret-key-0123456789-abcdefghij",
    "HWMS_AUDIT_KEY": "load-test-audit-key-0123456789-abcdefghijk",  # required with DEBUG off, like SECRET_KEY
    "SITE_URL": f"http://127.0.0.1:{PORT}",
    "EMAIL_HOST": "localhost",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
}


def sessions_and_paths():
    """(path, session cookie) pairs: each persona's pages, as bench_pages.py lists them."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwms.settings")
    os.environ.update(ENV)
    import django

    django.setup()
    from importlib import import_module

    import bench_pages
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.http import urlencode

    store = import_module(settings.SESSION_ENGINE).SessionStore
    mix = []
    for name, (user, _count) in bench_pages.personas().items():
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "accounts.backends.PortalBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        bench_pages.second_factor(session, user)
        session.create()
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        for page, url, params in bench_pages.pages_for(name, user):
            if any(word in page for word in ("home", "manifest list", "detail", "PDF", "incoming", "pickups", "status filter", "discrepancies")):
                mix.append((url + ("?" + urlencode(params) if params else ""), cookie))
    return mix


LUA = """
local requests = {%s}
local counter = 0
request = function()
  counter = counter + 1
  local item = requests[(counter %% #requests) + 1]
  return wrk.format("GET", item[1], {["Cookie"] = item[2], ["Host"] = "127.0.0.1"})
end
local failures = 0
response = function(status, headers, body)
  if status >= 300 then failures = failures + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("p50_ms=%%.1f p95_ms=%%.1f p99_ms=%%.1f\\n", latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("non2xx=%%d\\n", summary.errors.status))
end
"""


def report(output):
    """The summary line of a wrk run, and whether the target is met."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p95 = re.search(r"p95_ms=([\d.]+)", output)
    timeouts = re.search(r"timeout (\d+)", output)
    non2xx = re.search(r"non2xx=(\d+)", output)
    if not (rate and p95):
        print("RESULT wrk gave no figures")
        return
    timeouts = int(timeouts.group(1)) if timeouts else 0
    errors = int(non2xx.group(1)) if non2xx else 0
    print(f"RESULT requests/s={rate.group(1)} " + " ".join(re.findall(r"p\d+_ms=[\d.]+", output)) + f" non2xx={errors} timeouts={timeouts}")
    met = float(rate.group(1)) >= TARGET_RATE and float(p95.group(1)) < TARGET_P95_MS and not errors and not timeouts
    print(f"TARGET (>= {TARGET_RATE} requests/s, p95 < {TARGET_P95_MS} ms, no errors): {'met' if met else 'NOT met'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--worker-threads", type=int, default=1, help="gunicorn threads per worker (gthread when > 1)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (sync, gthread)")
    parser.add_argument("--keep-alive", type=int, default=2, help="gunicorn keep-alive seconds (gthread only: sync workers close)")
    parser.add_argument("--preload", action="store_true", help="load the application before forking the workers")
    parser.add_argument("--port", type=int, default=PORT, help="local port of gunicorn (another run may hold the default)")
    args = parser.parse_args()
    port = args.port
    ENV["SITE_URL"] = f"http://127.0.0.1:{port}"
    mix = sessions_and_paths()
    entries = ",\n".join(f'{{"{path}", "{cookie}"}}' for path, cookie in mix)
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(LUA % entries)
    script.close()
    env = {**os.environ, **ENV}
    env.pop("DEBUG", None)
    env.pop("HWMS_TESTING", None)
    # Production serves hashed static files (whitenoise): collect them first.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "hwms.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
         "--threads", str(args.worker_threads), "--worker-class", args.worker_class, "--keep-alive", str(args.keep_alive),
         "--log-level", "warning", *(["--preload"] if args.preload else [])],
        cwd=ROOT, env=env, start_new_session=True,
    )
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.5)
        print(
            f"{len(mix)} (page, session) pairs; gunicorn {args.workers} {args.worker_class} workers x {args.worker_threads} threads"
            f"{', preloaded' if args.preload else ''}; {args.connections} connections, {args.seconds} s"
        )
        wrk = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "--timeout", "10s", "-s", script.name]
        subprocess.run([*wrk, "-d", "5s", f"http://127.0.0.1:{port}"], capture_output=True)  # warm-up
        run = subprocess.run([*wrk, "-d", f"{args.seconds}s", f"http://127.0.0.1:{port}"], capture_output=True, text=True)
        print(run.stdout)
        report(run.stdout)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        os.unlink(script.name)


if __name__ == "__main__":
    main()
