"""Background work of the accounts app. Tasks take ids, call plain functions, and are safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from .audit import make_checkpoint
from .models import Membership


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_membership_welcome(membership_id):
    """Tell a new member, by e-mail, which organisation added them and with which role.

    Enqueued after the membership's transaction commits. A membership removed in the meantime, or a
    member without e-mail (many drivers), is skipped. Returns the address written to, or "".
    """
    membership = Membership.objects.select_related("user", "organisation").filter(pk=membership_id).first()
    if membership is None or not membership.user.email:
        return ""
    with translation.override(settings.LANGUAGE_CODE):
        context = {"membership": membership, "site_url": settings.SITE_URL}
        subject = render_to_string("accounts/email/welcome_subject.txt", context).strip()
        body = render_to_string("accounts/email/welcome_body.txt", context)
    send_mail(subject, body, None, [membership.user.email])
    return membership.user.email


@shared_task(acks_late=True)
def write_audit_checkpoint():
    """The nightly signed checkpoint of the audit log (accounts.audit.make_checkpoint); returns its path.

    Running it twice writes two checkpoints, both valid. A log that does not verify raises AuditLogBroken (after
    e-mailing the officials), so the failure shows in the worker's log and the task's result.
    """
    return str(make_checkpoint())
