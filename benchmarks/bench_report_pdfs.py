"""Benchmark: the statistics report PDFs on synthetic national data (PostgreSQL, rollups built).

    DEBUG=1 DATABASE_URL=postgres://…/hwms_bench .venv/bin/python benchmarks/bench_report_pdfs.py [--year 2025] [--runs 3]

Needs a database loaded by `manage.py seed_synthetic` and `manage.py rebuild_rollups`. Measures, in Vietnamese:
the figures of the national report (the dashboard's selectors) and its layout; then one report job as a central
official runs it (the national report and the 34 provincial ones, files written to a temporary MEDIA_ROOT),
with the time per document. Not a test: figures depend on the machine and on what else runs on it.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(label, function, runs):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{label:<44} min {min(times):9.1f} ms   median {statistics.median(times):9.1f} ms")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwms.settings")
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="hwms-bench-reports-")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"  # the job runs in this process
    import django

    django.setup()
    from django.utils import translation

    from accounts.models import Jurisdiction, User
    from stats.models import ExportJob, ManifestMonth, StatisticsReport
    from stats.reports import data, document, jobs

    translation.activate("vi")
    manifests = sum(ManifestMonth.objects.filter(year=args.year).values_list("manifests", flat=True))
    print(f"year {args.year}: {manifests:,} manifests in the rollups")
    figures = timed("national figures (dashboard selectors)", lambda: data.gather(args.year), args.runs)
    print(f"{'':<44} {len(figures.tables['by_code'].rows)} codes, {len(figures.matrix.origins)}×{len(figures.matrix.destinations)} flow matrix")
    pdf = timed("national PDF layout", lambda: document.report_pdf(figures), args.runs)
    print(f"{'':<44} {len(pdf):,} bytes")
    timed("national report (figures + PDF)", lambda: document.report_pdf(data.gather(args.year)), args.runs)

    central, _created = User.objects.get_or_create(username="bench-central")
    Jurisdiction.objects.get_or_create(user=central, defaults={"province": None})
    started = time.perf_counter()
    job = jobs.start(central, args.year)  # eager Celery, no transaction around: the task runs here, at once
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, job.state
    reports = StatisticsReport.objects.filter(job=job)
    sizes = [report.file.size for report in reports]
    print(f"one job, national + 34 provinces: {job.done}/{job.total} documents in {elapsed:.1f} s ({elapsed / job.total:.2f} s each)")
    print(f"{'':<44} {sum(sizes):,} bytes in all, largest {max(sizes):,}")


if __name__ == "__main__":
    main()
