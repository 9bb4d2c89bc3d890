"""Two-factor sign-in, session limits and the security audit records, through the real login page.

Every other test signs in with `client.force_login`, which tests/conftest.py turns into "signed in as a verified
user"; these tests sign in with the password and see what the second step enforces.
"""

import time

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.audit import verify_chains
from accounts.middleware import SEEN_SESSION_KEY, STARTED_SESSION_KEY
from accounts.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client, settings):
    # Matched in English (the msgids) whatever the Vietnamese catalog holds.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

TWO_FACTOR = "/account/two-factor/"
SETUP = "/account/two-factor/setup/"


def password_login(client, user, next_url=None, ip="10.1.1.1"):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("accounts:login"), data, REMOTE_ADDR=ip)


def send_code(client, code, next_url="/", ip="10.1.1.1"):
    return client.post(TWO_FACTOR, {"code": code, "next": next_url}, REMOTE_ADDR=ip)


def actions(user):
    return list(AuditEvent.objects.filter(chain=f"user:{user.pk}").order_by("seq").values_list("action", flat=True))


def plain_paths():
    """Every URL of the portal that takes no argument (admin pages included), and a few that take one."""
    paths = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern) and "<" not in route and not route.startswith("^"):
                paths.append("/" + prefix + route)

    walk(get_resolver().url_patterns)
    return sorted(set(paths))


STEP_PAGES = {"/login/", "/logout/", TWO_FACTOR, SETUP, "/i18n/setlang/"}


@pytest.mark.parametrize("who", ["hanoi_official", "central_official", "admin"])
def test_an_official_or_administrator_with_the_password_only_reaches_no_page(client, world, who):
    user = getattr(world, who)
    response = password_login(client, user)
    assert response.status_code == 302 and response.url.startswith(TWO_FACTOR)
    paths = [p for p in plain_paths() if p not in STEP_PAGES] + [
        f"/organisations/{world.alpha.pk}/",
        f"/admin/accounts/user/{user.pk}/change/",
    ]
    assert "/admin/" in paths and "/manifests/export/" in paths and len(paths) > 30
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith(f"{TWO_FACTOR}?next="), path
    # An htmx request is sent there as a whole page.
    response = client.get("/sites/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"].startswith(TWO_FACTOR)
    # The step's own page shows no menu (nothing else opens yet); the log-out button stays.
    step = client.get(SETUP).content.decode()
    assert 'class="nav-wide"' not in step and 'action="/logout/"' in step
    # Without an authenticator, the second step is the enrolment.
    assert client.get(TWO_FACTOR + "?next=/admin/").url == SETUP + "?next=%2Fadmin%2F"
    assert client.post("/sites/").status_code == 302


def test_enrolment_then_sign_in_with_the_app(client, world):
    official = world.hanoi_official
    password_login(client, official, next_url="/sites/")
    page = client.get(SETUP + "?next=/sites/")
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=official, confirmed=False)
    assert "<svg" in html and two_factor.secret(device) in html
    wrong = client.post(SETUP, {"code": "000000", "next": "/sites/"})
    assert wrong.status_code == 200 and not TOTPDevice.objects.filter(user=official, confirmed=True).exists()
    device.throttle_reset()
    confirmed = client.post(SETUP, {"code": two_factor.current_code(device), "next": "/sites/"})
    assert confirmed.url == "/account/two-factor/recovery-codes/?next=%2Fsites%2F"
    codes_page = client.get(confirmed.url).content.decode()
    codes = list(StaticToken.objects.filter(device__user=official).values_list("token", flat=True))
    assert len(codes) == 10 and all(code in codes_page for code in codes)
    # Shown once.
    assert not any(code in client.get(confirmed.url).content.decode() for code in codes)
    sites = client.get("/sites/")
    assert sites.status_code == 200 and 'class="nav-wide"' in sites.content.decode()
    # The next sign-in asks for the code from the app.
    client.post(reverse("accounts:logout"))
    assert password_login(client, official).url.startswith(TWO_FACTOR)
    assert client.get("/sites/").status_code == 302
    device.refresh_from_db()
    assert send_code(client, two_factor.current_code(device), "/sites/").url == "/sites/"
    assert client.get("/sites/").status_code == 200
    assert actions(official) == [
        "login", "two_factor.enrolled", "logout", "login", "two_factor.verified"
    ]  # fmt: skip
    assert verify_chains()[1] is None


def test_a_recovery_code_works_once(client, world, settings):
    official = world.central_official
    two_factor.give_authenticator(official)
    codes = two_factor.new_recovery_codes(official)
    password_login(client, official)
    response = send_code(client, codes[0].upper()[:4] + "-" + codes[0][4:], "/")
    assert response.url == "/"
    assert two_factor.remaining_recovery_codes(official) == 9
    client.post(reverse("accounts:logout"))
    password_login(client, official)
    again = send_code(client, codes[0])
    assert again.status_code == 200 and "This code is not right" in again.content.decode()
    assert client.get("/").status_code == 302


def test_wrong_codes_back_off_then_lock_the_account_like_wrong_passwords(client, world, settings):
    official = world.hanoi_official
    device = two_factor.give_authenticator(official)
    settings.OTP_TOTP_THROTTLE_FACTOR = 600  # the wait after one wrong code outlasts the test
    password_login(client, official)
    assert send_code(client, "123456").status_code == 200
    throttled = send_code(client, two_factor.current_code(device))
    assert throttled.status_code == 200 and "Too many wrong codes" in throttled.content.decode()
    assert client.get("/").status_code == 302
    # A new password login does not reset the device's back-off.
    client.post(reverse("accounts:logout"))
    password_login(client, official)
    assert "Too many wrong codes" in send_code(client, two_factor.current_code(device)).content.decode()

    # Wrong codes count with django-axes: after the limit the session ends and the password is refused too.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert send_code(client, "654321").status_code == 200
    locked = send_code(client, "654321")
    assert locked.status_code == 429 and "Too many wrong codes" in locked.content.decode()
    assert client.get("/").url.startswith("/login/")
    assert password_login(client, official).status_code == 429
    assert password_login(client, official, ip="10.9.9.9").url.startswith(TWO_FACTOR)  # another address
    # Refused while backing off: not a guess, not counted.
    assert actions(official).count("two_factor.failed") == 1 + settings.AXES_FAILURE_LIMIT


def test_an_enterprise_user_may_turn_it_on_and_off(client, world):
    alice = world.alice
    assert password_login(client, alice).url == "/"
    assert "Turn on two-factor sign-in" in client.get("/account/").content.decode()
    device = two_factor.pending_authenticator(alice)
    client.get(SETUP)
    client.post(SETUP, {"code": two_factor.current_code(device)})
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).count() == 1
    client.post(reverse("accounts:logout"))
    # Now asked for on every sign-in.
    assert password_login(client, alice).url.startswith(TWO_FACTOR)
    assert client.get("/manifests/").status_code == 302
    device.refresh_from_db()
    send_code(client, two_factor.current_code(device))
    # Turning it off needs the password and a current code.
    refused = client.post("/account/two-factor/disable/", {"password": "wrong", "code": "123456"})
    assert refused.status_code == 200 and TOTPDevice.objects.filter(user=alice).exists()
    codes = two_factor.new_recovery_codes(alice)
    assert client.post("/account/two-factor/disable/", {"password": PASSWORD, "code": codes[0]}).url == "/account/"
    assert not TOTPDevice.objects.filter(user=alice).exists()
    client.post(reverse("accounts:logout"))
    assert password_login(client, alice).url == "/"
    assert actions(alice) == [
        "login", "two_factor.enrolled", "logout", "login", "two_factor.verified", "two_factor.removed", "logout", "login"
    ]  # fmt: skip


def test_officials_cannot_turn_it_off(client, world):
    official = world.hanoi_official
    client.force_login(official)
    codes = two_factor.new_recovery_codes(official)
    assert client.get("/account/two-factor/disable/").status_code == 403
    assert client.post("/account/two-factor/disable/", {"password": PASSWORD, "code": codes[0]}).status_code == 403
    assert TOTPDevice.objects.filter(user=official, confirmed=True).exists()
    assert "Turn off" not in client.get("/account/").content.decode()


def test_new_recovery_codes_replace_the_old_ones(client, world):
    official = world.hanoi_official
    client.force_login(official)
    device = two_factor.authenticator(official)
    old = two_factor.new_recovery_codes(official)
    response = client.post("/account/two-factor/recovery-codes/", {"password": PASSWORD, "code": two_factor.current_code(device)})
    assert response.url == "/account/two-factor/recovery-codes/"
    new = list(StaticToken.objects.filter(device__user=official).values_list("token", flat=True))
    assert len(new) == 10 and not set(old) & set(new)
    shown = client.get(response.url).content.decode()
    assert all(code in shown for code in new)
    assert "two_factor.recovery_codes_regenerated" in actions(official)


def test_the_administration_sends_to_the_portal_login(client, world):
    response = client.get("/admin/")
    assert response.url == "/admin/login/?next=/admin/"
    assert client.get(response.url).url == "/login/?next=/admin/"
    client.force_login(world.alice)
    assert client.get("/admin/login/?next=/admin/").status_code == 403


@pytest.mark.parametrize(("key", "age", "message"), [
    (SEEN_SESSION_KEY, 31 * 60, "minutes without activity"),
    (STARTED_SESSION_KEY, 13 * 3600, "hours after signing in"),
])  # fmt: skip
def test_a_session_expires_after_idle_time_and_after_its_lifetime(client, world, key, age, message):
    client.force_login(world.dan)
    assert client.get("/manifests/driver/").status_code == 200
    session = client.session
    session[key] = int(time.time()) - age
    session.save()
    response = client.get("/manifests/driver/")
    assert response.status_code == 302 and response.url == "/login/?next=/manifests/driver/"
    assert message in client.get(response.url).content.decode()
    assert client.get("/manifests/driver/").status_code == 302
    assert actions(world.dan) == ["session.expired"]


def test_an_active_session_stays(client, world):
    client.force_login(world.alice)
    session = client.session
    session[SEEN_SESSION_KEY] = int(time.time()) - 29 * 60
    session.save()
    assert client.get("/").status_code == 200
    assert client.session[SEEN_SESSION_KEY] > int(time.time()) - 60


def test_failed_logins_refusals_and_downloads_are_recorded_once(client, world):
    client.post(reverse("accounts:login"), {"username": "alice", "password": "wrong"})
    client.post(reverse("accounts:login"), {"username": "ghost", "password": "wrong"})
    failed = AuditEvent.objects.filter(action="login.failed")
    assert {(e.chain, e.data["username"]) for e in failed} == {(f"user:{world.alice.pk}", "alice"), ("login:unknown-user", "ghost")}
    client.force_login(world.alice)
    assert client.get(f"/organisations/{world.zeta.pk}/").status_code == 404
    assert client.get(f"/organisations/{world.alpha.pk}/members/add/").status_code == 200
    client.force_login(world.vera)
    assert client.get(f"/organisations/{world.alpha.pk}/members/add/").status_code == 403
    export = client.get("/manifests/export/?format=csv")
    assert export.status_code == 200
    refused = AuditEvent.objects.filter(action="access.refused").order_by("pk")
    assert [(e.actor, e.data["status"], e.data["path"]) for e in refused] == [
        (world.alice, 404, f"/organisations/{world.zeta.pk}/"),
        (world.vera, 403, f"/organisations/{world.alpha.pk}/members/add/"),
    ]
    download = AuditEvent.objects.get(action="download")
    assert download.actor == world.vera and download.data["file"].startswith("hwms-manifests-")
    # Not for a page that merely does not exist.
    client.get("/no-such-page/")
    assert AuditEvent.objects.filter(action="access.refused").count() == 2
    assert verify_chains()[1] is None


@pytest.mark.parametrize("drift", [-1, 0, 1])
def test_the_next_code_after_one_used_is_accepted_whatever_the_drift(world, drift):
    """A code accepted from a neighbouring time step moves the device's drift (django-otp); the code the helper
    gives after it must be the next step's, not one already used (a browser test signing in twice failed when
    its first sign-in crossed a 30-second boundary)."""
    device = two_factor.give_authenticator(world.central_official)
    now = time.time()
    device.drift = drift
    device.last_t = int((now - device.t0) // device.step) + drift  # this step's code was just used
    device.save()
    code = two_factor.current_code(device, at=now)
    assert device.verify_token(code)
    assert device.last_t == int((now - device.t0) // device.step) + drift + 1
