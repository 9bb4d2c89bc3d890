import pytest
from django.utils import translation

from manifests import services
from tests import factories


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


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
