"""Who hears about what: in-portal notifications, e-mailed by Celery once the transaction commits."""

import time

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, Q, Subquery
from django.utils import timezone

from accounts.models import Jurisdiction, Membership

from .models import Notification

Kind = Notification.Kind

# Roles that follow a manifest's progress; drivers hear only about work for them (ready for pickup).
FOLLOWER_ROLES = (Membership.Role.ADMIN, Membership.Role.MEMBER, Membership.Role.VIEWER)
DRIVER_KINDS = {Kind.READY, Kind.AWAITING_SIGNATURE}


def recipients(manifest, kind, organisation_ids, officials=False):
    """Active members of the organisations (within their site limits), and officials of the provinces."""
    return sorted(_audience(manifest, kind, organisation_ids, officials))


def _audience(manifest, kind, organisation_ids, officials=False):
    """{user id: the organisation whose member hears of it, or None for an official}."""
    roles = FOLLOWER_ROLES + ((Membership.Role.DRIVER,) if kind in DRIVER_KINDS else ())
    party_site = {manifest.generator_id: manifest.generator_site_id, manifest.facility_id: manifest.facility_site_id}
    # One row per membership and site it is limited to.
    memberships = Membership.objects.filter(organisation_id__in=organisation_ids, role__in=roles, user__is_active=True).values_list(
        "pk", "organisation_id", "user_id", "sites"
    )
    limits, members = {}, {}
    for membership_id, org_id, user_id, site_id in memberships:
        members[membership_id] = (org_id, user_id)
        if site_id is not None:
            limits.setdefault(membership_id, set()).add(site_id)
    users = {}
    # In the order the organisations were given: a member of two parties hears as a member of the first.
    order = {org_id: index for index, org_id in enumerate(organisation_ids)}
    for membership_id, (org_id, user_id) in sorted(members.items(), key=lambda item: order.get(item[1][0], len(order))):
        limited = limits.get(membership_id)
        site = party_site.get(org_id)
        # A member limited to other sites of the organisation does not see this manifest: no notice either.
        if limited and site is not None and site not in limited:
            continue
        users.setdefault(user_id, org_id)
    if officials:  # an official who is also a member of a party hears as that member
        provinces = {manifest.province_id, manifest.facility_province_id}
        for user_id in Jurisdiction.objects.filter(province_id__in=provinces, user__is_active=True).values_list("user_id", flat=True):
            users.setdefault(user_id, None)
    return users


def visible_q(user):
    """The user's notifications that the user's CURRENT memberships still cover: a notice sent to a member of an
    organisation disappears when that membership ends (or the organisation is deactivated), an official's when
    the official's jurisdiction ends. Every list, count and e-mail of notifications goes through this."""
    current = Membership.objects.filter(user=user, organisation__active=True).values("organisation_id")
    # In the same query (no query of its own: the menu counts notices on every page).
    official = Q(Exists(Jurisdiction.objects.filter(user=user)), organisation__isnull=True)
    return Q(user=user) & (Q(organisation_id__in=Subquery(current)) | official)


def for_user(user):
    return Notification.objects.filter(visible_q(user))


def notify(manifest, kind, organisation_ids, officials=False):
    """Create the notifications now (same transaction as the change) and e-mail them after commit."""
    audience = _audience(manifest, kind, [org for org in organisation_ids if org], officials)
    user_ids = sorted(audience)
    created = Notification.objects.bulk_create(
        [Notification(user_id=uid, organisation_id=audience[uid], manifest=manifest, kind=kind) for uid in user_ids]
    )
    forget_unread(user_ids)
    ids = [n.pk for n in created if n.pk]
    if not ids:  # some backends do not return ids from bulk_create
        ids = list(Notification.objects.filter(manifest=manifest, kind=kind, emailed_at__isnull=True, user_id__in=user_ids).values_list("pk", flat=True))
    if ids:
        from .tasks import send_notification_emails

        transaction.on_commit(lambda: send_notification_emails.delay(ids))
    return ids


# The menu shows "99+" beyond this: counting a facility clerk's hundred thousand unread notices on every page
# would cost more than the page.
UNREAD_CAP = 99
# The count is on every page (the menu's badge): it is kept in the cache under the user's notice version, which
# every change of the user's notices moves at once and again when its transaction commits (forget_unread). A count
# taken before the commit is stored under a version nobody reads any more: never a stale badge. The key also holds
# the account's creation time, so a user row recreated with an id used before (test databases) starts afresh; the
# lifetime bounds what a lost version (an evicted key) could leave behind.
UNREAD_CACHE_SECONDS = 600


def _version_key(user_id):
    return f"unread-version:{user_id}"


def _version(user_id):
    version = cache.get(_version_key(user_id))
    if version is None:
        # A version never used before (nanoseconds), so an old count can never come back.
        cache.add(_version_key(user_id), time.time_ns(), None)
        version = cache.get(_version_key(user_id))
    return version


def count_unread(user):
    """Unread notifications counted in the database (those the user's current memberships still cover), up to
    UNREAD_CAP + 1."""
    return for_user(user).filter(read_at__isnull=True)[: UNREAD_CAP + 1].count()


def unread_count(user):
    """Unread notifications, counted up to UNREAD_CAP + 1 (from the cache while the user's notices are unchanged)."""
    version = _version(user.pk)
    if version is None:  # no cache (dummy backend): count every time
        return count_unread(user)
    joined = user.date_joined.timestamp() if user.date_joined else 0
    key = f"unread:{user.pk}:{joined}:{version}"
    count = cache.get(key)
    if count is None:
        count = count_unread(user)
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return count


def _bump(user_ids):
    for user_id in user_ids:
        try:
            cache.incr(_version_key(user_id))
        except ValueError:  # no version yet: the next reader starts a new one
            pass


def forget_unread(user_ids):
    """Move the notice version of these users now and again once the current transaction commits."""
    user_ids = list(user_ids)
    if user_ids:
        _bump(user_ids)
        transaction.on_commit(lambda: _bump(user_ids))


def mark_all_read(user):
    """One UPDATE (atomic by itself); reading one's notices is not a change of any manifest."""
    count = for_user(user).filter(read_at__isnull=True).update(read_at=timezone.now())
    forget_unread([user.pk])
    return count


def forget_members_unread(sender, instance, **kwargs):
    """A membership or jurisdiction that starts or ends changes which notices its user sees (visible_q), and an
    organisation deactivated or reactivated changes it for all its members: their cached counts go."""
    if isinstance(instance, (Membership, Jurisdiction)):
        forget_unread([instance.user_id])
    else:
        forget_unread(Membership.objects.filter(organisation_id=instance.pk).values_list("user_id", flat=True))


__all__ = ["Kind", "for_user", "forget_members_unread", "forget_unread", "notify", "recipients", "unread_count", "visible_q"]
