"""Driver pages (phones): the list, opening by number, pickup with the generator's code, delivery, replays."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Membership
from manifests import services
from manifests.models import IdempotencyRecord, Status
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PHONE = {"HTTP_USER_AGENT": "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36 (390x844)"}


# --- helpers -------------------------------------------------------------------------------------------


def ready(w, **kwargs):
    return services.sign(w.alice, w.draft(**kwargs), PASSWORD)


def sealed(w):
    return services.seal(w.alice, w.draft())


def quantities(m):
    return {line.pk: line.quantity_kg for line in m.lines.all()}


def _picked(w):
    m = ready(w)
    return services.pickup(w.dan, m, vehicle=w.truck, quantities=quantities(m))


def delivered(w):
    return services.deliver(w.dan, _picked(w))


def received(w):
    m = delivered(w)
    return services.receive(w.fred, m, password=PASSWORD, lines={line.pk: {"received_quantity_kg": line.quantity_kg} for line in m.lines.all()})


def completed(w):
    m = received(w)
    today = timezone.localdate()
    return services.treat(w.fred, m, password=PASSWORD, lines={line.pk: {"treatment_method": w.incineration, "treated_on": today} for line in m.lines.all()})


def rejected(w):
    return services.receive(w.fred, delivered(w), password=PASSWORD, lines={}, refuse_reason="Thùng rò rỉ")


def cancelled(w):
    return services.cancel(w.alice, ready(w), "Hoãn thu gom")


def pickup_data(m, w, key="key-1", **extra):
    data = {"vehicle": w.truck.pk, "idempotency_key": key, "latitude": "10.800123", "longitude": "106.700456", "accuracy": "12.5"}
    for line in m.lines.all():
        data[f"line_{line.pk}"] = str(line.quantity_kg)
    data.update(extra)
    return data


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture(autouse=True)
def english(client, settings):
    """Messages are checked in English (the msgids); the portal's default language stays Vietnamese."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def tau(chain):
    """A second transporter with its own driver tom: Omega's pickups are none of his business."""
    w = chain
    w.tau = factories.OrganisationFactory(name="Tau vận tải", tax_code="0307777777", is_generator=False, is_transporter=True)
    w.tom = factories.UserFactory(username="tom")
    factories.MembershipFactory(user=w.tom, organisation=w.tau, role=Membership.Role.DRIVER)
    w.tau_truck = factories.VehicleFactory(organisation=w.tau, plate="51D-555.55")
    return w


# --- the list and opening by number ----------------------------------------------------------------------


def test_list_shows_what_to_pick_up_deliver_and_what_was_delivered_today(client, chain):
    w = chain
    to_pick_up, to_deliver, done = ready(w), _picked(w), delivered(w)
    sealed_one = sealed(w)
    client.force_login(w.dan)
    response = client.get(reverse("manifests:driver_list"), **PHONE)
    assert response.status_code == 200
    assert [m.pk for m in response.context["to_pick_up"]] == [to_pick_up.pk, sealed_one.pk]
    assert [m.pk for m in response.context["to_deliver"]] == [to_deliver.pk]
    assert [m.pk for m in response.context["delivered_today"]] == [done.pk]
    html = response.content.decode()
    assert reverse("manifests:pickup", args=[to_pick_up.pk]) in html
    assert reverse("manifests:deliver", args=[to_deliver.pk]) in html
    assert reverse("manifests:driver_find") in html
    assert len(response.content) < 40_000  # a light page for slow networks


def test_list_orders_pickups_by_planned_date(client, chain):
    w = chain
    later = ready(w)
    later.planned_pickup_date = timezone.localdate() + timezone.timedelta(days=3)
    later.save(update_fields=["planned_pickup_date"])
    sooner = ready(w)
    client.force_login(w.dan)
    response = client.get(reverse("manifests:driver_list"))
    assert [m.pk for m in response.context["to_pick_up"]] == [sooner.pk, later.pk]


def test_list_leaves_out_other_transporters_and_drafts(client, tau):
    w = tau
    w.draft()  # a draft is nobody's pickup
    m = ready(w)
    client.force_login(w.tom)
    response = client.get(reverse("manifests:driver_list"))
    assert response.status_code == 200
    assert not response.context["to_pick_up"] and m.number not in response.content.decode()


def test_list_for_someone_who_does_not_transport(client, chain):
    client.force_login(chain.alice)
    response = client.get(reverse("manifests:driver_list"))
    assert response.status_code == 200 and not response.context["is_transporter"]


def test_list_needs_login(client, chain):
    response = client.get(reverse("manifests:driver_list"))
    assert response.status_code == 302 and "login" in response.url


def test_find_by_number_opens_the_pickup_or_the_delivery(client, chain):
    w = chain
    m, moving = ready(w), _picked(w)
    client.force_login(w.dan)
    response = client.get(reverse("manifests:driver_find"), {"number": f"  {m.number.lower()} "})
    assert response.status_code == 302 and response.url == reverse("manifests:pickup", args=[m.pk])
    response = client.get(reverse("manifests:driver_find"), {"number": moving.number})
    assert response.url == reverse("manifests:deliver", args=[moving.pk])


def test_find_says_the_same_for_unknown_and_not_assigned_numbers(client, tau):
    w = tau
    m = ready(w)
    client.force_login(w.tom)
    answers = []
    for number in (m.number, "99-2099-999999"):
        response = client.get(reverse("manifests:driver_find"), {"number": number})
        assert response.status_code == 302 and response.url.startswith(reverse("manifests:driver_list"))
        (text,) = messages_of(response)
        answers.append(text.replace(number, "N"))
        page = client.get(response.url)
        assert page.status_code == 200 and reverse("manifests:pickup", args=[m.pk]) not in page.content.decode()
    assert answers[0] == answers[1]
    assert "not found or is not assigned to your organisation" in answers[0]


def test_find_without_a_number(client, chain):
    client.force_login(chain.dan)
    response = client.get(reverse("manifests:driver_find"))
    assert response.status_code == 302 and response.url == reverse("manifests:driver_list")


# --- permissions -------------------------------------------------------------------------------------------

PERMISSIONS = [
    # user, pickup page, deliver page
    ("dan", 200, 200),  # Omega's driver
    ("fred", 200, 200),  # Omega's member (Omega transports)
    ("tom", 404, 404),  # a driver of another transporter: the manifest does not exist for him
    ("zoe", 404, 404),
    ("nobody", 404, 404),
    ("alice", 403, 403),  # the generator sees the manifest but does not transport it
    ("vera", 403, 403),
    ("hanoi_official", 403, 403),
    ("central_official", 403, 403),
]


@pytest.mark.parametrize(("username", "pickup_status", "deliver_status"), PERMISSIONS)
def test_who_may_open_the_driver_pages(client, tau, username, pickup_status, deliver_status):
    w = tau
    m, moving = ready(w), _picked(w)
    client.force_login(getattr(w, username))
    assert client.get(reverse("manifests:pickup", args=[m.pk])).status_code == pickup_status
    assert client.get(reverse("manifests:deliver", args=[moving.pk])).status_code == deliver_status


@pytest.mark.parametrize(
    ("username", "expected"),
    # Who cannot see the manifest gets 404 (its existence is not disclosed); who sees it without transporting it, 403.
    [("tom", 404), ("zoe", 404), ("alice", 403)],
)
def test_outsiders_cannot_post_a_pickup_or_a_delivery(client, tau, username, expected):
    w = tau
    m, moving = ready(w), _picked(w)
    client.force_login(getattr(w, username))
    response = client.post(reverse("manifests:pickup", args=[m.pk]), pickup_data(m, w))
    assert response.status_code == expected
    response = client.post(reverse("manifests:deliver", args=[moving.pk]), {"idempotency_key": "x"})
    assert response.status_code == expected
    m.refresh_from_db(), moving.refresh_from_db()
    assert m.status == Status.READY and moving.status == Status.IN_TRANSIT


# --- pickup ----------------------------------------------------------------------------------------------


def test_pickup_page_shows_the_manifest_and_a_prefilled_form(client, chain):
    w = chain
    m = ready(w)
    client.force_login(w.dan)
    response = client.get(reverse("manifests:pickup", args=[m.pk]), **PHONE)
    assert response.status_code == 200
    html = response.content.decode()
    assert m.number in html and w.alpha_hn.address in html and w.omega_site.name in html
    assert "17 02 03" in html and "16 01 06" in html
    assert "51C-123.45" in html
    form = response.context["form"]
    line = m.lines.get(position=2)
    assert form[f"line_{line.pk}"].value() == Decimal("40.50")
    assert form["vehicle"].value() == w.truck.pk  # the only vehicle is preselected
    assert len(form["idempotency_key"].value()) == 32
    assert 'name="handover_code"' not in html  # signed ahead by the generator
    assert 'data-geo="latitude"' in html and "js/driver.js" in html


def test_pickup_lists_only_active_vehicles_of_the_transporter(client, tau):
    w = tau
    factories.VehicleFactory(organisation=w.omega, plate="51C-999.99", active=False)
    m = ready(w)
    client.force_login(w.dan)
    form = client.get(reverse("manifests:pickup", args=[m.pk])).context["form"]
    assert list(form.fields["vehicle"].queryset) == [w.truck]


def test_pickup_of_a_signed_manifest(client, chain):
    w = chain
    m = ready(w)
    client.force_login(w.dan)
    response = client.post(reverse("manifests:pickup", args=[m.pk]), pickup_data(m, w), **PHONE)
    assert response.status_code == 302 and response.url == reverse("manifests:driver_list")
    m.refresh_from_db()
    assert m.status == Status.IN_TRANSIT and m.vehicle == w.truck and m.driver == w.dan
    assert m.pickup_latitude == Decimal("10.800123") and m.pickup_accuracy_m == Decimal("12.5")
    event = AuditEvent.objects.get(chain=m.chain, action="picked_up")
    assert event.latitude == Decimal("10.800123") and "Android" in event.user_agent


def test_confirmed_quantities_are_recorded_per_line(client, chain):
    w = chain
    m = ready(w)
    first = m.lines.get(position=1)
    client.force_login(w.dan)
    client.post(reverse("manifests:pickup", args=[m.pk]), pickup_data(m, w, **{f"line_{first.pk}": "97,5"}))
    first.refresh_from_db()
    assert first.pickup_quantity_kg == Decimal("97.50")


def test_a_zero_quantity_is_refused_next_to_its_line(client, chain):
    w = chain
    m = ready(w)
    first = m.lines.get(position=1)
    client.force_login(w.dan)
    response = client.post(reverse("manifests:pickup", args=[m.pk]), pickup_data(m, w, **{f"line_{first.pk}": "0"}))
    assert response.status_code == 200
    assert response.context["form"].errors[f"line_{first.pk}"]
    m.refresh_from_db()
    assert m.status == Status.READY


@pytest.mark.parametrize(
    ("latitude", "longitude", "accuracy"),
    [("abc", "106.7", "10"), ("91", "106.7", "10"), ("10.8", "", "10"), ("", "", ""), ("NaN", "Infinity", "-1")],
)
def test_an_invalid_position_is_ignored_not_an_error(client, chain, latitude, longitude, accuracy):
    w = chain
    m = ready(w)
    client.force_login(w.dan)
    data = pickup_data(m, w, latitude=latitude, longitude=longitude, accuracy=accuracy)
    response = client.post(reverse("manifests:pickup", args=[m.pk]), data)
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == Status.IN_TRANSIT and m.pickup_latitude is None and m.pickup_longitude is None


def test_sealed_manifest_asks_for_the_person_and_their_handover_code(client, chain):
    w = chain
    Membership.objects.filter(user=w.alice, organisation=w.alpha).update(position="Trưởng kho")
    m = sealed(w)
    client.force_login(w.dan)
    html = client.get(reverse("manifests:pickup", args=[m.pk])).content.decode()
    assert 'name="handover_code"' in html and 'name="handover_by"' in html
    # Only the people who hold a code and may hand over at this site are offered, with their position.
    assert f'<option value="{w.alice.pk}">{w.alice.display_name} · Trưởng kho</option>' in html
    assert f'value="{w.vera.pk}"' not in html


def test_wrong_handover_code_is_shown_next_to_the_code_field(client, chain):
    w = chain
    m = sealed(w)
    wrong = "000000" if w.code != "000000" else "111111"
    client.force_login(w.dan)
    response = client.post(reverse("manifests:pickup", args=[m.pk]), pickup_data(m, w, handover_by=w.alice.pk, handover_code=wrong))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["handover_code"] and not form.non_field_errors()
    assert 'id="id_handover_code_error"' in response.content.decode()
    m.refresh_from_db()
    assert m.status == Status.SEALED
    assert not IdempotencyRecord.objects.exists()


def test_missing_handover_person_is_an_error(client, chain):
    w = chain
    m = sealed(w)
    client.force_login(w.dan)
    response = client.post(reverse("manifests:pickup", args=[m.pk]), pickup_data(m, w))
    assert response.status_code == 200 and response.context["form"].errors["handover_by"]


def test_right_handover_code_signs_in_that_persons_name_and_picks_up(client, chain):
    w = chain
    m = sealed(w)
    client.force_login(w.dan)
    response = client.post(reverse("manifests:pickup", args=[m.pk]), pickup_data(m, w, handover_by=w.alice.pk, handover_code=w.code))
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == Status.IN_TRANSIT and m.generator_signature_method == "handover_code" and m.generator_signed_by == w.alice
    assert AuditEvent.objects.get(chain=m.chain, action="signed").actor == w.alice


def test_replayed_pickup_writes_once_and_redirects_like_the_first(client, chain):
    w = chain
    m = sealed(w)
    client.force_login(w.dan)
    data = pickup_data(m, w, key="a3f0c9d1e2", handover_by=w.alice.pk, handover_code=w.code)
    first = client.post(reverse("manifests:pickup", args=[m.pk]), data)
    second = client.post(reverse("manifests:pickup", args=[m.pk]), data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("manifests:driver_list")
    assert AuditEvent.objects.filter(chain=m.chain, action="picked_up").count() == 1
    assert AuditEvent.objects.filter(chain=m.chain, action="signed").count() == 1
    assert any("nothing was saved twice" in text for text in messages_of(second))


def test_a_second_pickup_with_a_new_key_gets_a_clear_message(client, chain):
    w = chain
    m = ready(w)
    client.force_login(w.dan)
    client.post(reverse("manifests:pickup", args=[m.pk]), pickup_data(m, w, key="one"))
    response = client.post(reverse("manifests:pickup", args=[m.pk]), pickup_data(m, w, key="two"))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert AuditEvent.objects.filter(chain=m.chain, action="picked_up").count() == 1


# --- delivery ------------------------------------------------------------------------------------------


def test_deliver_confirms_and_a_replay_writes_nothing(client, chain):
    w = chain
    m = _picked(w)
    client.force_login(w.dan)
    page = client.get(reverse("manifests:deliver", args=[m.pk]), **PHONE)
    assert page.status_code == 200 and m.number in page.content.decode()
    data = {"idempotency_key": "deliver-1", "latitude": "10.8", "longitude": "106.7", "accuracy": "30"}
    first = client.post(reverse("manifests:deliver", args=[m.pk]), data, **PHONE)
    second = client.post(reverse("manifests:deliver", args=[m.pk]), data, **PHONE)
    assert first.status_code == second.status_code == 302 and first.url == second.url
    m.refresh_from_db()
    assert m.status == Status.DELIVERED and m.delivered_at is not None
    events = AuditEvent.objects.filter(chain=m.chain, action="delivered")
    assert events.count() == 1 and events.get().latitude == Decimal("10.8")


def test_delivery_before_pickup_is_refused_with_a_message(client, chain):
    w = chain
    m = ready(w)
    client.force_login(w.dan)
    response = client.post(reverse("manifests:deliver", args=[m.pk]), {"idempotency_key": "early"})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    m.refresh_from_db()
    assert m.status == Status.READY


# --- every status renders ------------------------------------------------------------------------------

BUILDERS = {
    Status.SEALED: sealed,
    Status.READY: ready,
    Status.IN_TRANSIT: _picked,
    Status.DELIVERED: delivered,
    Status.RECEIVED: received,
    Status.COMPLETED: completed,
    Status.REJECTED: rejected,
    Status.CANCELLED: cancelled,
}


@pytest.mark.parametrize("status", list(BUILDERS))
def test_driver_pages_render_at_every_status(client, chain, status):
    w = chain
    m = BUILDERS[status](w)
    assert m.status == status
    client.force_login(w.dan)
    for name in ("manifests:pickup", "manifests:deliver"):
        response = client.get(reverse(name, args=[m.pk]), **PHONE)
        assert response.status_code == 200, name
        assert m.number in response.content.decode()
    response = client.get(reverse("manifests:driver_list"), **PHONE)
    assert response.status_code == 200


def test_driver_does_not_see_a_draft(client, chain):
    w = chain
    m = w.draft()
    client.force_login(w.dan)
    assert client.get(reverse("manifests:pickup", args=[m.pk])).status_code == 404


def test_position_and_offline_messages_are_in_the_page(client, chain):
    w = chain
    m = ready(w)
    client.force_login(w.dan)
    html = client.get(reverse("manifests:pickup", args=[m.pk])).content.decode()
    assert "data-offline-message" in html and "data-msg-offline" in html and "data-geo-status" in html


def test_driver_script_keeps_its_promises():
    from pathlib import Path

    from django.conf import settings

    script = (Path(settings.BASE_DIR) / "static" / "js" / "driver.js").read_text()
    for needle in ("enableHighAccuracy: true", "timeout: 10000", "pageshow", "navigator.onLine", "disabled"):
        assert needle in script
