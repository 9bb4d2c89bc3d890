"""The menu (hwms/menu.py): the entries of each role, the current page marked, the unread badge of the user and the
labels in the page's language — whatever the per-process caches of its entries and HTML hold from other users."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from hwms.menu import menu_for, menu_html
from manifests.models import Notification

ENTRIES = {
    "alice": ["home", "manifests", "statistics", "organisations", "sites", "maps", "notifications", "annual_reports", "profile"],
    "vera": ["home", "manifests", "statistics", "organisations", "sites", "maps", "notifications", "annual_reports", "profile"],
    "fred": ["home", "pickups", "incoming", "manifests", "statistics", "organisations", "sites", "maps", "notifications", "annual_reports", "profile"],
    "dan": ["home", "pickups", "manifests", "organisations", "sites", "maps", "notifications", "profile"],
    "central_official": [
        "home", "manifests", "discrepancies", "rejections", "overdue", "statistics", "statistics_reports", "organisations", "sites",
        "maps", "notifications", "annual_register", "profile",
    ],
    "admin": [
        "home", "manifests", "discrepancies", "rejections", "overdue", "statistics", "statistics_reports", "organisations", "sites",
        "maps", "notifications", "annual_register", "admin", "profile",
    ],
    "nobody": ["home", "profile"],
}  # fmt: skip


def menu_links(html):
    return re.findall(r'<a href="([^"]+)"( aria-current="page")?>', html)


@pytest.mark.parametrize("persona", sorted(ENTRIES))
def test_each_role_sees_its_entries(world, persona):
    assert [item.name for item in menu_for(getattr(world, persona))] == ENTRIES[persona]


def test_the_current_page_is_marked_and_only_it(world):
    items = menu_for(world.alice)
    for current in (reverse("manifests:list"), reverse("home"), "/nowhere/"):
        marked = [url for url, mark in menu_links(menu_html(items, current)) if mark]
        assert marked == ([current] if current != "/nowhere/" else [])
    # An entry whose URL another one starts with is not marked by it.
    assert [url for url, mark in menu_links(menu_html(items, reverse("home"))) if mark] == [reverse("home")]


def test_each_user_sees_their_own_badge_in_their_language(client, chain):
    world = chain
    Notification.objects.create(user=world.alice, organisation=world.alpha, manifest=world.draft(), kind=Notification.Kind.READY)
    pages = {}
    for user in (world.alice, world.vera, world.alice):
        client.force_login(user)
        pages[user.username] = client.get(reverse("home")).content.decode()
    assert 'class="badge badge-warn" aria-label="1' in pages["alice"]
    assert "badge-warn" not in pages["vera"].split('<ul class="menu">', 1)[1].split("</ul>", 1)[0]
    with translation.override("vi"):
        vietnamese = menu_html(menu_for(world.alice), "/")
    with translation.override("en"):
        english = menu_html(menu_for(world.alice), "/")
    assert ">Trang chủ<" in vietnamese and ">Home<" in english
