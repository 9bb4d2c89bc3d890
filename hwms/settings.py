"""HWMS settings: one module, driven by the environment.

Unset DATABASE_URL / REDIS_URL give the embedded defaults of `make run` (SQLite, eager Celery);
set them for production (PostgreSQL via psycopg2, Redis broker). DEBUG is off unless set, and a
real SECRET_KEY is required when it is off.
"""

import os
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_decimal(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return Decimal(default)
    try:
        return Decimal(value)
    except ArithmeticError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from exc


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Under pytest the test settings apply without a second settings module.
TESTING = env_bool("HWMS_TESTING", "pytest" in sys.modules)

_DEV_SECRET = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if (DEBUG or TESTING) else "")
if not SECRET_KEY or (not (DEBUG or TESTING) and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 32)):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of at least 32 characters when DEBUG is off."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if (DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The public address printed in QR codes and e-mail links: never a guess in production. `make run` passes the
# address it serves.
SITE_URL = env_str("SITE_URL", "" if not (DEBUG or TESTING) else "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        "SITE_URL must be set to the portal's public address (e.g. https://ctnh.example.gov.vn) when DEBUG is off: "
        "QR codes and e-mail links use it."
    )

INSTALLED_APPS = [
    "hwms.apps.HwmsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "import_export",
    "leaflet",
    "hwms.apps.AxesConfig",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "gis",
    "catalog",
    "accounts",
    "manifests",
    "stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (django-csp, policy below) and Permissions-Policy on every response.
    "csp.middleware.CSPMiddleware",
    "hwms.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hwms.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A NUL character in any input answers 400 (PostgreSQL refuses it in strings: a 500 otherwise).
    "common.middleware.RejectNulMiddleware",
    # Idle and absolute session limits, two-factor sign-in, audit of refusals and downloads (accounts.middleware).
    "accounts.middleware.SessionSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout signal into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hwms.urls"
WSGI_APPLICATION = "hwms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hwms.context_processors.portal",
            ],
            # The number filters (|number, |kg, |latitude, |longitude) in every template: common.numbers.
            "builtins": ["common.number_tags"],
            "libraries": {"error_summary": "common.templatetags.error_summary"},
        },
    }
]

# Database: SQLite unless DATABASE_URL is set (postgres://user:pass@host:5432/name).
DATABASE_URL = env_str("DATABASE_URL")
HWMS_LOCK_TIMEOUT_SECONDS = env_int("HWMS_LOCK_TIMEOUT_SECONDS", 5)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    # Set once per connection rather than by a statement in every request:
    # - no request waits longer than lock_timeout for a row lock (a manifest being changed by someone else);
    # - no parallel workers and no JIT for the pages' short queries: starting two workers took ~50 ms on a 2-core
    #   machine, longer than the query they split (a list by waste code: 68 ms with them, 20 without, at 3 M
    #   manifests), and JIT compiled a costly-looking plan in longer than it ran. The rollup rebuilds turn
    #   parallel workers back on for their own statements (HWMS_BULK_PARALLEL_WORKERS, stats.rollups).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={HWMS_LOCK_TIMEOUT_SECONDS * 1000}"
        f" -c max_parallel_workers_per_gather={env_int('DB_PARALLEL_WORKERS', 0)} -c jit={env_str('DB_JIT', 'off')}"
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }
# Parallel workers for the statements that read whole tables (rollup rebuilds), not for the pages (above).
HWMS_BULK_PARALLEL_WORKERS = env_int("HWMS_BULK_PARALLEL_WORKERS", 2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username/IP before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.PortalBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling (django-axes): lock a username from one address after repeated failures, and an address after
# many failures across usernames (password spraying; accounts/throttling.py says why it is not a lockout parameter).
AXES_HANDLER = "accounts.throttling.PortalAxesHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
HWMS_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("HWMS_LOGIN_ADDRESS_FAILURE_LIMIT", 30)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)

# Internationalisation: Vietnamese first, English second.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["hwms.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Development and tests serve static files straight from the app folders (no collectstatic needed).
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
WHITENOISE_USE_FINDERS = DEBUG or TESTING
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files in production; plain storage in development and tests,
        # where collectstatic has not run (the test live_server runs with DEBUG off).
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Celery: eager without a broker (make run, unit tests), Redis when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# Work that survives a killed worker (docs/background-work.md): a task is acknowledged only once it has finished,
# and a task whose worker process died is given back to the queue instead of being marked failed. Every task is
# therefore written to be run twice (they take ids and recompute from the committed rows).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis re-delivers a task not acknowledged within the visibility timeout (its worker was killed, or is still
# working): it must exceed the longest task, the nightly rollup rebuild included, and any countdown of a retry.
# 2 hours in production; a test worker sets a few seconds to see a killed worker's task re-delivered quickly.
HWMS_CELERY_VISIBILITY_TIMEOUT = env_int("HWMS_CELERY_VISIBILITY_TIMEOUT", 2 * 3600)
# How often each worker sweeps Redis for tasks unacknowledged past that timeout, to deliver them again: kombu 5.7
# sweeps every interval × throttle seconds (10 × 10 by default); one setting, throttle 1. A test worker sweeps every second.
HWMS_CELERY_RESTORE_SECONDS = env_int("HWMS_CELERY_RESTORE_SECONDS", 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": HWMS_CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": HWMS_CELERY_RESTORE_SECONDS,
    "unacked_restore_throttle": 1,
}
# Test hook only (tests/test_worker_faults.py): a folder in which a `hold` file stops the rollup task in flight.
HWMS_TASK_HOLD_DIR = env_str("HWMS_TASK_HOLD_DIR")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE


if REDIS_URL:
    # Django's Redis backend, keeping its client objects (common.cache).
    CACHES = {"default": {"BACKEND": "common.cache.ReusedClientRedisCache", "LOCATION": REDIS_URL}}
    # Sessions read from Redis, written through to the database: one query less on every request.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# E-mail: console in development, SMTP from the environment in production. With DEBUG off and no EMAIL_HOST the
# portal refuses to start rather than print notifications to a console and record them as e-mailed.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str("EMAIL_BACKEND")
if not EMAIL_BACKEND:
    if DEBUG or TESTING:
        EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    elif EMAIL_HOST:
        EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    else:
        raise ImproperlyConfigured("EMAIL_HOST must be set when DEBUG is off (or EMAIL_BACKEND, explicitly).")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "tmp" / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "HWMS <no-reply@hwms.local>")

# Security in production (manage.py check --deploy is clean with DEBUG off).
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not (DEBUG or TESTING))
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not (DEBUG or TESTING))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not (DEBUG or TESTING))
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if (DEBUG or TESTING) else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not (DEBUG or TESTING)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not (DEBUG or TESTING))
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
# Sign in again after this many minutes without a request, and this many hours after signing in whatever happens.
HWMS_SESSION_IDLE_MINUTES = env_int("HWMS_SESSION_IDLE_MINUTES", 30)
HWMS_SESSION_MAX_HOURS = env_int("HWMS_SESSION_MAX_HOURS", 12)
# Two-factor sign-in (django-otp): TOTP apps show the issuer; recovery codes per set; wrong codes back off 1, 2, 4… s.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "HWMS")
HWMS_RECOVERY_CODE_COUNT = 10
X_FRAME_OPTIONS = "DENY"

# Maps: the province layer ships with the project (gis/data/provinces.geojson) and is drawn without any tile
# server; a tile layer is drawn under it when MAP_TILE_URL is set (OpenStreetMap's by default; set it empty to
# draw none). A strict CSP must then allow the tile server's origin in img-src.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str(
    "MAP_TILE_ATTRIBUTION", '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)

def _origin(url):
    """The origin of a tile URL template for the CSP: https://{s}.tile.example.org/{z}/… → https://*.tile.example.org."""
    scheme, _sep, rest = url.partition("://")
    host = rest.split("/", 1)[0].replace("{s}", "*")
    return f"{scheme}://{host}" if scheme in ("http", "https") and host else None


# Content-Security-Policy (django-csp 4): no inline script, no third-party origin but the configured tile server.
# Inline styles stay forbidden too: Leaflet and Chart.js style elements through the CSSOM (element.style), which
# a CSP does not govern, and htmx's own indicator <style> is turned off (base.html) with its rules in hwms.css.
_CSP_SELF, _CSP_NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_CSP_SELF],
        "script-src": [_CSP_SELF],
        "style-src": [_CSP_SELF],
        "img-src": [_CSP_SELF, "data:", *filter(None, [_origin(MAP_TILE_URL)])],
        "font-src": [_CSP_SELF],
        "connect-src": [_CSP_SELF],
        "object-src": [_CSP_NONE],
        "base-uri": [_CSP_SELF],
        "form-action": [_CSP_SELF],
        "frame-ancestors": [_CSP_NONE],
    },
}
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (16.0, 106.0),
    "DEFAULT_ZOOM": 5,
    "TILES": [(_("Base map"), MAP_TILE_URL, {"attribution": MAP_TILE_ATTRIBUTION})] if MAP_TILE_URL else [],
    "RESET_VIEW": False,
    "PLUGINS": {
        "markercluster": {
            "css": ["vendor/leaflet.markercluster/MarkerCluster.css", "vendor/leaflet.markercluster/MarkerCluster.Default.css"],
            "js": ["vendor/leaflet.markercluster/leaflet.markercluster.js"],
        },
    },
}
# GeoJSON of sites, provincial totals and flows are cached this long per scope and filters.
HWMS_MAP_CACHE_SECONDS = env_int("HWMS_MAP_CACHE_SECONDS", 300)
# A pickup or delivery position recorded farther than this from its site is flagged on the manifest's map.
HWMS_POSITION_WARNING_METRES = env_int("HWMS_POSITION_WARNING_METRES", 2000)

# django-import-export: whole import in one transaction; nothing saved when a row is bad.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# Domain settings: rules not confirmed by a legal text live in settings, not code.
HWMS_DEMO_PASSWORD = env_str("HWMS_DEMO_PASSWORD", "hwms-demo-2026")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Manifests: the deadlines and tolerances of the 2022 rules were not found in a legal text, so they are settings.
# Pattern fields: {province} (today's province code of the generator site), {year}, {seq}.
HWMS_MANIFEST_NUMBER_PATTERN = env_str("HWMS_MANIFEST_NUMBER_PATTERN", "{province:02d}-{year}-{seq:06d}")
HWMS_QUANTITY_TOLERANCE_PERCENT = env_decimal("HWMS_QUANTITY_TOLERANCE_PERCENT", "5")
HWMS_OVERDUE_DAYS = env_int("HWMS_OVERDUE_DAYS", 180)  # the old 6-month return rule [unverified]
HWMS_SIGNATURE_CODE_MAX_ATTEMPTS = env_int("HWMS_SIGNATURE_CODE_MAX_ATTEMPTS", 5)
HWMS_SIGNATURE_CODE_LOCK_MINUTES = env_int("HWMS_SIGNATURE_CODE_LOCK_MINUTES", 30)
# Wrong handover codes typed from one driver's account, whoever they were for: fewer than a person's limit, so
# that one account locks its own code entry before it can lock a person's code.
HWMS_HANDOVER_ENTRY_MAX_ATTEMPTS = env_int("HWMS_HANDOVER_ENTRY_MAX_ATTEMPTS", 3)
HWMS_HANDOVER_ENTRY_LOCK_MINUTES = env_int("HWMS_HANDOVER_ENTRY_LOCK_MINUTES", 30)
HWMS_VERIFY_TOKEN_MAX_AGE_DAYS = env_int("HWMS_VERIFY_TOKEN_MAX_AGE_DAYS", 30)
# The form and legal basis printed on the manifest copy (DOMAIN.md: Form 04 of Annex III of Circular 02/2022 is a
# [secondary] source, so it is a setting): legal names, printed in Vietnamese whatever the reader's language.
HWMS_MANIFEST_FORM = env_str("HWMS_MANIFEST_FORM", "Mẫu số 04, Phụ lục III ban hành kèm theo Thông tư số 02/2022/TT-BTNMT")
HWMS_MANIFEST_LEGAL_BASIS = env_str("HWMS_MANIFEST_LEGAL_BASIS", "Nghị định số 08/2022/NĐ-CP; Thông tư số 02/2022/TT-BTNMT")
CELERY_BEAT_SCHEDULE = {
    "flag-overdue-manifests": {
        "task": "manifests.tasks.flag_overdue_manifests",
        "schedule": 24 * 3600,
    },
    # Annual reports: who must file last year's, every night; reminders every morning of 2–14 January (each
    # organisation is e-mailed once per year).
    "annual-report-obligations": {
        "task": "stats.annual.tasks.refresh_annual_obligations",
        "schedule": crontab(minute=30, hour=1),
    },
    "annual-report-reminders": {
        "task": "stats.annual.tasks.send_annual_report_reminders",
        "schedule": crontab(minute=0, hour=8, day_of_month="2-14", month_of_year=1),
    },
    # The rollups are kept after each transition; a nightly rebuild repairs anything a lost task missed.
    "rebuild-rollups": {
        "task": "stats.tasks.rebuild_rollups",
        "schedule": 24 * 3600,
    },
}

# Audit log (accounts/audit.py, README "What the audit log protects"): event hashes are HMAC-SHA256 under a key
# kept outside the database; a daily signed checkpoint of every chain head is written outside the database too
# and e-mailed to the central officials. Rotation: give the new key a new id and keep the old one, as "id=key", in
# HWMS_AUDIT_RETIRED_KEYS (comma-separated) so that older events and checkpoints still verify.
_DEV_AUDIT_KEY = "dev-only-audit-key-do-not-use-in-production"
HWMS_AUDIT_KEY = env_str("HWMS_AUDIT_KEY", _DEV_AUDIT_KEY if (DEBUG or TESTING) else "")
if not HWMS_AUDIT_KEY or (not (DEBUG or TESTING) and (HWMS_AUDIT_KEY == _DEV_AUDIT_KEY or len(HWMS_AUDIT_KEY) < 32)):
    raise ImproperlyConfigured(
        "HWMS_AUDIT_KEY must be set to a random string of at least 32 characters when DEBUG is off "
        "(kept outside the database: it keys the audit log's hashes)."
    )
HWMS_AUDIT_KEY_ID = env_str("HWMS_AUDIT_KEY_ID", "k1")
HWMS_AUDIT_RETIRED_KEYS = dict(item.partition("=")[::2] for item in env_list("HWMS_AUDIT_RETIRED_KEYS"))
# Required for the checkpoints in production: a directory on another machine or volume than the database's.
HWMS_AUDIT_CHECKPOINT_DIR = env_str("HWMS_AUDIT_CHECKPOINT_DIR", str(BASE_DIR / "tmp" / "audit-checkpoints") if DEBUG and not TESTING else "")
HWMS_AUDIT_CHECKPOINT_EMAILS = env_list("HWMS_AUDIT_CHECKPOINT_EMAILS")  # besides the central officials
# The database role the application runs as in production (not the tables' owner, who can disable triggers):
# migrations take UPDATE/DELETE/TRUNCATE on the audit tables away from it.
HWMS_DB_APP_ROLE = env_str("HWMS_DB_APP_ROLE", "hwms_app")
CELERY_BEAT_SCHEDULE["audit-checkpoint"] = {
    "task": "accounts.tasks.write_audit_checkpoint",
    "schedule": crontab(minute=45, hour=0),
}

# Forms: Django's widget templates, the common ones (inputs, selects, options, labels) built in Python: the same
# HTML at a fraction of the CPU (common/forms.py).
FORM_RENDERER = "common.forms.PortalFormRenderer"
# Annual reports (Circular 02/2022, Decision 3323/QĐ-BTNMT): due before 15 January of the next year (industrial-zone
# operators 20 January). "MM-DD" of the last day a submission counts as on time, in Vietnam time.
HWMS_ANNUAL_REPORT_DEADLINE = env_str("HWMS_ANNUAL_REPORT_DEADLINE", "01-15")
# Modules outside `<app>.tasks` whose tasks the worker registers.
CELERY_IMPORTS = ["stats.annual.tasks"]
