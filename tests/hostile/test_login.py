"""A username longer than any account's is refused by the sign-in form, next to the field: it reached
authenticate() and django-axes' record of the failure (255 characters), a 500 on PostgreSQL."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_username_too_long_is_refused_by_the_form(client):
    response = client.post(reverse("accounts:login"), {"username": "x" * 300, "password": "whatever"})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["username"]
    assert not AccessAttempt.objects.exists()


def test_a_wrong_password_is_still_counted(world, client):
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert AccessAttempt.objects.filter(username="alice").count() == 1
