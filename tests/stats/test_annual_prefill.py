"""The prefill of the annual report from the year's manifests: what counts, in which year, at which quantity."""

import datetime as dt
from decimal import Decimal

import pytest

from manifests.models import FollowUp, Status
from stats.annual import prefill

from .annual_data import line, local, manifest

pytestmark = pytest.mark.django_db


def _rows(rows):
    return {(r["waste_code"], r["method"], r["method_source"], r["facility"]["name"]): (r["quantity_kg"], r["manifests"]) for r in rows}


@pytest.fixture
def year_of_alpha(annual):
    """Alpha Hà Nội's manifests around 2025 (comments: what each one tests)."""
    w = annual
    # Completed: received quantities count (not declared, not pickup); actual methods.
    manifest(w, local(2025, 3, 1), [
        line(w.oil, "100", pickup="98", received="97.5", planned=w.incineration, method=w.incineration, treated_on=dt.date(2025, 3, 5)),
        line(w.lamps, "40.5", received="40.5", planned=w.recycling, method=w.recycling, treated_on=dt.date(2025, 3, 5)),
    ])
    # Received, not yet treated: the planned method, marked planned; the rejected line is not handed over.
    manifest(w, local(2025, 6, 1), [
        line(w.oil, "200", received="200", planned=w.incineration),
        line(w.lamps, "30", received="30", rejected=True, planned=w.recycling),
    ], status=Status.RECEIVED)
    # Cancelled before pickup: nothing left the site.
    manifest(w, None, [line(w.oil, "500", planned=w.incineration)], status=Status.CANCELLED)
    # Another year on each side, by Vietnam time (31 Dec 23:30 local is 2025; 1 Jan 00:10 local is 2026).
    manifest(w, local(2024, 12, 31, 23, 0), [line(w.oil, "1000", received="1000", planned=w.incineration)], status=Status.RECEIVED)
    manifest(w, local(2025, 12, 31, 23, 30), [line(w.oil, "10", received="10", planned=w.incineration, method=w.incineration, treated_on=dt.date(2026, 1, 2))])
    manifest(w, local(2026, 1, 1, 0, 10), [line(w.oil, "2000", pickup="2000", planned=w.incineration)], status=Status.IN_TRANSIT)
    # Refused whole, then returned to the site: not a handover; listed apart.
    refused = manifest(w, local(2025, 9, 1), [line(w.oil, "300", received="300", rejected=True, planned=w.incineration)], status=Status.REJECTED)
    manifest(w, local(2025, 9, 3), [line(w.oil, "300", received="299")], facility_site=w.alpha_hn, origin=refused, origin_kind=FollowUp.RETURN)
    # Partly rejected, the rejected lamps redirected to Sigma and picked up there in January: the waste left the
    # site in 2025, so it counts in 2025, at Sigma.
    partial = manifest(w, local(2025, 10, 1), [
        line(w.oil, "50", received="50", planned=w.incineration),
        line(w.lamps, "20", received="20", rejected=True, planned=w.recycling),
    ], status=Status.RECEIVED)
    manifest(w, local(2026, 1, 5), [line(w.lamps, "20", pickup="20", received="19.8", planned=w.recycling)],
             status=Status.RECEIVED, facility_site=w.sigma_site, permit=w.sigma_permit, origin=partial, origin_kind=FollowUp.REDIRECT)
    # Another site of the same organisation: not in this site's report.
    manifest(w, local(2025, 4, 1), [line(w.oil, "700", received="700", planned=w.incineration)], site=w.alpha_hcm, status=Status.RECEIVED)
    return w


def test_generator_prefill_counts_what_left_the_site_in_the_year(year_of_alpha):
    w = year_of_alpha
    result = prefill.generator_prefill(w.alpha_hn, 2025)
    assert _rows(result["handed_over"]) == {
        ("17 02 03", "TĐ", "actual", "Omega"): ("107.50", 2),
        ("16 01 06", "TC", "actual", "Omega"): ("40.50", 1),
        ("17 02 03", "TĐ", "planned", "Omega"): ("250.00", 2),
        ("16 01 06", "TC", "planned", "Sigma"): ("19.80", 1),
    }
    assert result["handed_over_kg"] == "417.80"
    assert {r["facility"]["name"]: r["permit"] for r in result["handed_over"]} == {"Omega": w.permit.number, "Sigma": "0088/GPMT-BTNMT"}
    # The return is listed apart, at the quantity received back, and counted in no total.
    assert [(r["waste_code"], r["quantity_kg"], r["manifests"]) for r in result["returned"]] == [("17 02 03", "299.00", 1)]


def test_the_neighbouring_years_get_their_own_manifests(year_of_alpha):
    w = year_of_alpha
    assert prefill.generator_prefill(w.alpha_hn, 2024)["handed_over_kg"] == "1000.00"
    assert prefill.generator_prefill(w.alpha_hn, 2026)["handed_over_kg"] == "2000.00"
    assert prefill.generator_prefill(w.alpha_hcm, 2025)["handed_over_kg"] == "700.00"


def test_a_line_received_under_another_code_counts_under_that_code(annual):
    w = annual
    m = manifest(w, local(2025, 5, 1), [line(w.oil, "80", received="80", planned=w.incineration)], status=Status.RECEIVED)
    m.lines.update(received_waste_code=w.lamps, discrepancy=True, discrepancy_comment="Mã khác")
    rows = prefill.handed_over(w.alpha_hn.pk, 2025)
    assert [(r["waste_code"], r["quantity_kg"]) for r in rows] == [("16 01 06", "80.00")]


def test_facility_prefill_received_treated_stock_and_onward(year_of_alpha):
    w = year_of_alpha
    # Zeta (HCM) delivers in 2024, treated in 2025: opening stock of 2025.
    manifest(w, local(2024, 12, 20), [line(w.oil, "60", received="60", method=w.incineration, treated_on=dt.date(2025, 1, 10))], site=w.zeta_site)
    result = prefill.facility_prefill(w.omega_site, 2025)
    received = {(r["generator"]["name"], r["province"]["name"], r["waste_code"]): (r["quantity_kg"], r["manifests"]) for r in result["received"]}
    assert received == {
        # By receipt time: 1000 (picked up 31 Dec 2024, received 1 Jan 2025) + 97.5 + 200 + 50; the 10 kg picked
        # up on 31 Dec 2025 arrived in 2026; refused and returned loads are not received.
        ("Alpha", "Thành phố Hà Nội", "17 02 03"): ("1347.50", 4),
        ("Alpha", "Thành phố Hà Nội", "16 01 06"): ("40.50", 1),
        ("Alpha", "Thành phố Hồ Chí Minh", "17 02 03"): ("700.00", 1),
    }
    treated = {(r["method"], r["waste_code"]): r["quantity_kg"] for r in result["treated"]}
    assert treated == {("TĐ", "17 02 03"): "157.50", ("TC", "16 01 06"): "40.50"}
    stock = {r["waste_code"]: (r["opening_kg"], r["received_kg"], r["treated_kg"], r["closing_kg"]) for r in result["stock"]}
    opening_oil = Decimal("60")  # Zeta's, received in 2024, treated in 2025
    received_oil = Decimal("1347.50") + Decimal("700")
    treated_oil = Decimal("157.50")
    assert stock["17 02 03"] == (f"{opening_oil:.2f}", f"{received_oil:.2f}", f"{treated_oil:.2f}", f"{opening_oil + received_oil - treated_oil:.2f}")
    assert stock["16 01 06"] == ("0.00", "40.50", "40.50", "0.00")
    onward = {(r["kind"], r["facility"]["name"], r["waste_code"]): r["quantity_kg"] for r in result["onward"]}
    # The return left Omega in 2025; the redirect to Sigma was picked up at Omega in January 2026.
    assert onward == {(FollowUp.RETURN, "Alpha", "17 02 03"): "300.00"}
    assert prefill.onward(w.omega_site.pk, 2026)[0]["facility"]["name"] == "Sigma"
    assert result["residues"] == []
