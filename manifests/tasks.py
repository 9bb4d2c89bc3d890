"""Celery tasks of the manifests app: thin, take ids, safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Notification
from .notifications import visible_q


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_emails(notification_ids):
    """E-mail each notification not e-mailed yet; users without an address only see it in the portal."""
    sent = 0
    pending = (
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .select_related("user", "manifest")
        .order_by("pk")
    )
    for notification in pending:
        if not notification.user.email:
            continue
        if not Notification.objects.filter(visible_q(notification.user), pk=notification.pk).exists():
            continue  # the membership ended between the change and the e-mail
        with translation.override(settings.LANGUAGE_CODE):
            context = {"notification": notification, "manifest": notification.manifest, "site_url": settings.SITE_URL}
            subject = render_to_string("manifests/email/notification_subject.txt", context).strip()
            body = render_to_string("manifests/email/notification_body.txt", context)
        send_mail(subject, body, None, [notification.user.email])
        # Compare-and-set: a second run of the same task skips what the first one sent.
        sent += Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
    return sent


@shared_task(acks_late=True)
def flag_overdue_manifests():
    """Daily (Celery beat): flag manifests not completed N days after pickup."""
    from .services import flag_overdue

    return flag_overdue()
