"""Playwright + Debian's Chromium (never `playwright install`: downloads are blocked on these machines)."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("HWMS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# live_server + Playwright's sync API run in the same thread as an event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--lang=vi",
        ],
    }


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def log_in(page, live_server, username, password=None, expect=None):
    """Sign in through the real pages: the password, then — for officials, administrators and users with an
    authenticator — the second step, with the code an authenticator app would show (computed from the device's
    key; an official without one is given one first, as if enrolled earlier). Waits for `expect` (a URL or a
    pattern; by default the home page)."""
    from accounts import two_factor
    from accounts.models import User
    from tests.factories import PASSWORD

    user = User.objects.get(username=username)
    device = two_factor.give_authenticator(user) if two_factor.requires_two_factor(user) else two_factor.authenticator(user)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password or PASSWORD)
    # "main": the top bar also has submit buttons (language switch).
    page.click("main button[type=submit]")
    if device is not None:
        page.wait_for_url(f"{live_server.url}/account/two-factor/**")
        device.refresh_from_db()
        page.fill("#id_code", two_factor.current_code(device))
        page.click("main button[type=submit]")
    page.wait_for_url(expect or f"{live_server.url}/")
