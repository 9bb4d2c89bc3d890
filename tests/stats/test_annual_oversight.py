"""Who sees which report, the officials' register of submissions, the January reminders, the menu."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent, Site
from manifests.models import Status
from stats.annual import obligations, selectors, services
from stats.annual.tasks import refresh_annual_obligations, send_annual_report_reminders
from stats.models import AnnualObligation, AnnualReminder
from tests import factories
from tests.factories import PASSWORD

from .annual_data import VN, line, local, manifest

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(annual):
    """Alpha Hà Nội handed waste over in 2025 and filed; Alpha HCM, Zeta and Omega (active sites) have not."""
    w = annual
    manifest(w, local(2025, 3, 1), [line(w.oil, "100", received="100", planned=w.incineration)], status=Status.RECEIVED)
    w.report = services.submit(w.alice, w.alpha_hn, 2025, form="05.A", entries=[], password=PASSWORD, now=dt.datetime(2026, 1, 5, tzinfo=VN))
    return w


def url(name, *args, **query):
    path = reverse(f"annual_reports:{name}", args=args)
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# --- scope ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona, status",
    [("alice", 200), ("vera", 200), ("bob", 200), ("hanoi_official", 200), ("central_official", 200), ("admin", 200),
     ("hcm_official", 404), ("zoe", 404), ("fred", 404), ("nobody", 404)],
)
def test_a_report_is_opened_in_scope_only(client, filed, persona, status):
    client.force_login(getattr(filed, persona))
    for name in ("detail", "pdf", "xlsx"):
        assert client.get(url(name, filed.report.pk)).status_code == status, name


def test_submitting_is_for_acting_members_of_the_site(client, filed):
    w = filed
    prepare = url("prepare", w.alpha_hcm.pk, 2025)
    for persona, status in (("alice", 200), ("vera", 403), ("hanoi_official", 404), ("hcm_official", 403), ("zoe", 404), ("bob", 404)):
        client.force_login(getattr(w, persona))
        assert client.get(prepare).status_code == status, persona
    client.force_login(w.alice)
    assert client.get(url("prepare", w.alpha_hn.pk, 2099)).status_code == 404  # a year not over
    assert client.get(url("prepare", w.alpha_hn.pk, 1999)).status_code == 404


def test_an_enterprise_lists_its_own_sites_only(client, filed):
    w = filed
    client.force_login(w.alice)
    page = client.get(url("list", year=2025)).content.decode()
    assert "Alpha Hà Nội" in page and "Alpha HCM" in page and "Zeta" not in page
    assert url("detail", w.report.pk) in page and url("prepare", w.alpha_hcm.pk, 2025) in page
    client.force_login(w.zoe)
    page = client.get(url("list", year="not-a-year")).content.decode()
    assert "Zeta HCM" in page and "Alpha" not in page


# --- register -----------------------------------------------------------------------------------------


def test_the_register_counts_expected_submitted_and_missing_per_province(client, filed):
    w = filed
    Site.objects.filter(pk=w.sigma_site.pk).update(active=False)  # inactive and without manifests: not expected
    rows, total = selectors.register(w.central_official, 2025)
    by_code = {row["province"].pk: row for row in rows}
    assert (by_code[1]["expected"], by_code[1]["submitted_count"], by_code[1]["rate"]) == (1, 1, 100.0)
    assert (by_code[79]["expected"], by_code[79]["submitted_count"], by_code[79]["missing"], by_code[79]["rate"]) == (3, 0, 3, 0.0)
    assert (total["expected"], total["submitted_count"], total["rate"]) == (4, 1, 25.0)
    # A provincial official sees their province only; others no register at all.
    rows, _total = selectors.register(w.hanoi_official, 2025)
    assert [row["province"].pk for row in rows] == [1]
    client.force_login(w.hanoi_official)
    assert client.get(url("register_province", 79, year=2025)).status_code == 404
    page = client.get(url("register", year=2025)).content.decode()
    assert "100.0 %" in page or "100,0 %" in page
    for persona in ("alice", "zoe", "nobody"):
        client.force_login(getattr(w, persona))
        assert client.get(url("register")).status_code == 404


def test_the_province_page_names_who_has_not_submitted(client, filed):
    w = filed
    # A generator site inactive now but with a manifest in 2025 must still file.
    gone = factories.SiteFactory(organisation=w.zeta, name="Zeta cũ", ward=w.hcm_ward, active=False)
    manifest(w, local(2025, 7, 1), [line(w.oil, "5", received="5", planned=w.incineration)], site=gone, status=Status.RECEIVED)
    # A site created in 2026 has nothing to report for 2025.
    factories.SiteFactory(organisation=w.zeta, name="Zeta mới", ward=w.hcm_ward)
    client.force_login(w.hcm_official)
    page = client.get(url("register_province", 79, year=2025)).content.decode()
    for name in ("Alpha HCM", "Zeta HCM", "Omega xử lý", "Zeta cũ"):
        assert name in page, name
    assert "Zeta mới" not in page and "Alpha Hà Nội" not in page
    client.force_login(w.hanoi_official)
    page = client.get(url("register_province", 1, year=2025)).content.decode()
    assert url("detail", w.report.pk) in page and "On time" in page or "Đúng hạn" in page


def test_the_register_costs_the_same_queries_whatever_the_number_of_sites(client, filed):
    w = filed
    client.force_login(w.central_official)

    def queries():
        client.get(url("register", year=2025))  # fills what is cached (the menu's unread count)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("register", year=2025)).status_code == 200
        return len(captured)

    obligations.refresh(2025)
    before = queries()
    for n in range(6):
        site = factories.SiteFactory(organisation=w.zeta, name=f"Zeta {n}", ward=w.hanoi_ward if n % 2 else w.hcm_ward)
        manifest(w, local(2025, 5, 1 + n), [line(w.oil, "1", received="1", planned=w.incineration)], site=site, status=Status.RECEIVED)
    Site.objects.update(created_at=dt.datetime(2024, 6, 1, tzinfo=VN))
    assert obligations.refresh(2025) == 11
    assert queries() == before

    def province_queries():
        client.get(url("register_province", 79, year=2025))  # fills what is cached (the menu's unread count)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("register_province", 79, year=2025)).status_code == 200
        return len(captured)

    before = province_queries()
    for n in range(4):
        factories.SiteFactory(organisation=w.zeta, name=f"Zeta thêm {n}", ward=w.hcm_ward)
    Site.objects.update(created_at=dt.datetime(2024, 6, 1, tzinfo=VN))
    obligations.refresh(2025)
    assert province_queries() == before


def test_the_obligations_are_computed_on_first_look_and_refreshed_on_demand(filed):
    w = filed
    assert not AnnualObligation.objects.exists()
    rows, total = selectors.register(w.central_official, 2025)
    assert total["expected"] == 5 and total["refreshed_at"] is not None
    reasons = {o.site_id: (o.handed_over, o.received, o.active) for o in AnnualObligation.objects.filter(year=2025)}
    assert reasons[w.alpha_hn.pk] == (True, False, True) and reasons[w.omega_site.pk] == (False, True, True)
    # A site closed and a manifest of a new site: seen after the next refresh (nightly, or the command).
    Site.objects.filter(pk=w.sigma_site.pk).update(active=False)
    late = factories.SiteFactory(organisation=w.zeta, name="Zeta 2026", ward=w.hcm_ward)
    manifest(w, local(2025, 12, 30), [line(w.oil, "1", received="1", planned=w.incineration)], site=late, status=Status.RECEIVED)
    assert selectors.register(w.central_official, 2025)[1]["expected"] == 5
    call_command("refresh_annual_obligations", "--year", "2025", stdout=io.StringIO())
    assert set(AnnualObligation.objects.filter(year=2025).values_list("site_id", flat=True)) == {
        w.alpha_hn.pk, w.alpha_hcm.pk, w.zeta_site.pk, w.omega_site.pk, late.pk
    }
    assert refresh_annual_obligations(2025) == 5  # idempotent


# --- reminders ----------------------------------------------------------------------------------------


def test_reminders_go_once_a_year_to_the_members_who_may_submit(filed):
    assert send_annual_report_reminders(2025) == 3  # Alpha (HCM site), Zeta, Omega
    recipients = sorted(address for message in mail.outbox for address in message.to)
    # bob is limited to the Hà Nội site, which filed; vera only views; dan drives.
    assert recipients == ["alice@example.vn", "fred@example.vn", "zoe@example.vn"]
    alpha_mail = next(message for message in mail.outbox if message.to == ["alice@example.vn"])
    assert "Alpha HCM" in alpha_mail.body and "Alpha Hà Nội" not in alpha_mail.body and "2025" in alpha_mail.subject
    # A second run, or the same task delivered twice, e-mails nobody again.
    assert send_annual_report_reminders(2025) == 0
    assert len(mail.outbox) == 3
    assert AnnualReminder.objects.filter(year=2025).count() == 3
    assert AuditEvent.objects.filter(chain="annual_reminder:2025", action="reminded").count() == 3
    # Another year is another reminder.
    assert send_annual_report_reminders(2024) > 0


def test_reminders_skip_organisations_that_have_filed_everything(filed):
    w = filed
    for site in (w.alpha_hcm,):
        services.submit(w.alice, site, 2025, form="05.A", entries=[], password=PASSWORD)
    send_annual_report_reminders(2025)
    assert not AnnualReminder.objects.filter(organisation=w.alpha, year=2025).exists()


def test_the_beat_schedule_runs_the_reminders_in_january(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["annual-report-reminders"]
    assert entry["task"] == send_annual_report_reminders.name
    assert entry["schedule"].month_of_year == {1}
    assert settings.CELERY_BEAT_SCHEDULE["annual-report-obligations"]["task"] == refresh_annual_obligations.name


# --- menu ---------------------------------------------------------------------------------------------


def test_the_menu_links_enterprises_and_officials_to_their_pages(client, filed):
    w = filed
    for persona, name in (("alice", "list"), ("fred", "list"), ("hanoi_official", "register"), ("central_official", "register")):
        client.force_login(getattr(w, persona))
        assert f'href="{reverse(f"annual_reports:{name}")}"' in client.get(reverse("home")).content.decode(), persona
    client.force_login(w.dan)
    assert reverse("annual_reports:list") not in client.get(reverse("home")).content.decode()
