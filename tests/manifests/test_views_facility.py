"""Facility pages: what is coming, receipt with discrepancies and rejections, refusal, treatment, completion."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from common import pagination
from manifests import services
from manifests.models import Status
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client, settings):
    """Messages are checked in English (the msgids); the portal's default language stays Vietnamese."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def sigma(chain):
    """Another treatment facility with its staff sam: Omega's manifests do not exist for him."""
    w = chain
    w.sigma = factories.OrganisationFactory(name="Sigma xử lý", tax_code="0308888888", is_generator=False, is_facility=True)
    w.sigma_site = factories.SiteFactory(organisation=w.sigma, name="Sigma Bình Dương", ward=w.hcm_ward)
    w.sam = factories.UserFactory(username="sam")
    factories.MembershipFactory(user=w.sam, organisation=w.sigma, role=Membership.Role.MEMBER)
    return w


def ready(w):
    return services.sign(w.alice, w.draft(), PASSWORD)


def picked(w):
    m = ready(w)
    return services.pickup(w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in m.lines.all()})


def delivered(w):
    return services.deliver(w.dan, picked(w))


def received(w):
    m = delivered(w)
    return services.receive(w.fred, m, password=PASSWORD, lines={line.pk: {"received_quantity_kg": line.quantity_kg} for line in m.lines.all()})


def lines_of(m):
    first, second = m.lines.order_by("position")
    return first, second


def receive_data(m, overrides=None):
    """Everything as declared; overrides by (line position, part)."""
    data = {"action": "receive", "password": PASSWORD}
    for line in m.lines.all():
        data[f"line_{line.pk}_quantity"] = str(line.reference_quantity_kg)
        data[f"line_{line.pk}_code"] = str(line.waste_code_id)
        data[f"line_{line.pk}_comment"] = ""
        data[f"line_{line.pk}_rejection_reason"] = ""
    for (position, part), value in (overrides or {}).items():
        line = m.lines.get(position=position)
        key = f"line_{line.pk}_{part}"
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def treat_data(m, method, day=None):
    day = day or timezone.localdate()
    data = {"password": PASSWORD}
    for line in m.lines.filter(rejected=False, treated_on__isnull=True):
        data[f"line_{line.pk}_method"] = str(method.pk)
        data[f"line_{line.pk}_treated_on"] = day.isoformat()
    return data


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- permissions -------------------------------------------------------------------------------------------

PERMISSIONS = [
    # user, incoming list, receive, treat
    ("fred", 200, 200, 200),
    ("sam", 200, 404, 404),  # staff of another facility
    ("zoe", 200, 404, 404),
    ("nobody", 200, 404, 404),
    ("dan", 200, 403, 403),  # Omega's driver sees the manifest (Omega transports) but may not receive it
    ("alice", 200, 403, 403),  # the generator
    ("vera", 200, 403, 403),
    ("central_official", 200, 403, 403),
]


@pytest.mark.parametrize(("username", "list_status", "receive_status", "treat_status"), PERMISSIONS)
def test_who_may_open_the_facility_pages(client, sigma, username, list_status, receive_status, treat_status):
    w = sigma
    moving, done = picked(w), received(w)
    client.force_login(getattr(w, username))
    response = client.get(reverse("manifests:incoming"))
    assert response.status_code == list_status
    if username != "fred":
        assert moving.number not in response.content.decode()
    assert client.get(reverse("manifests:receive", args=[moving.pk])).status_code == receive_status
    assert client.get(reverse("manifests:treat", args=[done.pk])).status_code == treat_status


@pytest.mark.parametrize(
    ("username", "expected"),
    # Staff of another facility do not see the manifest (404); its driver and its generator see it but may not act (403).
    [("sam", 404), ("dan", 403), ("alice", 403)],
)
def test_outsiders_cannot_post_a_receipt_or_a_treatment(client, sigma, username, expected):
    w = sigma
    moving, done = picked(w), received(w)
    client.force_login(getattr(w, username))
    response = client.post(reverse("manifests:receive", args=[moving.pk]), receive_data(moving))
    assert response.status_code == expected
    response = client.post(reverse("manifests:treat", args=[done.pk]), treat_data(done, w.incineration))
    assert response.status_code == expected
    moving.refresh_from_db(), done.refresh_from_db()
    assert moving.status == Status.IN_TRANSIT and done.status == Status.RECEIVED


# --- incoming ------------------------------------------------------------------------------------------


def test_incoming_lists_what_is_coming_and_what_waits_for_treatment(client, chain):
    w = chain
    waiting, moving, arrived, pending = ready(w), picked(w), delivered(w), received(w)
    w.draft()
    client.force_login(w.fred)
    response = client.get(reverse("manifests:incoming"))
    assert response.status_code == 200
    assert [m.pk for m in response.context["page"]] == [arrived.pk, moving.pk, waiting.pk]
    counts = {status: count for status, _label, count in response.context["counts"]}
    # (count, whether it is capped at common.pagination.COUNT_CAP)
    assert counts == {Status.READY: (1, False), Status.IN_TRANSIT: (1, False), Status.DELIVERED: (1, False), Status.RECEIVED: (1, False)}
    html = response.content.decode()
    assert reverse("manifests:receive", args=[arrived.pk]) in html
    response = client.get(reverse("manifests:incoming"), {"show": "pending"})
    assert [m.pk for m in response.context["page"]] == [pending.pk]
    assert reverse("manifests:treat", args=[pending.pk]) in response.content.decode()


def test_incoming_is_paginated(client, chain, monkeypatch):
    w = chain
    monkeypatch.setattr(pagination, "PAGE_SIZE", 2)
    made = [ready(w) for _ in range(3)]
    client.force_login(w.fred)
    first = client.get(reverse("manifests:incoming"))
    cursor = first.context["page"].next_cursor
    second = client.get(reverse("manifests:incoming"), {"after": cursor, "show": "coming"})
    assert len(first.context["page"]) == 2 and len(second.context["page"]) == 1
    assert f"after={cursor}" in first.content.decode()
    assert {m.pk for m in [*first.context["page"], *second.context["page"]]} == {m.pk for m in made}


def test_incoming_with_a_bad_page_or_tab_does_not_fail(client, chain):
    client.force_login(chain.fred)
    response = client.get(reverse("manifests:incoming"), {"after": "x", "before": "99999999999999999999-1", "show": "<script>"})
    assert response.status_code == 200 and response.context["show"] == "coming"


def test_incoming_for_someone_outside_facilities(client, chain):
    client.force_login(chain.alice)
    response = client.get(reverse("manifests:incoming"))
    assert response.status_code == 200 and not response.context["has_sites"]


# --- receive -------------------------------------------------------------------------------------------------


def test_receive_page_shows_tolerance_and_reference_quantities(client, chain, settings):
    w = chain
    settings.HWMS_QUANTITY_TOLERANCE_PERCENT = Decimal(7)
    m = picked(w)
    first, _second = lines_of(m)
    first.pickup_quantity_kg = Decimal(98)
    first.save(update_fields=["pickup_quantity_kg"])
    client.force_login(w.fred)
    response = client.get(reverse("manifests:receive", args=[m.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tolerance: 7 %" in html
    assert "98\u00a0kg" in html and "91.14" in html and "104.86" in html  # 98 ± 7 %
    form = response.context["form"]
    assert form[f"line_{first.pk}_code"].value() == w.oil.pk
    codes = {code.code for code in form.fields[f"line_{first.pk}_code"].queryset}
    assert {"17 02 03", "16 01 06", "19 06 01"} <= codes


def test_receipt_as_declared(client, chain):
    w = chain
    m = delivered(w)
    client.force_login(w.fred)
    response = client.post(reverse("manifests:receive", args=[m.pk]), receive_data(m))
    assert response.status_code == 302 and response.url == reverse("manifests:treat", args=[m.pk])
    m.refresh_from_db()
    assert m.status == Status.RECEIVED and not m.has_discrepancy


def test_discrepancy_without_comment_is_an_error_next_to_the_line(client, chain):
    w = chain
    m = picked(w)  # receiving straight from transit is allowed
    first, _second = lines_of(m)
    client.force_login(w.fred)
    response = client.post(reverse("manifests:receive", args=[m.pk]), receive_data(m, {(1, "quantity"): "80"}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [f"line_{first.pk}_comment"]
    assert f'id="id_line_{first.pk}_comment_error"' in response.content.decode()
    m.refresh_from_db()
    assert m.status == Status.IN_TRANSIT


def test_discrepancy_with_comment_is_received_with_discrepancy(client, chain):
    w = chain
    m = delivered(w)
    first, second = lines_of(m)
    client.force_login(w.fred)
    data = receive_data(m, {(1, "quantity"): "80", (1, "comment"): "Thiếu 20 kg so với khai báo"})
    response = client.post(reverse("manifests:receive", args=[m.pk]), data)
    assert response.status_code == 302
    m.refresh_from_db(), first.refresh_from_db(), second.refresh_from_db()
    assert m.status == Status.RECEIVED and m.has_discrepancy
    assert first.discrepancy and first.received_quantity_kg == Decimal(80) and not second.discrepancy
    assert any("discrepancy" in text for text in messages_of(response))


def test_difference_within_tolerance_is_no_discrepancy(client, chain):
    w = chain
    m = delivered(w)
    client.force_login(w.fred)
    response = client.post(reverse("manifests:receive", args=[m.pk]), receive_data(m, {(1, "quantity"): "104,5"}))
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == Status.RECEIVED and not m.has_discrepancy


def test_another_permitted_code_is_a_discrepancy(client, chain):
    w = chain
    m = delivered(w)
    first, _second = lines_of(m)
    client.force_login(w.fred)
    response = client.post(reverse("manifests:receive", args=[m.pk]), receive_data(m, {(1, "code"): str(w.lamps.pk)}))
    assert response.status_code == 200 and f"line_{first.pk}_comment" in response.context["form"].errors
    data = receive_data(m, {(1, "code"): str(w.lamps.pk), (1, "comment"): "Là bóng đèn, không phải dầu"})
    assert client.post(reverse("manifests:receive", args=[m.pk]), data).status_code == 302
    first.refresh_from_db()
    assert first.received_waste_code == w.lamps and first.discrepancy


def test_a_code_the_permit_does_not_cover_is_refused_next_to_the_code(client, chain):
    w = chain
    m = delivered(w)
    first, _second = lines_of(m)
    client.force_login(w.fred)
    data = receive_data(m, {(1, "code"): str(w.unpermitted.pk), (1, "comment"): "Ắc quy lẫn vào"})
    response = client.post(reverse("manifests:receive", args=[m.pk]), data)
    assert response.status_code == 200 and list(response.context["form"].errors) == [f"line_{first.pk}_code"]


def test_missing_received_quantity_is_an_error_on_the_quantity(client, chain):
    w = chain
    m = delivered(w)
    first, _second = lines_of(m)
    client.force_login(w.fred)
    response = client.post(reverse("manifests:receive", args=[m.pk]), receive_data(m, {(1, "quantity"): ""}))
    assert response.status_code == 200 and list(response.context["form"].errors) == [f"line_{first.pk}_quantity"]


def test_reject_a_line_with_its_reason(client, chain):
    w = chain
    m = delivered(w)
    _first, second = lines_of(m)
    client.force_login(w.fred)
    response = client.post(reverse("manifests:receive", args=[m.pk]), receive_data(m, {(2, "rejected"): "on"}))
    assert response.status_code == 200 and list(response.context["form"].errors) == [f"line_{second.pk}_rejection_reason"]
    data = receive_data(m, {(2, "rejected"): "on", (2, "rejection_reason"): "Bóng đèn vỡ, không đóng gói kín"})
    response = client.post(reverse("manifests:receive", args=[m.pk]), data)
    assert response.status_code == 302
    m.refresh_from_db(), second.refresh_from_db()
    assert m.status == Status.RECEIVED and second.rejected and second.rejection_reason.startswith("Bóng đèn")


def test_rejecting_every_line_rejects_the_manifest(client, chain):
    w = chain
    m = delivered(w)
    client.force_login(w.fred)
    data = receive_data(m, {(1, "rejected"): "on", (1, "rejection_reason"): "Rò rỉ", (2, "rejected"): "on", (2, "rejection_reason"): "Vỡ"})
    response = client.post(reverse("manifests:receive", args=[m.pk]), data)
    assert response.status_code == 302 and response.url == reverse("manifests:incoming")
    m.refresh_from_db()
    assert m.status == Status.REJECTED


def test_refuse_the_whole_shipment(client, chain):
    w = chain
    m = delivered(w)
    client.force_login(w.fred)
    response = client.post(reverse("manifests:receive", args=[m.pk]), {"action": "refuse", "refuse_reason": "   ", "password": PASSWORD})
    assert response.status_code == 200 and response.context["refuse_form"].errors["refuse_reason"]
    response = client.post(reverse("manifests:receive", args=[m.pk]), {"action": "refuse", "refuse_reason": "Xe không có giấy phép vận chuyển", "password": PASSWORD})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == Status.REJECTED and m.rejection_reason == "Xe không có giấy phép vận chuyển"
    assert all(line.rejected for line in m.lines.all())


def test_receiving_twice_gets_a_clear_message(client, chain):
    w = chain
    m = delivered(w)
    client.force_login(w.fred)
    client.post(reverse("manifests:receive", args=[m.pk]), receive_data(m))
    response = client.get(reverse("manifests:receive", args=[m.pk]))
    assert response.status_code == 200 and not response.context["can_act"]
    response = client.post(reverse("manifests:receive", args=[m.pk]), receive_data(m))
    assert response.status_code == 200 and response.context["form"].non_field_errors()


# --- treat ---------------------------------------------------------------------------------------------------


def test_treat_offers_only_the_permit_methods(client, chain):
    w = chain
    m = received(w)
    first, _second = lines_of(m)
    client.force_login(w.fred)
    response = client.get(reverse("manifests:treat", args=[m.pk]))
    assert response.status_code == 200
    methods = set(response.context["form"].fields[f"line_{first.pk}_method"].queryset)
    assert methods == {w.incineration, w.recycling}
    assert response.context["form"][f"line_{first.pk}_treated_on"].value() == timezone.localdate()


def test_treat_with_a_method_the_permit_does_not_allow_is_an_error(client, chain):
    w = chain
    m = received(w)
    first, _second = lines_of(m)
    client.force_login(w.fred)
    response = client.post(reverse("manifests:treat", args=[m.pk]), treat_data(m, w.landfill))
    assert response.status_code == 200 and f"line_{first.pk}_method" in response.context["form"].errors
    assert not m.lines.filter(treated_on__isnull=False).exists()


def test_the_service_still_refuses_a_method_removed_from_the_permit(client, chain):
    w = chain
    m = received(w)
    _first, _second = lines_of(m)
    client.force_login(w.fred)
    data = treat_data(m, w.recycling)
    # The permit loses the method between the page and the POST: the form and the service both refuse it.
    w.permit.treatment_methods.remove(w.recycling)
    response = client.post(reverse("manifests:treat", args=[m.pk]), data)
    assert response.status_code == 200 and response.context["form"].errors
    assert not m.lines.filter(treated_on__isnull=False).exists()


def test_treatment_date_before_receipt_is_an_error_on_the_date(client, chain):
    w = chain
    m = received(w)
    first, _second = lines_of(m)
    client.force_login(w.fred)
    data = treat_data(m, w.incineration, day=timezone.localdate() - timedelta(days=10))
    response = client.post(reverse("manifests:treat", args=[m.pk]), data)
    assert response.status_code == 200 and f"line_{first.pk}_treated_on" in response.context["form"].errors


def test_nothing_chosen_is_an_error(client, chain):
    w = chain
    m = received(w)
    client.force_login(w.fred)
    response = client.post(reverse("manifests:treat", args=[m.pk]), {"password": PASSWORD})
    assert response.status_code == 200 and response.context["form"].non_field_errors()


def test_treat_line_by_line_then_all_completes(client, chain):
    w = chain
    m = received(w)
    first, second = lines_of(m)
    client.force_login(w.fred)
    today = timezone.localdate().isoformat()
    response = client.post(
        reverse("manifests:treat", args=[m.pk]),
        {f"line_{first.pk}_method": str(w.incineration.pk), f"line_{first.pk}_treated_on": today, f"line_{second.pk}_treated_on": today, "password": PASSWORD},
    )
    assert response.status_code == 302 and response.url == reverse("manifests:treat", args=[m.pk])
    m.refresh_from_db()
    assert m.status == Status.RECEIVED
    page = client.get(reverse("manifests:treat", args=[m.pk]))
    assert [row.line.pk for row in page.context["form"].rows()] == [second.pk]
    response = client.post(reverse("manifests:treat", args=[m.pk]), {f"line_{second.pk}_method": str(w.recycling.pk), f"line_{second.pk}_treated_on": today, "password": PASSWORD})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == Status.COMPLETED and m.completed_at is not None and m.completed_by == w.fred
    assert any("completed" in text for text in messages_of(response))
    assert client.get(reverse("manifests:treat", args=[m.pk])).status_code == 200


def test_rejected_lines_need_no_treatment(client, chain):
    w = chain
    m = delivered(w)
    first, second = lines_of(m)
    services.receive(
        w.fred, m, password=PASSWORD, lines={first.pk: {"received_quantity_kg": Decimal(100)}, second.pk: {"rejected": True, "rejection_reason": "Vỡ"}}
    )
    client.force_login(w.fred)
    response = client.post(reverse("manifests:treat", args=[m.pk]), treat_data(m, w.incineration))
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == Status.COMPLETED


@pytest.mark.parametrize("builder", [ready, picked, delivered, received])
def test_facility_pages_render_at_each_open_status(client, chain, builder):
    w = chain
    m = builder(w)
    client.force_login(w.fred)
    for name in ("manifests:receive", "manifests:treat"):
        response = client.get(reverse(name, args=[m.pk]))
        assert response.status_code == 200 and m.number in response.content.decode()
