import pytest
from django.urls import reverse

from tests.factories import PASSWORD


def login(client, username, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_login_page_is_vietnamese_by_default(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert '<html lang="vi">' in response.content.decode()
    assert "Đăng nhập" in response.content.decode()


@pytest.mark.django_db
def test_login_lands_on_home_and_logout_is_a_post(client, world):
    response = login(client, "alice")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get("/")
    assert "Alpha" in home.content.decode()
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_wrong_password_shows_a_vietnamese_error(client, world):
    response = login(client, "alice", "wrong")
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.content.decode()


@pytest.mark.django_db
def test_repeated_failures_lock_the_account_even_with_the_right_password(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "alice", "wrong")
    response = login(client, "alice")
    assert response.status_code == 429
    assert "Tạm khóa đăng nhập" in response.content.decode()
    assert client.get("/").status_code == 302  # still logged out


@pytest.mark.django_db
def test_failures_below_the_limit_do_not_lock(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "alice", "wrong")
    assert login(client, "alice").status_code == 302


@pytest.mark.django_db
def test_language_switch_to_english_and_back(client, world):
    client.force_login(world.alice)
    assert "Trang chủ" in client.get("/").content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "Home" in page and "Trang chủ" not in page
    client.post(reverse("set_language"), {"language": "vi", "next": "/"})
    assert "Trang chủ" in client.get("/").content.decode()


@pytest.mark.django_db
def test_password_change_requires_the_old_password(client, world):
    client.force_login(world.alice)
    url = reverse("accounts:password_change")
    bad = client.post(url, {"old_password": "nope", "new_password1": "Mat-khau-moi-2026", "new_password2": "Mat-khau-moi-2026"})
    assert bad.status_code == 200 and "has-error" in bad.content.decode()
    good = client.post(url, {"old_password": PASSWORD, "new_password1": "Mat-khau-moi-2026", "new_password2": "Mat-khau-moi-2026"})
    assert good.status_code == 302
    world.alice.refresh_from_db()
    assert world.alice.check_password("Mat-khau-moi-2026")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona, expected, absent",
    [
        ("alice", ["Alpha", "Thêm thành viên"], ["Quản trị hệ thống"]),
        ("hanoi_official", ["Thành phố Hà Nội"], ["Thêm thành viên"]),
        ("central_official", ["toàn quốc"], ["Thêm thành viên"]),
        ("admin", ["Quản trị hệ thống"], []),
        ("nobody", ["chưa thuộc tổ chức nào"], ["Tổ chức</a>"]),
    ],
)
def test_home_page_fits_the_role(client, world, persona, expected, absent):
    client.force_login(getattr(world, persona))
    page = client.get("/").content.decode()
    for text in expected:
        assert text in page
    for text in absent:
        assert text not in page


@pytest.mark.django_db
def test_a_driver_lands_on_the_pickups_not_on_figures(client, world):
    """After login and on the home page: the list of pickups and deliveries (issue 8)."""
    response = login(client, "dan")
    landing = client.get(response["Location"])
    assert landing.status_code == 302 and landing["Location"] == reverse("manifests:driver_list")
    page = client.get(landing["Location"]).content.decode()
    assert "<h1>Thu gom và giao chất thải</h1>" in page
    # Someone who also does other work keeps the home page.
    from accounts.models import Membership
    from tests import factories

    factories.MembershipFactory(user=world.dan, organisation=world.alpha, role=Membership.Role.MEMBER)
    assert client.get("/").status_code == 200


def test_production_settings_pass_the_deploy_checks_and_require_a_secret_key_a_site_url_and_a_mail_host(tmp_path):
    """DEBUG off: a real SECRET_KEY, the public SITE_URL and an EMAIL_HOST are required; `check --deploy` is clean."""
    import os
    import subprocess
    import sys

    dropped = ("DEBUG", "HWMS_TESTING", "SECRET_KEY", "SITE_URL", "EMAIL_HOST", "EMAIL_BACKEND", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["SQLITE_PATH"] = str(tmp_path / "db.sqlite3")
    env["HWMS_AUDIT_KEY"] = "a-production-audit-key-of-40-characters!!"
    from django.conf import settings

    run = dict(env=env, capture_output=True, text=True, cwd=settings.BASE_DIR)
    missing = subprocess.run([sys.executable, "manage.py", "check"], **run)
    assert missing.returncode != 0 and "SECRET_KEY" in missing.stderr
    env.update(SECRET_KEY="x" * 20 + "production-secret-key-0123456789", ALLOWED_HOSTS="hwms.example.vn")
    # QR codes and e-mail links would point at localhost.
    no_site_url = subprocess.run([sys.executable, "manage.py", "check"], **run)
    assert no_site_url.returncode != 0 and "SITE_URL" in no_site_url.stderr
    env["SITE_URL"] = "https://hwms.example.vn"
    # Notifications would go to a console while being recorded as e-mailed.
    no_mail_host = subprocess.run([sys.executable, "manage.py", "check"], **run)
    assert no_mail_host.returncode != 0 and "EMAIL_HOST" in no_mail_host.stderr
    env["EMAIL_HOST"] = "smtp.example.vn"
    deploy = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], **run)
    assert deploy.returncode == 0, deploy.stderr


def test_make_run_points_qr_codes_and_links_at_the_port_it_serves():
    import shutil
    import subprocess

    from django.conf import settings

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry_run = subprocess.run(["make", "-n", "run", "PORT=8101"], cwd=settings.BASE_DIR, capture_output=True, text=True)
    assert dry_run.returncode == 0, dry_run.stderr
    commands = [line for line in dry_run.stdout.splitlines() if "manage.py" in line]
    assert commands and all("SITE_URL=http://127.0.0.1:8101" in line for line in commands)
    assert any("runserver 127.0.0.1:8101" in line for line in commands)


@pytest.mark.django_db
def test_the_user_comes_with_their_jurisdiction_in_one_query(client, world):
    """The access policy reads the jurisdiction on every request: it is loaded with the user."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.hanoi_official)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith('SELECT "accounts_jurisdiction"')]
    assert any("accounts_jurisdiction" in q["sql"] and "accounts_user" in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db
def test_spraying_many_usernames_from_one_address_locks_that_address(client, world, settings):
    """Finding 9: one wrong password for each of many usernames never reaches the per-account limit, but the
    address is locked after HWMS_LOGIN_ADDRESS_FAILURE_LIMIT failures; other addresses still log in."""
    settings.HWMS_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the new message is matched by its msgid
    for number in range(settings.HWMS_LOGIN_ADDRESS_FAILURE_LIMIT - 1):
        assert login(client, f"guess{number}", "wrong").status_code == 200
    assert login(client, "guess-last", "wrong").status_code == 429  # the failure that reaches the limit
    response = login(client, "alice")  # the right password, from the same address
    assert response.status_code == 429
    page = response.content.decode()
    assert "Login temporarily locked" in page and "from your network address" in page
    assert client.get("/").status_code == 302  # still logged out
    other = client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302 and other["Location"] == reverse("home")


@pytest.mark.django_db
def test_failures_across_usernames_below_the_address_limit_do_not_lock(client, world, settings):
    settings.HWMS_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    for number in range(settings.HWMS_LOGIN_ADDRESS_FAILURE_LIMIT - 1):
        login(client, f"guess{number}", "wrong")
    assert login(client, "alice").status_code == 302
