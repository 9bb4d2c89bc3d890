import datetime as dt

import pytest
from django.utils import translation

from accounts.models import Site
from manifests import services
from tests import factories

from .annual_data import VN


@pytest.fixture(autouse=True)
def _english(request):
    """The statistics tests read English labels; the annual-report tests read the Vietnamese documents."""
    if "annual" in request.module.__name__:
        yield
        return
    with translation.override("en"):
        yield


@pytest.fixture
def annual(chain):
    """The chain world for annual reports of 2025: every site existed before 2025; a second facility (Sigma,
    Hà Nội) with its permit; an official of Hồ Chí Minh City."""
    w = chain
    w.sigma = factories.OrganisationFactory(name="Sigma", tax_code="0107777777", is_generator=False, is_facility=True)
    w.sigma_site = factories.SiteFactory(organisation=w.sigma, name="Sigma xử lý", ward=w.hanoi_ward)
    w.sigma_permit = factories.PermitFactory(site=w.sigma_site, number="0088/GPMT-BTNMT")  # never a number of the factory's sequence
    w.sigma_permit.waste_codes.set([w.oil, w.lamps])
    w.sigma_permit.treatment_methods.set([w.incineration, w.recycling])
    w.hcm_official = factories.JurisdictionFactory(user=factories.UserFactory(username="hcm_official"), province=w.hcm).user
    Site.objects.update(created_at=dt.datetime(2024, 6, 1, tzinfo=VN))
    w.year = 2025
    return w


@pytest.fixture
def sigma(chain):
    """A second licensed facility (Sigma, HCM) for redirects."""
    w = chain
    org = factories.OrganisationFactory(name="Sigma", tax_code="0311111111", is_generator=False, is_facility=True)
    w.sigma_site = factories.SiteFactory(organisation=org, name="Sigma xử lý", ward=w.hcm_ward, latitude="10.9", longitude="106.8")
    w.sigma_permit = factories.PermitFactory(site=w.sigma_site)
    w.sigma_permit.waste_codes.set([w.oil, w.lamps])
    w.sigma_permit.treatment_methods.set([w.recycling])
    w.sigma = org
    return w


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Run the after-commit callbacks (the rollup tasks, eager) of what the block does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


__all__ = ["services"]
