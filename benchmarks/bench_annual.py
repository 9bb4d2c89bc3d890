"""Benchmark: annual reports on synthetic national data (PostgreSQL).

    DEBUG=1 DATABASE_URL=postgres://…/hwms_bench .venv/bin/python benchmarks/bench_annual.py [--year 2025] [--runs 5]

Needs a database loaded by `manage.py seed_synthetic`. Measures, for the year: the prefill of the busiest
generator site and of the busiest facility site (read from the raw manifests), the PDF and the XLSX of the
facility's report (built from the content, unsaved), the nightly refresh of who must report, the officials'
register for the whole country and the list of non-submitters of the province with most sites. Prints min / median in milliseconds and the sizes involved.
Not a test: figures depend on the machine and on what else runs on it.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(label, function, runs, note=""):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{label:<42} min {min(times):8.1f} ms   median {statistics.median(times):8.1f} ms   {note}")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwms.settings")
    import django

    django.setup()
    from django.db.models import Count
    from django.utils import timezone, translation

    from accounts.models import Jurisdiction, Site, User
    from manifests.models import Manifest
    from stats.annual import periods, prefill, selectors, services
    from stats.annual.documents import report_pdf, report_xlsx
    from stats.models import AnnualReport

    translation.activate("vi")
    start, end = periods.year_bounds(args.year)
    in_year = Manifest.objects.filter(picked_up_at__gte=start, picked_up_at__lt=end)
    print(f"manifests picked up in {args.year}: {in_year.count():,}; sites: {Site.objects.count():,}")
    generator = in_year.values("generator_site").annotate(n=Count("id")).order_by("-n").first()
    facility = in_year.values("facility_site").annotate(n=Count("id")).order_by("-n").first()
    generator_site = Site.objects.select_related("organisation", "province").get(pk=generator["generator_site"])
    facility_site = Site.objects.select_related("organisation", "province").get(pk=facility["facility_site"])
    rows = timed("generator prefill (busiest site)", lambda: prefill.generator_prefill(generator_site, args.year), args.runs, f"{generator['n']:,} manifests")
    print(f"{'':<42} {len(rows['handed_over'])} rows")
    content = timed(
        "facility report content (busiest facility)",
        lambda: services.build_content(facility_site, args.year, form="05.A", entries=[]),
        args.runs,
        f"{facility['n']:,} manifests",
    )
    print(f"{'':<42} received rows {len(content['prefill']['received'])}, treated rows {len(content['prefill']['treated'])}")
    user = User.objects.filter(is_superuser=True).first() or User.objects.first()
    report = AnnualReport(
        site=facility_site, year=args.year, version=1, kind=content["kind"], form="05.A", content=content,
        content_hash="0" * 64, submitted_by=user, submitted_at=timezone.now(), due_by=periods.due_by(args.year), is_late=True,
    )
    pdf = timed("PDF of that report", lambda: report_pdf(report), args.runs)
    print(f"{'':<42} {len(pdf):,} bytes")
    xlsx = timed("XLSX of that report", lambda: report_xlsx(report), args.runs)
    print(f"{'':<42} {len(xlsx):,} bytes")
    from stats.annual import obligations

    count = timed("obligations refresh (who must report)", lambda: obligations.refresh(args.year), max(1, args.runs // 2))
    print(f"{'':<42} {count:,} sites")
    central, _created = User.objects.get_or_create(username="bench-central")
    Jurisdiction.objects.get_or_create(user=central, defaults={"province": None})
    register = timed("register, whole country (34 provinces)", lambda: selectors.register(central, args.year), args.runs)
    busiest = max(register[0], key=lambda row: row["expected"])
    print(f"{'':<42} expected {register[1]['expected']:,}, submitted {register[1]['submitted_count']:,}")
    timed(
        f"non-submitters of {busiest['province'].name}",
        lambda: selectors.non_submitters(busiest["province"], args.year),
        args.runs,
        f"{busiest['missing']:,} sites",
    )


if __name__ == "__main__":
    main()
