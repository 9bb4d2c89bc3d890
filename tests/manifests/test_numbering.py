"""Manifest numbers: a configurable pattern with the province code and the year, one sequence per
province and year, taken when a manifest is sealed or signed — drafts carry a temporary reference and consume no
number. (Concurrency: tests/manifests/test_concurrency.py.)"""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from manifests import numbering, services
from manifests.models import DRAFT_REFERENCE_PREFIX, ManifestCounter
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def numbered(w, **kwargs):
    """A draft sealed: the moment it takes its official number."""
    return services.seal(w.alice, w.draft(**kwargs))


def test_a_draft_has_a_temporary_reference_and_takes_no_number(chain):
    w = chain
    drafts = [w.draft() for _ in range(3)]
    assert all(d.number.startswith(DRAFT_REFERENCE_PREFIX) and not d.has_official_number for d in drafts)
    assert len({d.number for d in drafts}) == 3
    assert not ManifestCounter.objects.exists()


def test_the_number_is_taken_at_sealing_or_signing_without_gaps(chain):
    w = chain
    year = timezone.localdate().year
    abandoned = w.draft()
    services.cancel(w.alice, w.draft(), "Nhập nhầm")  # a cancelled draft leaves no gap
    signed = services.sign(w.alice, w.draft(), PASSWORD)
    sealed = services.seal(w.alice, abandoned)
    assert (signed.number, sealed.number) == (f"01-{year}-000001", f"01-{year}-000002")


def test_the_default_pattern_is_province_year_sequence(chain):
    w = chain
    year = timezone.localdate().year
    assert [numbered(w).number for _ in range(3)] == [f"01-{year}-{seq:06d}" for seq in (1, 2, 3)]


def test_each_province_has_its_own_sequence(chain):
    w = chain
    year = timezone.localdate().year
    hanoi = [numbered(w, site=w.alpha_hn).number for _ in range(2)]
    hcm = [numbered(w, site=w.alpha_hcm).number for _ in range(2)]
    assert hanoi == [f"01-{year}-000001", f"01-{year}-000002"]
    assert hcm == [f"79-{year}-000001", f"79-{year}-000002"]
    assert sorted(ManifestCounter.objects.values_list("province_id", "year", "last")) == [(1, year, 2), (79, year, 2)]


def test_each_year_restarts_the_sequence(chain):
    w = chain
    with transaction.atomic():
        assert numbering.next_number(w.hanoi.pk, when=datetime(2026, 5, 1)) == "01-2026-000001"
        assert numbering.next_number(w.hanoi.pk, when=datetime(2026, 12, 31)) == "01-2026-000002"
        assert numbering.next_number(w.hanoi.pk, when=datetime(2027, 1, 1)) == "01-2027-000001"
        assert numbering.next_number(w.hanoi.pk, when=datetime(2026, 6, 1)) == "01-2026-000003"


def test_the_year_is_the_local_year(chain, monkeypatch):
    """31 December 17:30 UTC is already 1 January in Hà Nội (UTC+7)."""
    w = chain
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 31, 17, 30, tzinfo=UTC))
    with transaction.atomic():
        assert numbering.next_number(w.hanoi.pk) == "01-2027-000001"


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("CTNH/{year}/{province:02d}/{seq:05d}", "CTNH/{year}/79/00001"),
        ("{province}.{seq}.{year}", "79.1.{year}"),
        ("HW-{year}{province:03d}-{seq:08d}", "HW-{year}079-00000001"),
    ],
)
def test_the_pattern_comes_from_the_settings(chain, settings, pattern, expected):
    settings.HWMS_MANIFEST_NUMBER_PATTERN = pattern
    w = chain
    assert numbered(w, site=w.alpha_hcm).number == expected.format(year=timezone.localdate().year)


def test_the_database_refuses_a_duplicate_number(chain):
    w = chain
    m = numbered(w)
    ManifestCounter.objects.filter(province=w.hanoi).update(last=0)  # a counter gone wrong
    second = w.draft()
    with pytest.raises(IntegrityError), transaction.atomic():
        services.seal(w.alice, second)
    assert ManifestCounter.objects.get(province=w.hanoi).last == 0
    assert m.number.endswith("-000001")


def test_a_cancelled_sealed_manifest_keeps_its_number(chain):
    """Numbers are never reused: a gap left by a cancelled sealed manifest is visible, a reused one would be ambiguous."""
    w = chain
    first = services.cancel(w.alice, numbered(w), "Nhập nhầm")
    second = numbered(w)
    assert (first.number[-6:], second.number[-6:]) == ("000001", "000002")
