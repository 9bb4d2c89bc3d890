"""The world of the permission matrix and the hostile-input tests: tests/conftest.py's `chain` world (Alpha,
Omega, Zeta, two provinces) plus the actors and objects the matrix names.

Actors (the matrix's columns, in this order):
    anon     nobody signed in
    alice    generator A (Alpha)'s administrator
    abe      Alpha member (all sites)
    vera     Alpha viewer
    bob      Alpha member limited to the Hà Nội site
    zoe      generator B (Zeta)'s administrator
    dan      driver of the transporter (Omega, which is also the facility)
    kai      driver of another transporter (Kappa)
    fred     facility staff (Omega)
    sam      staff of another facility (Sigma)
    rex      removed from Alpha (membership deleted)
    hn       official of province X (Hà Nội)
    hcm      official of province Y (Hồ Chí Minh City)
    central  central official (whole country)
    admin    administrator (is_staff, superuser)

Objects, by the names the matrix uses (`refs`):
    a_<status>      Alpha's manifests (Hà Nội site → Omega, transported by Omega), one per status; a_cancelled_draft was
                    cancelled before it was sent (private), a_cancelled was cancelled once signed; a_completed has a
                    pending revision, a_completed_open none
    a_hcm_ready     Alpha's manifest from its HCM site (outside bob's site limit)
    a_by_facility   a draft Omega prepared on Alpha's behalf (private to Omega)
    b_ready, b_completed   Zeta's manifests (HCM) → Sigma (HCM), transported by Kappa
    rev_a, rev_b    pending revisions of a_completed and b_completed
    alpha, omega, zeta, kappa, sigma          organisations
    alpha_hn, alpha_hcm, zeta_site, omega_site  sites
    ms_vera, ms_zoe memberships
    report_a, report_b  annual reports (Alpha Hà Nội, Zeta) of the last closed year
    job_alice, job_zoe  finished export jobs
    tok_*           verification tokens
"""

import datetime as dt
import hashlib

from django.apps import apps
from django.db.models import Max
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.models import AuditEvent, AuditHead, Membership, Site
from manifests import services, verification
from manifests.models import Status
from stats import exports
from stats.annual import document_jobs, obligations, periods
from stats.annual import services as annual_services
from stats.models import ExportJob, StatisticsReport
from stats.reports import jobs as report_jobs
from tests import factories
from tests.factories import PASSWORD
from tests.manifests.lifecycle import at_status, quantities, received_as_declared, treatment

ACTORS = ("anon", "alice", "abe", "vera", "bob", "zoe", "dan", "kai", "fred", "sam", "rex", "hn", "hcm", "central", "admin")


def _member(username, org, role, sites=()):
    user = factories.UserFactory(username=username)
    membership = factories.MembershipFactory(user=user, organisation=org, role=role)
    membership.sites.set(sites)
    return user, membership


def build(w):
    """Extend the `chain` world `w` in place; returns it with `w.users` (actor -> user or None) and `w.refs`."""
    Role = Membership.Role
    w.abe, _ms = _member("abe", w.alpha, Role.MEMBER)
    w.rex, rex_membership = _member("rex", w.alpha, Role.MEMBER)
    w.hcm_official = factories.JurisdictionFactory(user=factories.UserFactory(username="hcm_official"), province=w.hcm).user

    # Another transporter (Kappa) with its driver, and another facility (Sigma, HCM) with its staff.
    w.kappa = factories.OrganisationFactory(name="Kappa", tax_code="0302222222", is_generator=False, is_transporter=True)
    kappa_site = factories.SiteFactory(organisation=w.kappa, name="Kappa bãi xe", ward=w.hcm_ward)
    w.kappa_truck = factories.VehicleFactory(organisation=w.kappa, plate="51C-777.77")
    kappa_permit = factories.PermitFactory(site=kappa_site, covers_transport=True, number="KAPPA-7/GPMT-BTNMT")
    kappa_permit.vehicles.set([w.kappa_truck])
    kappa_permit.waste_codes.set([w.oil, w.lamps])
    w.kai, _ms = _member("kai", w.kappa, Role.DRIVER)
    w.sigma = factories.OrganisationFactory(name="Sigma", tax_code="0311111111", is_generator=False, is_facility=True)
    w.sigma_site = factories.SiteFactory(organisation=w.sigma, name="Sigma xử lý", ward=w.hcm_ward, latitude="10.9", longitude="106.8")
    w.sigma_permit = factories.PermitFactory(site=w.sigma_site, number="SIGMA-88/GPMT-BTNMT")
    w.sigma_permit.waste_codes.set([w.oil, w.lamps])
    w.sigma_permit.treatment_methods.set([w.incineration, w.recycling])
    w.sam, _ms = _member("sam", w.sigma, Role.MEMBER)
    Site.objects.update(created_at=dt.datetime(2020, 6, 1, tzinfo=dt.UTC))

    m = {status: at_status(w, status) for status in Status if status != Status.CANCELLED}
    m["cancelled_draft"] = at_status(w, Status.CANCELLED)
    m["cancelled"] = services.cancel(w.alice, at_status(w, Status.READY), "Kế hoạch thay đổi")
    m["completed_open"] = at_status(w, Status.COMPLETED)  # no revision pending
    a_hcm = services.sign(w.alice, w.draft(site=w.alpha_hcm), PASSWORD)
    a_by_facility = w.draft(actor=w.fred)
    services.request_revision(w.alice, m[Status.COMPLETED], changes={m[Status.COMPLETED].lines.first().pk: {"description": "Cân lại"}}, comment="Cân lại")

    def zeta_draft():
        return services.create_draft(
            w.zoe, generator_site=w.zeta_site, facility_site=w.sigma_site, permit=w.sigma_permit, transporter=w.kappa,
            planned_pickup_date=timezone.localdate(), lines=[w.line()],
        )

    b_ready = services.sign(w.zoe, zeta_draft(), PASSWORD)
    b = services.sign(w.zoe, zeta_draft(), PASSWORD)
    b = services.pickup(w.kai, b, vehicle=w.kappa_truck, quantities=quantities(b))
    b = services.receive(w.sam, services.deliver(w.kai, b), password=PASSWORD, lines=received_as_declared(b))
    b_completed = services.treat(w.sam, b, password=PASSWORD, lines=treatment(w, b))
    services.request_revision(w.zoe, b_completed, changes={b_completed.lines.first().pk: {"description": "Cân lại"}}, comment="Cân lại")

    # Rex was a member while all this happened (his notifications stay), then was removed.
    account_services.remove_membership(membership=rex_membership, actor=w.alice)

    year = periods.last_closed_year()
    report_a = annual_services.submit(w.alice, w.alpha_hn, year, form="05.A", entries=[], password=PASSWORD)
    report_b = annual_services.submit(w.zoe, w.zeta_site, year, form="05.A", entries=[], password=PASSWORD)
    obligations.refresh(year)  # as the nightly task does: the register reads them (and computes a missing year)
    jobs = {}
    for name, user in (("job_alice", w.alice), ("job_zoe", w.zoe)):
        job = ExportJob.objects.create(user=user, kind="lines", params={"year": year, "province": None})
        exports.run_job(job.pk)
        jobs[name] = ExportJob.objects.get(pk=job.pk)
        assert jobs[name].state == ExportJob.State.DONE
    # A provincial statistics report written for Hà Nội's official, an annual report's document for Alpha.
    report_job = report_jobs.start(w.hanoi_official, year, w.hanoi.code)
    report_jobs.run_job(report_job.pk)
    jobs["job_report_hn"] = report_job.pk
    document_job = document_jobs.start(w.alice, report_a, "pdf")
    document_jobs.run_job(document_job.pk)
    jobs["job_document_a"] = document_job.pk

    w.manifests = m
    w.users = {
        "anon": None, "alice": w.alice, "abe": w.abe, "vera": w.vera, "bob": w.bob, "zoe": w.zoe, "dan": w.dan,
        "kai": w.kai, "fred": w.fred, "sam": w.sam, "rex": w.rex, "hn": w.hanoi_official, "hcm": w.hcm_official,
        "central": w.central_official, "admin": w.admin,
    }
    refs = {f"a_{status.value}": manifest.pk for status, manifest in m.items() if isinstance(status, Status)}
    refs.update(
        a_cancelled_draft=m["cancelled_draft"].pk,
        a_cancelled=m["cancelled"].pk,
        a_completed_open=m["completed_open"].pk,
        a_hcm_ready=a_hcm.pk,
        a_by_facility=a_by_facility.pk,
        b_ready=b_ready.pk,
        b_completed=b_completed.pk,
        rev_a=m[Status.COMPLETED].revisions.get().pk,
        rev_b=b_completed.revisions.get().pk,
        alpha=w.alpha.pk, omega=w.omega.pk, zeta=w.zeta.pk, kappa=w.kappa.pk, sigma=w.sigma.pk,
        alpha_hn=w.alpha_hn.pk, alpha_hcm=w.alpha_hcm.pk, zeta_site=w.zeta_site.pk, omega_site=w.omega_site.pk,
        ms_vera=w.vera.memberships.get().pk, ms_zoe=w.zoe.memberships.get().pk,
        report_a=report_a.pk, report_b=report_b.pk,
        year=year, hanoi=w.hanoi.code, hcm=w.hcm.code,
        tok_ready=verification.make_token(m[Status.READY]),
        tok_b_ready=verification.make_token(b_ready),
        tok_cancelled_draft=verification.make_token(m["cancelled_draft"]),
        num_a_ready=m[Status.READY].number,
        num_b_ready=b_ready.number,
        **{name: getattr(job, "pk", job) for name, job in jobs.items()},
        stat_report_hn=StatisticsReport.objects.get(job_id=jobs["job_report_hn"]).pk,
    )
    w.refs = refs
    return w


# Left out of the database's state: what signing in and each request write on their own (sessions, django-axes' log).
UNWATCHED = {"django_session", "axes_accesslog", "axes_accessattempt", "axes_accessfailurelog"}


# The security log a request writes by itself, whatever its method: refusals and downloads (accounts.middleware),
# sign-ins and sign-outs, in each user's own chain (accounts.two_factor.record). Everything else is watched.
SECURITY_LOG_ACTIONS = {"access.refused", "download", "login", "login.failed", "logout", "session.expired"}
LOG_CHAIN = r"^(user|login):"


def _watched(model):
    rows = model._base_manager.order_by("pk")
    if model is AuditEvent:
        return rows.exclude(chain__regex=LOG_CHAIN, action__in=SECURITY_LOG_ACTIONS)
    if model is AuditHead:  # a log chain's head moves with the log
        return rows.exclude(chain__regex=LOG_CHAIN)
    if model is TOTPDevice:
        # The one write a GET may make: the set-up page keeps the not-yet-confirmed key it shows as a QR code
        # (made once, reused), so that the code typed next can be checked against it. Confirmed devices count.
        return rows.filter(confirmed=True)
    return rows


def database_state():
    """Every table's row count and a digest of its rows (UNWATCHED and the security log aside), and the audit
    chain's last event: equal before and after anything that must not write."""
    tables = {}
    for model in apps.get_models():
        table = model._meta.db_table
        if table in UNWATCHED or model._meta.proxy:
            continue
        rows = list(_watched(model).values_list())
        tables[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return {"tables": tables, "audit_seq": _watched(AuditEvent).aggregate(Max("pk"))["pk__max"]}


def changes(before, after):
    """The tables whose rows differ between two states (for a failure message)."""
    changed = [table for table in after["tables"] if after["tables"][table] != before["tables"].get(table)]
    return f"changed tables: {changed}, last audit event {before['audit_seq']} -> {after['audit_seq']}"
