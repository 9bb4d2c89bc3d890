"""A manifest row locked by someone else for longer than PostgreSQL's lock_timeout (settings:
HWMS_LOCK_TIMEOUT_SECONDS) answers "busy, try again" in plain words: never a 500, nothing saved.

PostgreSQL only: the lock is held by another connection, in a thread."""

import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from accounts.models import AuditEvent
from manifests import services
from manifests.models import Manifest, Status
from tests.manifests.lifecycle import at_status
from tests.manifests.test_concurrency import postgresql, quiet_notifications  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql", "quiet_notifications")]

BUSY = "Someone else is updating this manifest right now. Please try again in a moment."


class RowLock:
    """Another connection holds the manifest's row lock (as a long transition would) until released."""

    def __init__(self, manifest_id):
        self.manifest_id = manifest_id
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)
        self.error = None

    def _hold(self):
        try:
            with transaction.atomic():
                Manifest.objects.select_for_update().get(pk=self.manifest_id)
                self.locked.set()
                self.release.wait(timeout=60)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
            self.locked.set()
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(timeout=30) and self.error is None
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(timeout=30)


def short_lock_timeout():
    """This connection waits 200 ms instead of the configured seconds (the rule is the same)."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")


def test_the_service_answers_busy_when_the_row_stays_locked(chain):
    w = chain
    m = at_status(w, Status.READY)
    before = AuditEvent.objects.filter(chain=m.chain).count()
    short_lock_timeout()
    with RowLock(m.pk), translation.override("en"):
        with pytest.raises(services.TransitionError) as excinfo:
            services.cancel(w.alice, m, "Kế hoạch thay đổi")
    assert excinfo.value.message == BUSY
    m.refresh_from_db()
    assert m.status == Status.READY and AuditEvent.objects.filter(chain=m.chain).count() == before
    # Once the other transaction ends, the same call goes through.
    assert services.cancel(w.alice, m, "Kế hoạch thay đổi").status == Status.CANCELLED


def test_the_page_shows_the_busy_message_in_vietnamese_not_a_500(client, chain):
    w = chain
    m = at_status(w, Status.READY)
    client.force_login(w.alice)
    short_lock_timeout()
    with RowLock(m.pk):
        response = client.post(reverse("manifests:cancel", args=[m.pk]), {"reason": "Kế hoạch thay đổi"})
    assert response.status_code == 200
    with translation.override("vi"):
        message = gettext(BUSY)
    assert message != BUSY  # the catalog translates it
    assert escape(message) in response.content.decode()
    m.refresh_from_db()
    assert m.status == Status.READY
