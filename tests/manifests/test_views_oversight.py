"""Officials' lists (discrepancies, rejections, overdue) and the notifications page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from manifests import services
from manifests.models import Manifest, Notification
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def delivered(w, site=None):
    m = services.sign(w.alice, w.draft(site=site), PASSWORD)
    m = services.pickup(w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in m.lines.all()})
    return services.deliver(w.dan, m)


def receive(w, m, first=None):
    lines = list(m.lines.order_by("position"))
    data = {line.pk: {"received_quantity_kg": line.quantity_kg} for line in lines}
    if first:
        data[lines[0].pk] = first
    return services.receive(w.fred, m, password=PASSWORD, lines=data)


@pytest.fixture
def lists(chain):
    """One manifest for each list, plus one in none of them."""
    w = chain
    w.with_discrepancy = receive(w, delivered(w), {"received_quantity_kg": Decimal(80), "comment": "Thiếu 20 kg"})
    w.hcm_discrepancy = receive(w, delivered(w, site=w.alpha_hcm), {"received_quantity_kg": Decimal(70), "comment": "Thiếu"})
    w.refused = services.receive(w.fred, delivered(w), password=PASSWORD, lines={}, refuse_reason="Thùng rò rỉ")
    w.line_rejected = receive(w, delivered(w), {"rejected": True, "rejection_reason": "Sai mã"})
    m = services.sign(w.alice, w.draft(), PASSWORD)
    w.overdue = services.pickup(w.dan, m, vehicle=w.truck, quantities={line.pk: line.quantity_kg for line in m.lines.all()})
    Manifest.objects.filter(pk=w.overdue.pk).update(picked_up_at=timezone.now() - timedelta(days=400))
    assert services.flag_overdue() == 1
    w.plain = services.sign(w.alice, w.draft(), PASSWORD)
    return w


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def numbers(client, user, kind):
    client.force_login(user)
    response = client.get(reverse("manifests:oversight", args=[kind]))
    assert response.status_code == 200
    return {m.number for m in response.context["page"].items}


def test_the_central_official_sees_every_list(client, lists):
    w = lists
    assert numbers(client, w.central_official, "discrepancies") == {w.with_discrepancy.number, w.hcm_discrepancy.number}
    assert numbers(client, w.central_official, "rejections") == {w.refused.number, w.line_rejected.number}
    assert numbers(client, w.central_official, "overdue") == {w.overdue.number}


def test_a_provincial_official_sees_the_province(client, lists):
    w = lists
    # The HCM site's manifest goes to an HCM facility: not Hà Nội's business.
    assert numbers(client, w.hanoi_official, "discrepancies") == {w.with_discrepancy.number}
    assert numbers(client, w.hanoi_official, "rejections") == {w.refused.number, w.line_rejected.number}


def test_parties_see_their_own_and_outsiders_nothing(client, lists):
    w = lists
    assert numbers(client, w.bob, "discrepancies") == {w.with_discrepancy.number}
    assert numbers(client, w.fred, "overdue") == {w.overdue.number}
    assert numbers(client, w.zoe, "discrepancies") == set()
    assert numbers(client, w.nobody, "rejections") == set()


def test_the_page_shows_counts_and_badges(client, lists):
    w = lists
    client.force_login(w.central_official)
    response = client.get(reverse("manifests:oversight", args=["overdue"]))
    assert {name: count for name, _label, count in response.context["tabs"]} == {"discrepancies": 2, "rejections": 2, "overdue": 1}
    body = response.content.decode()
    assert "overdue" in body and w.overdue.number in body and reverse("manifests:detail", args=[w.overdue.pk]) in body


def test_an_unknown_list_is_not_found(client, chain):
    client.force_login(chain.central_official)
    assert client.get(reverse("manifests:oversight", args=["everything"])).status_code == 404


def test_the_lists_need_a_login(client, chain):
    response = client.get(reverse("manifests:oversight", args=["overdue"]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_lists_paginate(client, chain):
    w = chain
    for _ in range(27):
        services.receive(w.fred, delivered(w), password=PASSWORD, lines={}, refuse_reason="Thùng rò rỉ")
    client.force_login(w.central_official)
    first = client.get(reverse("manifests:oversight", args=["rejections"]))
    assert dict((name, count) for name, _label, count in first.context["tabs"])["rejections"] == 27
    page = client.get(reverse("manifests:oversight", args=["rejections"]), {"after": first.context["page"].next_cursor}).context["page"]
    assert len(first.context["page"].items) == 25 and len(page.items) == 2 and page.next_cursor is None


# --- notifications ---------------------------------------------------------------------------------------


def test_notifications_are_listed_and_marked_read(client, lists):
    w = lists
    client.force_login(w.alice)
    response = client.get(reverse("manifests:notifications"))
    mine = Notification.objects.filter(user=w.alice)
    assert response.status_code == 200 and response.context["unread"] == mine.count() > 0
    body = response.content.decode()
    assert "Received with a discrepancy" in body and "Picked up" in body
    assert reverse("manifests:detail", args=[w.with_discrepancy.pk]) in body
    assert "Mark all as read" in body
    assert client.get(reverse("manifests:notifications_read")).status_code == 405
    response = client.post(reverse("manifests:notifications_read"))
    assert response["Location"] == reverse("manifests:notifications")
    assert not mine.filter(read_at__isnull=True).exists()
    # Others' notifications are untouched and never listed.
    assert Notification.objects.filter(user=w.fred, read_at__isnull=True).exists()
    body = client.get(reverse("manifests:notifications")).content.decode()
    assert "Mark all as read" not in body and "unread" not in body


def test_a_user_sees_only_their_notifications(client, lists):
    client.force_login(lists.zoe)
    response = client.get(reverse("manifests:notifications"))
    assert response.status_code == 200 and not response.context["page"].items
    assert "No notification." in response.content.decode()
