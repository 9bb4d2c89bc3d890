"""Who hears about what: in-portal notifications, e-mailed by Celery once the transaction commits."""

from django.db import transaction

from accounts.models import Jurisdiction, Membership

from .models import Notification

Kind = Notification.Kind

# Roles that follow a manifest's progress; drivers hear only about work for them (ready for pickup).
FOLLOWER_ROLES = (Membership.Role.ADMIN, Membership.Role.MEMBER, Membership.Role.VIEWER)
DRIVER_KINDS = {Kind.READY, Kind.AWAITING_SIGNATURE}


def recipients(manifest, kind, organisation_ids, officials=False):
    roles = FOLLOWER_ROLES + ((Membership.Role.DRIVER,) if kind in DRIVER_KINDS else ())
    memberships = Membership.objects.filter(organisation_id__in=organisation_ids, role__in=roles, user__is_active=True)
    users = set(memberships.values_list("user_id", flat=True))
    if officials:
        provinces = {manifest.province_id, manifest.facility_site.province_id}
        users |= set(Jurisdiction.objects.filter(province_id__in=provinces, user__is_active=True).values_list("user_id", flat=True))
    return sorted(users)


def notify(manifest, kind, organisation_ids, officials=False):
    """Create the notifications now (same transaction as the change) and e-mail them after commit."""
    user_ids = recipients(manifest, kind, [org for org in organisation_ids if org], officials)
    created = Notification.objects.bulk_create([Notification(user_id=uid, manifest=manifest, kind=kind) for uid in user_ids])
    ids = [n.pk for n in created if n.pk]
    if not ids:  # some backends do not return ids from bulk_create
        ids = list(Notification.objects.filter(manifest=manifest, kind=kind, emailed_at__isnull=True, user_id__in=user_ids).values_list("pk", flat=True))
    if ids:
        from .tasks import send_notification_emails

        transaction.on_commit(lambda: send_notification_emails.delay(ids))
    return ids


def unread_count(user):
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


__all__ = ["Kind", "notify", "recipients", "unread_count"]
