"""Manifest numbers: a configurable pattern with the province code and the year, one sequence per
province and year. (Concurrency: tests/manifests/test_concurrency.py.)"""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from manifests import numbering
from manifests.models import ManifestCounter

pytestmark = pytest.mark.django_db


def test_the_default_pattern_is_province_year_sequence(chain):
    w = chain
    year = timezone.localdate().year
    assert [w.draft().number for _ in range(3)] == [f"01-{year}-{seq:06d}" for seq in (1, 2, 3)]


def test_each_province_has_its_own_sequence(chain):
    w = chain
    year = timezone.localdate().year
    hanoi = [w.draft(site=w.alpha_hn).number for _ in range(2)]
    hcm = [w.draft(site=w.alpha_hcm).number for _ in range(2)]
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
    assert w.draft(site=w.alpha_hcm).number == expected.format(year=timezone.localdate().year)


def test_the_database_refuses_a_duplicate_number(chain):
    w = chain
    m = w.draft()
    ManifestCounter.objects.filter(province=w.hanoi).update(last=0)  # a counter gone wrong
    with pytest.raises(IntegrityError), transaction.atomic():
        w.draft()
    assert ManifestCounter.objects.get(province=w.hanoi).last == 0
    assert m.number.endswith("-000001")


def test_a_cancelled_draft_keeps_its_number(chain):
    """Numbers are never reused: a gap is visible, a reused number would be ambiguous."""
    w = chain
    from manifests import services

    first = services.cancel(w.alice, w.draft(), "Nhập nhầm")
    second = w.draft()
    assert (first.number[-6:], second.number[-6:]) == ("000001", "000002")
