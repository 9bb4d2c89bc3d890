import pytest
from django.test import Client
from hypothesis import HealthCheck, settings

from tests.security import world as security_world

# Few examples, no deadline (a request takes what the machine gives it), the same examples on every run (no
# flaky failures in CI), no example database written into the repository.
settings.register_profile(
    "hwms",
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("hwms")


@pytest.fixture
def hostile_world(chain, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return security_world.build(chain)


@pytest.fixture
def client_of(hostile_world):
    """A client signed in as an actor of the security world ("anon": nobody)."""

    def make(actor):
        client = Client()
        user = hostile_world.users[actor]
        if user is not None:
            client.force_login(user)
        return client

    return make
