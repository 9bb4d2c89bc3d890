"""Who hears about what: in-portal notifications, e-mailed by Celery once the transaction commits."""

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


def unread_count(user):
    """Unread notifications, counted up to UNREAD_CAP + 1."""
    return for_user(user).filter(read_at__isnull=True)[: UNREAD_CAP + 1].count()


def mark_all_read(user):
    """One UPDATE (atomic by itself); reading one's notices is not a change of any manifest."""
    return for_user(user).filter(read_at__isnull=True).update(read_at=timezone.now())


__all__ = ["Kind", "for_user", "notify", "recipients", "unread_count", "visible_q"]
