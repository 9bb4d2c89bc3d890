"""The unread badge of the menu comes from the cache under a per-user notice version: every new notice and every
"mark all as read" moves the version (at once and again after commit), so the badge is never stale."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from manifests import notifications, services
from manifests.models import Notification
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def badge(client):
    """The figure on the menu's Notifications entry (None without a badge)."""
    body = client.get(reverse("manifests:list")).content.decode()
    entry = body.split(f'href="{reverse("manifests:notifications")}"', 1)[1].split("</a>", 1)[0]
    return entry.split('class="badge badge-warn"')[1].split(">", 1)[1].split("<", 1)[0] if "badge" in entry else None


def test_the_badge_follows_new_notices_and_reading_them(client, chain):
    w = chain
    client.force_login(w.fred)
    assert badge(client) is None
    services.sign(w.alice, w.draft(), PASSWORD)  # Omega hears that the waste is ready for pickup
    unread = Notification.objects.filter(user=w.fred, read_at__isnull=True).count()
    assert unread > 0 and badge(client) == str(unread)
    assert badge(client) == str(unread)  # from the cache now
    client.post(reverse("manifests:notifications_read"))
    assert badge(client) is None


def test_the_version_moves_when_the_notices_commit(chain, django_capture_on_commit_callbacks):
    w = chain
    before = notifications.unread_count(w.fred)
    version = cache.get(notifications._version_key(w.fred.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.sign(w.alice, w.draft(), PASSWORD)
    # Once at the change and once after the commit: a count read between the two is never read again.
    assert cache.get(notifications._version_key(w.fred.pk)) >= version + 2
    assert notifications.unread_count(w.fred) == notifications.count_unread(w.fred) > before


def test_a_count_is_never_served_for_a_cached_version_after_a_change(chain):
    w = chain
    manifest = services.sign(w.alice, w.draft(), PASSWORD)
    cached = notifications.unread_count(w.fred)
    # A notice written behind the cache's back (as another process would, before its commit hook runs): the
    # cached count stands until the version moves, then the count is read again.
    Notification.objects.create(user=w.fred, organisation_id=manifest.facility_id, manifest=manifest, kind=Notification.Kind.READY)
    assert notifications.unread_count(w.fred) == cached
    notifications.forget_unread([w.fred.pk])
    assert notifications.unread_count(w.fred) == notifications.count_unread(w.fred) == cached + 1


def test_a_new_account_never_inherits_a_cached_count(chain):
    w = chain
    services.sign(w.alice, w.draft(), PASSWORD)
    assert notifications.unread_count(w.fred) > 0
    user_id = w.fred.pk
    Notification.objects.filter(user=w.fred).delete()
    w.fred.delete()
    newcomer = factories.UserFactory(username="newcomer", id=user_id)
    assert notifications.unread_count(newcomer) == 0


def test_a_removed_members_cached_badge_goes_with_the_membership(chain):
    """The badge is cached, and a notice stays visible only while its membership lasts (finding 6): ending the
    membership moves the cached count at once."""
    w = chain
    services.sign(w.alice, w.draft(), PASSWORD)
    assert notifications.unread_count(w.fred) > 0
    w.fred.memberships.all().delete()
    assert notifications.unread_count(w.fred) == notifications.count_unread(w.fred) == 0
