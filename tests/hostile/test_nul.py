"""A NUL character in any input answers 400 with a page that says so, and saves nothing (common.middleware): on
PostgreSQL it reached the filters of the list pages and answered 500 (ValueError from psycopg)."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages matched in English
    return client

PAGES = [
    ("accounts:site_list", {"q": "a\x00b"}),
    ("accounts:organisation_list", {"q": "\x00"}),
    ("manifests:waste_code_search", {"q": "d\x00u"}),
    ("manifests:driver_find", {"number": "\x00"}),
    ("accounts:site_list", {"q\x00": "x"}),
]


@pytest.mark.parametrize(("name", "query"), PAGES)
def test_a_nul_in_a_query_string_answers_400(chain, client, name, query):
    client.force_login(chain.alice)
    response = client.get(reverse(name), query)
    assert response.status_code == 400
    assert "null character" in response.content.decode()


def test_a_nul_in_a_form_answers_400_and_saves_nothing(chain, client):
    w = chain
    client.force_login(w.alice)
    url = reverse("accounts:site_edit", args=[w.alpha_hn.pk])
    response = client.post(url, {"name": "Nhà máy\x00", "address": "Số 1", "ward": w.hanoi_ward.code, "province": w.hanoi.code})
    assert response.status_code == 400
    assert "null character" in response.content.decode()
    assert Site.objects.get(pk=w.alpha_hn.pk).name == "Alpha Hà Nội"


def test_text_without_nul_goes_through(chain, client):
    client.force_login(chain.alice)
    assert client.get(reverse("accounts:site_list"), {"q": "Alpha ‮ 😀"}).status_code == 200
