import pytest
from django.test import Client

from accounts import two_factor
from accounts.models import Membership

from . import factories


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_audit_truncate_trigger():
    """On PostgreSQL a trigger refuses TRUNCATE of the audit tables (accounts migration 0005), and Django empties the
    database after each transactional test with one TRUNCATE of every table. The test database's owner (the user
    the tests connect as) switches that trigger off for the flush only, inside its transaction (PostgreSQL's DDL is
    transactional: the trigger is never left off). The trigger itself has no way around it for anyone: the
    application's role does not own the tables and cannot do this (tests/accounts/test_audit_database_roles.py)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        audit = [table for table in ("accounts_auditevent", "accounts_audithead") if table in tables]
        if not statements or not audit:
            return statements
        return [
            *(f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_truncate;" for table in audit),
            *statements,
            *(f"ALTER TABLE {table} ENABLE TRIGGER {table}_no_truncate;" for table in audit),
        ]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # MD5 hashing keeps user creation fast in tests; production keeps Django's default.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


_FORCE_LOGIN = Client.force_login


def sign_in_verified(client, user, backend=None):
    """Sign `user` in on the test client as a fully verified user: the password step and, for officials,
    administrators and users with an authenticator, the second factor passed with a real device of theirs
    (created when missing). What every test that is not about signing in wants."""
    _FORCE_LOGIN(client, user, backend)
    if two_factor.requires_two_factor(user) or two_factor.has_device(user):
        session = client.session
        session[two_factor.DEVICE_ID_SESSION_KEY] = two_factor.give_authenticator(user).persistent_id
        session.save()


@pytest.fixture(autouse=True)
def _force_login_signs_in_as_a_verified_user(monkeypatch):
    """`client.force_login(user)` (and pytest-django's admin_client) signs in as a verified user: see
    sign_in_verified. Tests of the sign-in itself go through the login page (tests/accounts/test_two_factor.py)."""
    monkeypatch.setattr(Client, "force_login", sign_in_verified)


@pytest.fixture(autouse=True)
def _celery_may_join():
    """Celery's "inside a task, do not wait for a result" flag is one global, set and restored around each eager
    task: eager tasks run by transitions in several threads at once (tests/manifests/test_concurrency.py) can leave
    it set, and a later test that waits for a real worker's result would then be refused. Each test starts clear."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    # Tasks run in-process in tests, even when REDIS_URL is set (CI); tests/test_worker.py turns this off
    # to have a real worker run them.
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Each test reads and writes its own keys (a prefix of its own): the database rolls back after a test, the
    cache does not, and figures cached under version counters that restart with the database (stats.rollups)
    would otherwise be found by the next test. Redis is shared with the broker here: never flushed."""
    import uuid

    settings.CACHES = {alias: {**config, "KEY_PREFIX": uuid.uuid4().hex[:12]} for alias, config in settings.CACHES.items()}


@pytest.fixture(autouse=True)
def _no_cached_province_choices():
    # The database rolls back after each test, the cache does not (a local-memory cache lives as long as the
    # process, Redis longer): no test sees the provinces another one cached (gis.choices).
    from django.core.cache import cache

    from gis.choices import CACHE_KEY

    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)


@pytest.fixture
def in_english():
    """Messages matched in English (the msgids) whatever the Vietnamese catalog holds."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def hanoi(db):
    return factories.ProvinceFactory(code=1, name="Thành phố Hà Nội", codename="ha_noi", division_type="thành phố trung ương")


@pytest.fixture
def hcm(db):
    return factories.ProvinceFactory(code=79, name="Thành phố Hồ Chí Minh", codename="ho_chi_minh", division_type="thành phố trung ương")


class World:
    """Named personas (STYLE.md: healthchecks' alice/bob, zulip's hamlet) over two provinces.

    - generator org "Alpha" with a Hà Nội site and an HCM site; alice is its admin, bob a member limited to
      the Hà Nội site, vera a viewer;
    - facility org "Omega" in HCM; fred is its staff; dan drives for it;
    - outsider org "Zeta" in HCM with its admin zoe;
    - hanoi_official (province Hà Nội), central_official (whole country), admin (is_staff).
    """


@pytest.fixture
def world(db, hanoi, hcm):
    w = World()
    w.hanoi, w.hcm = hanoi, hcm
    w.hanoi_ward = factories.WardFactory(code=70, name="Phường Hoàn Kiếm", province=hanoi)
    w.hcm_ward = factories.WardFactory(code=26734, name="Phường Sài Gòn", province=hcm)
    w.alpha = factories.OrganisationFactory(name="Alpha", tax_code="0101234567")
    w.alpha_hn = factories.SiteFactory(organisation=w.alpha, name="Alpha Hà Nội", ward=w.hanoi_ward)
    w.alpha_hcm = factories.SiteFactory(
        organisation=w.alpha, name="Alpha HCM", ward=w.hcm_ward, latitude="10.776889", longitude="106.700806"
    )
    w.omega = factories.OrganisationFactory(
        name="Omega", tax_code="0301234567", is_generator=False, is_transporter=True, is_facility=True
    )
    w.omega_site = factories.SiteFactory(
        organisation=w.omega, name="Omega xử lý", ward=w.hcm_ward, latitude="10.8", longitude="106.7"
    )
    w.zeta = factories.OrganisationFactory(name="Zeta", tax_code="0309999999-001")
    w.zeta_site = factories.SiteFactory(organisation=w.zeta, name="Zeta HCM", ward=w.hcm_ward, latitude="10.7", longitude="106.6")

    def member(username, org, role, sites=()):
        user = factories.UserFactory(username=username)
        membership = factories.MembershipFactory(user=user, organisation=org, role=role)
        membership.sites.set(sites)
        return user

    w.alice = member("alice", w.alpha, Membership.Role.ADMIN)
    w.bob = member("bob", w.alpha, Membership.Role.MEMBER, sites=[w.alpha_hn])
    w.vera = member("vera", w.alpha, Membership.Role.VIEWER)
    w.fred = member("fred", w.omega, Membership.Role.MEMBER)
    w.dan = member("dan", w.omega, Membership.Role.DRIVER)
    w.zoe = member("zoe", w.zeta, Membership.Role.ADMIN)
    w.hanoi_official = factories.JurisdictionFactory(user=factories.UserFactory(username="hn_official"), province=hanoi).user
    w.central_official = factories.JurisdictionFactory(user=factories.UserFactory(username="central"), province=None).user
    w.admin = factories.UserFactory(username="admin", is_staff=True, is_superuser=True)
    w.nobody = factories.UserFactory(username="nobody")
    w.truck = factories.VehicleFactory(organisation=w.omega, plate="51C-123.45")
    return w


@pytest.fixture
def chain(world):
    """The world plus what a manifest needs: catalog, Omega's permit (treatment and transport, listing the truck),
    a line input, and alice's personal handover code."""
    from decimal import Decimal

    from catalog.models import PhysicalState
    from manifests import services
    from manifests.models import Packaging

    w = world
    w.oil = factories.WasteCodeFactory(code="17 02 03")
    w.lamps = factories.WasteCodeFactory(code="16 01 06", name_vi="Bóng đèn huỳnh quang thải", physical_states=["solid"])
    w.unpermitted = factories.WasteCodeFactory(code="19 06 01", name_vi="Ắc quy chì thải")
    w.incineration = factories.TreatmentMethodFactory(code="TĐ", name_vi="Thiêu đốt")
    w.recycling = factories.TreatmentMethodFactory(code="TC", name_vi="Tận thu/tái chế")
    w.landfill = factories.TreatmentMethodFactory(code="C", name_vi="Chôn lấp")
    w.permit = factories.PermitFactory(site=w.omega_site, covers_transport=True)
    w.permit.vehicles.set([w.truck])
    w.permit.waste_codes.set([w.oil, w.lamps])
    w.permit.treatment_methods.set([w.incineration, w.recycling])

    def line(code=None, quantity="100.00", method=None):
        return services.LineInput(
            waste_code=code or w.oil,
            description="Dầu thải từ máy nén",
            physical_state=PhysicalState.LIQUID,
            packaging_type=Packaging.DRUM,
            packaging_count=2,
            quantity_kg=Decimal(quantity),
            planned_method=method or w.incineration,
        )

    def draft(actor=None, lines=None, site=None):
        from django.utils import timezone

        return services.create_draft(
            actor or w.alice,
            generator_site=site or w.alpha_hn,
            facility_site=w.omega_site,
            permit=w.permit,
            transporter=w.omega,
            planned_pickup_date=timezone.localdate(),
            lines=lines or [line(), line(w.lamps, "40.5")],
        )

    w.line, w.draft = line, draft
    w.code = services.set_handover_code(w.alice, w.alpha, factories.PASSWORD)
    return w


# --- the end of `make test`: how much did not run for want of a service -------------------------------------------
# A skip's reason names what is missing; "SQLite" means the test needs PostgreSQL.
SKIP_NEEDS = (("PostgreSQL", ("PostgreSQL", "SQLite")), ("Redis", ("Redis",)))


def pytest_terminal_summary(terminalreporter):
    counts = dict.fromkeys([need for need, _words in SKIP_NEEDS] + ["other"], 0)
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        need = next((need for need, words in SKIP_NEEDS if any(word in reason for word in words)), "other")
        counts[need] += 1
    terminalreporter.write_sep("=", "skipped", bold=True)
    terminalreporter.write_line(
        f"{counts['PostgreSQL']} skipped for want of PostgreSQL (set DATABASE_URL), {counts['Redis']} for want of Redis "
        f"(set REDIS_URL), {counts['other']} for other reasons. `.ci/run` starts both."
    )
