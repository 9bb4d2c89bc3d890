"""The January reminders: each organisation with sites that have not filed last year's report is e-mailed once.

Registered with the worker through CELERY_IMPORTS (the module is not `stats.tasks`); run by beat every morning
of 2–14 January. A run (or a task delivered twice) skips organisations already reminded for the year: the
AnnualReminder row is written in the transaction that sends, so a failed send is retried by the next run.
"""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts import audit, policy
from accounts.models import Membership, Site

from ..models import AnnualReminder
from . import document_jobs, obligations, periods


def _recipients(organisation_id, site_ids):
    """Members who may submit (administrators and members, any site limit covering a pending site) with an address."""
    memberships = (
        Membership.objects.filter(organisation_id=organisation_id, role__in=policy.ACT_ROLES, user__is_active=True)
        .exclude(user__email="")
        .filter(Q(sites__isnull=True) | Q(sites__in=site_ids))
        .values_list("user__email", flat=True)
        .distinct()
    )
    return sorted(set(memberships))


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_annual_report_reminders(year=None):
    """E-mail the organisations whose sites have not filed the report of `year` (default: last year). Returns
    the number of organisations reminded by this run."""
    year = year or periods.last_closed_year()
    obligations.refresh(year)
    pending = {}
    for organisation_id, site_id in obligations.of_year(year).filter(submitted=False).values_list("organisation_id", "site_id"):
        pending.setdefault(organisation_id, []).append(site_id)
    done = set(AnnualReminder.objects.filter(year=year, organisation_id__in=pending).values_list("organisation_id", flat=True))
    reminded = 0
    for organisation_id, site_ids in sorted(pending.items()):
        if organisation_id in done:
            continue
        reminded += _remind(organisation_id, site_ids, year)
    return reminded


def _remind(organisation_id, site_ids, year):
    emails = _recipients(organisation_id, site_ids)
    if not emails:
        return 0  # nobody to write to yet: a later run reminds the members added meanwhile
    try:
        with transaction.atomic():
            AnnualReminder.objects.create(organisation_id=organisation_id, year=year, recipients=len(emails), sent_at=timezone.now())
            sites = list(Site.objects.filter(pk__in=site_ids).select_related("organisation").order_by("name"))
            audit.record(
                f"annual_reminder:{year}",
                "reminded",
                organisation=sites[0].organisation,
                data={"sites": [site.pk for site in sites], "recipients": len(emails)},
            )
            with translation.override(settings.LANGUAGE_CODE):
                context = {
                    "organisation": sites[0].organisation,
                    "sites": sites,
                    "year": year,
                    "deadline": periods.deadline(year),
                    "site_url": settings.SITE_URL,
                }
                subject = render_to_string("stats/annual/email/reminder_subject.txt", context).strip()
                body = render_to_string("stats/annual/email/reminder_body.txt", context)
            send_mass_mail([(subject, body, None, [email]) for email in emails])
    except IntegrityError:
        return 0  # another run reminded this organisation meanwhile
    return 1


@shared_task(acks_late=True)
def refresh_annual_obligations(year=None):
    """Nightly (beat): recompute who must file the report of `year` (default: last year)."""
    return obligations.refresh(year or periods.last_closed_year())


@shared_task(acks_late=True)
def write_annual_document(job_id):
    """The PDF or XLSX of a large submitted report (stats.annual.document_jobs), written off the request."""
    return document_jobs.run_job(job_id)
