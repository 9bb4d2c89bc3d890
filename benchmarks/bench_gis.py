"""Benchmark: server time of the GIS endpoints and map pages on PostgreSQL, at 50,000 sites and N manifests.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hwms_gis_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python benchmarks/bench_gis.py --manifests 3000000 [--sites 50000] [--years 3] [--seed 1] [--repeat 10]

What it does: migrates, loads the reference data, seeds N synthetic manifests with `manage.py seed_synthetic`
unless they are there (it reuses them), then tops the sites up to `--sites` (more synthetic generator sites, with
positions, spread like the seeder's) when the seeder made fewer. It logs in as a central official (every site), the
provincial official of the province with most sites, the member of the largest generator and the staff of the
largest facility, and requests through Django's test client (the whole request: middleware, queries, template):

- the sites GeoJSON, **cold** (the version counters moved before each request, as a saved site or a rollup
  recompute moves them: the query, the serialisation and gzip) and **warm** (from the cache, as every request
  until the next change);
- the same with a filter (facilities with a permit in force; a waste code);
- the province layer; the sites map page; the choropleth and the flows pages, cold and warm (their figures come
  from stats.queries: the rollups for whoever sees the whole country, the raw manifests in scope for others).

It prints p50 / p95 in milliseconds, the size of the answer and the number of features. Not a test: figures
depend on the machine.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_ORG_PREFIX = "9"  # tax codes of the sites' top-up organisations: 9xxxxxxxxx, unused by the seeder


def setup(args):
    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_pages import setup as migrate_and_seed

    migrate_and_seed(args)  # migrate, reference data, seed_synthetic unless the N manifests are there
    top_up_sites(args.sites, args.seed)


def top_up_sites(target, seed):
    """Add generator organisations with one positioned site each until there are `target` active sites."""
    import random

    from accounts.models import Organisation, Site
    from gis.models import Province, Ward
    from manifests.synthetic import CENTRES

    have = Site.objects.filter(active=True).count()
    missing = target - have
    if missing <= 0:
        print(f"{have:,} sites")
        return
    rng = random.Random(seed)
    provinces = {p.codename: p for p in Province.objects.all()}
    wards = {}
    for ward in Ward.objects.order_by("province_id", "code").only("code", "province_id"):
        wards.setdefault(ward.province_id, ward.code)
    codenames = [name for name in CENTRES if name in provinces]
    start = Organisation.objects.filter(tax_code__startswith=BENCH_ORG_PREFIX).count()
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(name=f"Doanh nghiệp thử {start + i}", tax_code=f"{BENCH_ORG_PREFIX}{start + i:09d}", is_generator=True)
            for i in range(missing)
        ],
        batch_size=5000,
    )
    sites = []
    for org in orgs:
        codename = rng.choice(codenames)
        province = provinces[codename]
        lat, lng = CENTRES[codename]
        sites.append(
            Site(
                organisation=org,
                name=f"Cơ sở {org.tax_code}",
                address="Khu công nghiệp",
                province=province,
                ward_id=wards[province.code],
                latitude=round(lat + rng.uniform(-0.15, 0.15), 6),
                longitude=round(lng + rng.uniform(-0.15, 0.15), 6),
            )
        )
    Site.objects.bulk_create(sites, batch_size=5000)
    print(f"{have:,} sites from the seeder, {missing:,} added: {Site.objects.filter(active=True).count():,}")


def personas():
    from django.db.models import Count

    from accounts.models import Jurisdiction, Membership, Site, User
    from manifests.models import Manifest

    def user(username):
        person, _ = User.objects.get_or_create(username=username)
        return person

    central = user("bench_central")
    Jurisdiction.objects.get_or_create(user=central, defaults={"province": None})
    busiest = Site.objects.values("province").annotate(n=Count("pk")).order_by("-n").first()["province"]
    provincial = user("bench_province")
    Jurisdiction.objects.update_or_create(user=provincial, defaults={"province_id": busiest})

    def member(field, username):
        top = Manifest.objects.values(field).annotate(n=Count("pk")).order_by("-n").first()
        person = user(username)
        Membership.objects.get_or_create(user=person, organisation_id=top[field], defaults={"role": Membership.Role.MEMBER})
        return person

    return {
        "central official": central,
        f"provincial official (province {busiest})": provincial,
        "generator member": member("generator", "bench_generator"),
        "facility staff": member("facility", "bench_facility"),
    }


def measure(client, url, params, repeat, cold):
    from benchmarks.bench_stats import backend_cpu, drop_cached_sections

    times, cpu, size, features = [], [], 0, None
    for _ in range(repeat):
        if cold:
            drop_cached_sections()  # every version counter moved: nothing cached is found
        started, app, database = time.perf_counter(), time.process_time(), backend_cpu()
        response = client.get(url, params, headers={"Accept-Encoding": "gzip"})
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - app + backend_cpu() - database) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
        size = len(response.content)
    if response.get("Content-Type", "").startswith("application/geo+json"):
        import gzip
        import json

        body = response.content
        if response.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        features = len(json.loads(body)["features"])
    from benchmarks.bench_pages import percentile

    return statistics.median(times), percentile(times, 0.95), statistics.median(cpu), size, features


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifests", type=int, default=3_000_000)
    parser.add_argument("--sites", type=int, default=50_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--skip-stats", action="store_true", help="Only the GeoJSON endpoints and the layer.")
    args = parser.parse_args()
    setup(args)
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from benchmarks.bench_pages import sign_in
    from common import heap

    year = timezone.localdate().year - 1
    endpoints = [
        ("sites GeoJSON", reverse("gis:sites_geojson"), {}),
        ("sites GeoJSON, facilities with a permit", reverse("gis:sites_geojson"), {"kind": "facility", "permit": "valid"}),
        ("sites GeoJSON, waste code 17 02 03", reverse("gis:sites_geojson"), {"waste_code": "17 02 03"}),
        ("province layer", reverse("gis:province_layer"), {}),
        ("sites map page", reverse("gis:sites_map"), {}),
    ]
    if not args.skip_stats:
        endpoints += [
            (f"choropleth page {year}", reverse("gis:choropleth"), {"year": year}),
            (f"flows page {year}", reverse("gis:flows"), {"year": year}),
        ]
    print("| who | request | cache | p50 ms | p95 ms | CPU ms (app + PostgreSQL, p50) | bytes sent | features |\n|---|---|---|---|---|---|---|---|")
    people = personas()
    heap.freeze()  # as the server does after start-up (hwms/wsgi.py)
    for name, user in people.items():
        client = Client(HTTP_HOST="localhost")
        sign_in(client, user)
        for label, url, params in endpoints:
            slow = "page" in label and ("choropleth" in label or "flows" in label)
            for cold in (True, False):
                repeat = min(args.repeat, 3) if (slow and cold) else args.repeat
                p50, p95, cpu, size, features = measure(client, url, params, repeat, cold)
                print(
                    f"| {name} | {label} | {'cold' if cold else 'warm'} | {p50:.1f} | {p95:.1f} | {cpu:.0f} | {size:,} | "
                    f"{'' if features is None else f'{features:,}'} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
