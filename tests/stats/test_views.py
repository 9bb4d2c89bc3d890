"""Dashboards: rendered from the rollups, scoped by the policy (another province or organisation answers 404),
a constant number of queries as rows grow, exports with the page's figures."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from manifests.models import Status
from stats import rollups
from stats.models import ExportJob
from tests import factories
from tests.manifests.lifecycle import at_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(chain):
    w = chain
    at_status(w, Status.COMPLETED)
    at_status(w, Status.COMPLETED, site=w.alpha_hcm)
    rollups.rebuild()
    return w


def test_the_central_official_sees_the_country_and_drills_into_a_province(client, figures):
    w = figures
    client.force_login(w.central_official)
    page = client.get(reverse("stats:dashboard"))
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-store"
    html = page.content.decode()
    assert "281" in html  # 2 × 140.50 declared, grouped in the page's language
    assert 'data-chart="chart-by_province"' in html and 'id="chart-by_province"' in html
    assert "<script>" not in html.replace('<script src=', '')  # no inline script (CSP)
    province = client.get(reverse("stats:dashboard"), {"province": w.hanoi.pk})
    assert province.status_code == 200
    by_province = province.context["by_name"]["by_province"].rows
    assert [row[0] for row in by_province] == ["Thành phố Hà Nội"] and by_province[0][1] == Decimal("140.50")


def test_a_provincial_official_sees_only_the_province(client, figures):
    w = figures
    client.force_login(w.hanoi_official)
    page = client.get(reverse("stats:dashboard"))
    assert page.status_code == 200
    assert page.context["filters"].province == w.hanoi.pk
    assert [row[0] for row in page.context["by_name"]["by_province"].rows] == ["Thành phố Hà Nội"]
    assert page.context["totals"]["declared_kg"] == Decimal("140.50")
    assert client.get(reverse("stats:dashboard"), {"province": w.hcm.pk}).status_code == 404
    assert client.get(reverse("stats:dashboard"), {"province": w.hcm.pk, "export": "csv", "table": "by_province"}).status_code == 404
    # Alpha's figures: only its Hà Nội site.
    alpha = client.get(reverse("stats:enterprise", args=[w.alpha.pk]))
    assert [row[0] for row in alpha.context["tables"][1].rows] == ["Alpha Hà Nội"]
    # Omega's facility sits in HCM: outside the province.
    assert client.get(reverse("stats:facility", args=[w.omega.pk])).status_code == 404


def test_enterprises_see_their_own_figures_only(client, figures):
    w = figures
    client.force_login(w.alice)
    assert client.get(reverse("stats:home")).url == reverse("stats:enterprise", args=[w.alpha.pk])
    own = client.get(reverse("stats:enterprise", args=[w.alpha.pk]))
    assert own.status_code == 200
    assert {row[0] for row in own.context["tables"][1].rows} == {"Alpha Hà Nội", "Alpha HCM"}
    assert client.get(reverse("stats:dashboard")).status_code == 404
    assert client.get(reverse("stats:enterprise", args=[w.zeta.pk])).status_code == 404
    assert client.get(reverse("stats:facility", args=[w.omega.pk])).status_code == 404
    client.force_login(w.bob)  # limited to the Hà Nội site
    limited = client.get(reverse("stats:enterprise", args=[w.alpha.pk]))
    assert [row[0] for row in limited.context["tables"][1].rows] == ["Alpha Hà Nội"]
    client.force_login(w.zoe)
    assert client.get(reverse("stats:enterprise", args=[w.alpha.pk])).status_code == 404


def test_the_facility_sees_intake_by_generator_province_and_method_and_its_capacity(client, figures):
    w = figures
    client.force_login(w.fred)
    assert client.get(reverse("stats:home")).url == reverse("stats:facility", args=[w.omega.pk])
    page = client.get(reverse("stats:facility", args=[w.omega.pk]))
    capacity, by_generator, by_province, by_method = page.context["tables"]
    assert capacity.rows[0][1] == Decimal("281.00") and capacity.rows[0][5] == w.permit.yearly_capacity_kg - Decimal("281.00")
    assert by_generator.rows == [["Alpha", Decimal("281.00"), Decimal("281.00"), 2]]
    assert {row[0] for row in by_province.rows} == {"Thành phố Hà Nội", "Thành phố Hồ Chí Minh"}
    assert by_method.rows[0][1] == Decimal("281.00")


def test_dashboard_queries_do_not_grow_with_the_rows(client, figures):
    w = figures
    client.force_login(w.central_official)

    def queries():
        client.get(reverse("stats:dashboard"))  # fills what is cached (the menu's unread count)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("stats:dashboard")).status_code == 200
        return len(captured)

    before = queries()
    for _ in range(3):
        at_status(w, Status.COMPLETED)
    other = factories.OrganisationFactory(name="Beta", tax_code="0107777777")
    site = factories.SiteFactory(organisation=other, name="Beta HN", ward=w.hanoi_ward)
    membership_user = factories.UserFactory(username="beta")
    factories.MembershipFactory(user=membership_user, organisation=other, role="admin")
    from manifests import services

    services.set_handover_code(membership_user, other, factories.PASSWORD)
    rollups.rebuild()
    assert queries() == before
    del site


def test_table_exports_hold_the_page_figures(client, figures):
    w = figures
    client.force_login(w.central_official)
    response = client.get(reverse("stats:dashboard"), {"export": "xlsx", "table": "by_province"})
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows[0]) == 5 and all(title.endswith("(kg)") for title in rows[0][1:])  # headings in the page's language
    assert sorted(rows[1:]) == sorted([("Thành phố Hà Nội", 140.5, 140.5, 140.5, 140.5), ("Thành phố Hồ Chí Minh", 140.5, 140.5, 140.5, 140.5)])
    response = client.get(reverse("stats:dashboard"), {"export": "csv", "table": "by_code"})
    text = response.content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1:] == [["17 02 03", "200.00", "200.00", "200.00", "200.00"], ["16 01 06", "81.00", "81.00", "81.00", "81.00"]]
    assert client.get(reverse("stats:dashboard"), {"export": "pdf", "table": "by_code"}).status_code == 404


def test_a_year_of_lines_is_exported_by_a_job_with_progress_and_a_private_download(client, figures, django_capture_on_commit_callbacks, settings, tmp_path):
    w = figures
    settings.MEDIA_ROOT = tmp_path
    client.force_login(w.hanoi_official)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("stats:export_lines"), {"year": ""})
    job = ExportJob.objects.get()
    assert response.url == reverse("stats:job", args=[job.pk])
    assert job.state == ExportJob.State.DONE and job.total == 2 and job.percent == 100
    assert "lines-" not in job.file.name  # stored under an unguessable name, downloaded under a readable one
    page = client.get(response.url)
    assert reverse("stats:job_download", args=[job.pk]) in page.content.decode()
    download = client.get(reverse("stats:job_download", args=[job.pk]))
    content = b"".join(download.streaming_content)
    assert "no-store" in download["Cache-Control"] and "private" in download["Cache-Control"]
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 3 and {row[5] for row in rows[1:]} == {"Thành phố Hà Nội"}  # the province's lines only
    client.force_login(w.central_official)
    assert client.get(reverse("stats:job_download", args=[job.pk])).status_code == 404  # someone else's job


def test_the_menu_offers_statistics_to_officials_and_enterprises(client, figures):
    w = figures
    for user, expected in ((w.central_official, True), (w.hanoi_official, True), (w.alice, True), (w.fred, True), (w.dan, False)):
        client.force_login(user)
        html = client.get(reverse("home")).content.decode()
        assert (f'href="{reverse("stats:home")}"' in html) is expected, user.username
