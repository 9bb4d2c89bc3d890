"""The daily overdue task: manifests not completed HWMS_OVERDUE_DAYS after pickup are flagged, once."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.audit import verify_chains
from accounts.models import AuditEvent
from hwms.celery import app
from manifests import services
from manifests.models import Manifest, Notification, Status
from manifests.tasks import flag_overdue_manifests
from tests.factories import PASSWORD

from .lifecycle import at_status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager_celery(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def picked_up_days_ago(manifest, days, now=None):
    """Move the pickup back in time (the status machine never does; this is test set-up)."""
    now = now or timezone.now()
    Manifest.objects.filter(pk=manifest.pk).update(picked_up_at=now - timedelta(days=days))
    return manifest


def flagged_numbers():
    return sorted(Manifest.objects.filter(overdue_since__isnull=False).values_list("number", flat=True))


@pytest.fixture
def fleet(chain):
    """Manifests in every status after pickup, picked up long ago or recently."""
    w = chain
    days = django_settings.HWMS_OVERDUE_DAYS
    w.old_in_transit = picked_up_days_ago(at_status(w, Status.IN_TRANSIT), days + 1)
    w.old_delivered = picked_up_days_ago(at_status(w, Status.DELIVERED), days + 30)
    w.old_received = picked_up_days_ago(at_status(w, Status.RECEIVED), days + 1)
    w.recent_in_transit = picked_up_days_ago(at_status(w, Status.IN_TRANSIT), days - 1)
    w.old_completed = picked_up_days_ago(at_status(w, Status.COMPLETED), days + 30)
    w.old_rejected = picked_up_days_ago(at_status(w, Status.REJECTED), days + 30)
    w.ready = at_status(w, Status.READY)  # never picked up
    w.cancelled = at_status(w, Status.CANCELLED)
    return w


def test_only_open_manifests_picked_up_long_ago_are_flagged(fleet):
    w = fleet
    assert services.flag_overdue() == 3
    assert flagged_numbers() == sorted([w.old_in_transit.number, w.old_delivered.number, w.old_received.number])
    w.old_in_transit.refresh_from_db()
    assert w.old_in_transit.is_overdue and w.old_in_transit.status == Status.IN_TRANSIT


def test_a_second_run_flags_nothing_more(fleet):
    w = fleet
    first_run = timezone.now()
    assert services.flag_overdue(now=first_run) == 3
    assert services.flag_overdue(now=first_run) == 0
    assert services.flag_overdue(now=first_run + timedelta(hours=1)) == 0
    assert set(Manifest.objects.filter(overdue_since__isnull=False).values_list("overdue_since", flat=True)) == {first_run}
    assert AuditEvent.objects.filter(action="overdue.flagged").count() == 3
    assert Notification.objects.filter(kind=Notification.Kind.OVERDUE, manifest=w.old_in_transit).count() == 5


def test_the_flag_is_an_audit_event_of_the_system(fleet):
    w = fleet
    services.flag_overdue()
    event = AuditEvent.objects.filter(chain=w.old_received.chain).last()
    assert event.action == "overdue.flagged"
    assert event.actor is None and event.organisation is None and event.role == "system"
    assert event.data == {"days": django_settings.HWMS_OVERDUE_DAYS}
    assert verify_chains()[1] is None


def test_the_generator_the_facility_and_the_officials_are_told(fleet):
    w = fleet
    services.flag_overdue()
    users = Notification.objects.filter(kind=Notification.Kind.OVERDUE, manifest=w.old_delivered).values_list("user__username", flat=True)
    assert sorted(users) == ["alice", "bob", "fred", "hn_official", "vera"]


def test_the_boundary_is_strict(chain):
    w = chain
    now = timezone.now()
    exactly = picked_up_days_ago(at_status(w, Status.IN_TRANSIT), django_settings.HWMS_OVERDUE_DAYS, now=now)
    assert services.flag_overdue(now=now) == 0
    assert services.flag_overdue(now=now + timedelta(seconds=1)) == 1
    exactly.refresh_from_db()
    assert exactly.overdue_since is not None


def test_the_number_of_days_is_a_setting(chain, settings):
    settings.HWMS_OVERDUE_DAYS = 10
    w = chain
    eleven = picked_up_days_ago(at_status(w, Status.IN_TRANSIT), 11)
    picked_up_days_ago(at_status(w, Status.IN_TRANSIT), 9)
    assert services.flag_overdue() == 1
    assert flagged_numbers() == [eleven.number]
    assert AuditEvent.objects.get(action="overdue.flagged").data == {"days": 10}


def test_completing_after_the_flag_clears_the_overdue_state(chain):
    w = chain
    m = picked_up_days_ago(at_status(w, Status.RECEIVED), 365)
    services.flag_overdue()
    m.refresh_from_db()
    assert m.is_overdue
    lines = {line.pk: {"treatment_method": w.incineration, "treated_on": timezone.localdate()} for line in m.lines.all()}
    m = services.treat(w.fred, m, password=PASSWORD, lines=lines)
    assert m.status == Status.COMPLETED and not m.is_overdue


def test_the_celery_task_returns_the_count(fleet):
    result = flag_overdue_manifests.apply()
    assert result.successful() and result.get() == 3
    assert flag_overdue_manifests.delay().get() == 0


def test_the_beat_schedule_runs_the_task_daily():
    entry = django_settings.CELERY_BEAT_SCHEDULE["flag-overdue-manifests"]
    assert entry["task"] == "manifests.tasks.flag_overdue_manifests"
    schedule = entry["schedule"]
    if isinstance(schedule, crontab):  # once a day at a fixed time
        assert len(schedule.hour) == len(schedule.minute) == 1 and len(schedule.day_of_week) == 7
    else:
        seconds = schedule.total_seconds() if isinstance(schedule, timedelta) else getattr(schedule, "seconds", schedule)
        assert seconds == 24 * 3600
    assert entry["task"] in app.tasks
    assert app.conf.beat_schedule["flag-overdue-manifests"]["task"] == entry["task"]
