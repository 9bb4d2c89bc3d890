"""Who must file the report of a year, kept as rows (AnnualObligation) rather than searched for on every page.

A site must file when, in the year (Vietnam time), it handed waste over under a manifest (picked up) or received
waste under one as a facility, or when it is an active site of an active generator or treatment facility that
existed before the year ended. Finding the first two reads a year of manifests (about a second per 200,000 on
PostgreSQL here), so `refresh` stores the answer: every night by beat for the last year, before each reminder
run, and on the first look at a year that has none. The rows of a year change little once it is over (late
receipts, sites created or closed); the register shows when they were computed.
"""

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from accounts.models import Site
from manifests.models import Manifest

from ..models import AnnualObligation, AnnualReport
from .periods import year_bounds

BATCH = 5_000


def _expected(year):
    start, end = year_bounds(year)
    handed_over = Exists(Manifest.objects.filter(generator_site=OuterRef("pk"), picked_up_at__gte=start, picked_up_at__lt=end))
    received = Exists(Manifest.objects.filter(facility_site=OuterRef("pk"), received_at__gte=start, received_at__lt=end))
    active = Q(active=True, organisation__active=True, created_at__lt=end) & (Q(organisation__is_generator=True) | Q(organisation__is_facility=True))
    return Site.objects.annotate(handed_over=handed_over, received=received, is_expected_active=active).filter(
        Q(handed_over=True) | Q(received=True) | Q(is_expected_active=True)
    )


@transaction.atomic
def refresh(year):
    """Recompute the obligations of `year` (replacing the previous ones in one transaction); returns how many."""
    now = timezone.now()
    rows = [
        AnnualObligation(
            site_id=site_id, year=year, organisation_id=organisation_id, province_id=province_id,
            handed_over=handed_over, received=received, active=active, refreshed_at=now,
        )
        for site_id, organisation_id, province_id, handed_over, received, active in _expected(year)
        .values_list("pk", "organisation_id", "province_id", "handed_over", "received", "is_expected_active")
        .iterator(chunk_size=BATCH)
    ]
    AnnualObligation.objects.filter(year=year).delete()
    AnnualObligation.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def ensure(year):
    """The obligations of `year`, computed now when the year has none yet."""
    if not AnnualObligation.objects.filter(year=year).exists():
        refresh(year)


def refreshed_at(year):
    return AnnualObligation.objects.filter(year=year).aggregate(at=Max("refreshed_at"))["at"]


def of_year(year):
    """The year's obligations annotated `submitted` (some version filed) and `on_time` (some version filed
    before the deadline)."""
    ensure(year)
    reports = AnnualReport.objects.filter(site=OuterRef("site"), year=year)
    return AnnualObligation.objects.filter(year=year).annotate(submitted=Exists(reports), on_time=Exists(reports.filter(is_late=False)))
