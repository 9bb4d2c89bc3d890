import datetime as dt

import pytest

from accounts.models import Site
from tests import factories

from .annual_data import VN


@pytest.fixture
def annual(chain):
    """The chain world for annual reports of 2025: every site existed before 2025; a second facility (Sigma,
    Hà Nội) with its permit; an official of Hồ Chí Minh City."""
    w = chain
    w.sigma = factories.OrganisationFactory(name="Sigma", tax_code="0107777777", is_generator=False, is_facility=True)
    w.sigma_site = factories.SiteFactory(organisation=w.sigma, name="Sigma xử lý", ward=w.hanoi_ward)
    w.sigma_permit = factories.PermitFactory(site=w.sigma_site, number="88/GPMT-BTNMT")
    w.sigma_permit.waste_codes.set([w.oil, w.lamps])
    w.sigma_permit.treatment_methods.set([w.incineration, w.recycling])
    w.hcm_official = factories.JurisdictionFactory(user=factories.UserFactory(username="hcm_official"), province=w.hcm).user
    Site.objects.update(created_at=dt.datetime(2024, 6, 1, tzinfo=VN))
    w.year = 2025
    return w
