"""Django settings for CVAS Registry, all read from the environment (see README, "Configuration")."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from cvas.config.env import (
    decode_key,
    development_secrets,
    env_bool,
    env_int,
    env_list,
    env_str,
)
from cvas.core.rates import parse_rate

PACKAGE_DIR = Path(__file__).resolve().parent.parent
_source_root = PACKAGE_DIR.parent.parent
PROJECT_ROOT = _source_root if (_source_root / "pyproject.toml").exists() else Path.cwd()
VAR_DIR = Path(env_str("CVAS_VAR_DIR", str(PROJECT_ROOT / "var")) or "var").resolve()

DEBUG = env_bool("DEBUG", True)

_dev = development_secrets(VAR_DIR) if DEBUG else {}


def _secret(name: str) -> str:
    value = env_str(name) or _dev.get(name)
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set when DEBUG=0 (production); see README, 'Configuration'"
        )
    return value


SECRET_KEY = _secret("SECRET_KEY")
if not DEBUG and (
    SECRET_KEY.startswith(("dev-insecure-", "django-insecure")) or len(SECRET_KEY) < 40
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be a real secret of at least 40 characters when DEBUG=0"
    )

AUDIT_HMAC_KEY = decode_key("AUDIT_HMAC_KEY", _secret("AUDIT_HMAC_KEY"))
PII_ENCRYPTION_KEY = decode_key("PII_ENCRYPTION_KEY", _secret("PII_ENCRYPTION_KEY"))
PII_HMAC_KEY = decode_key("PII_HMAC_KEY", _secret("PII_HMAC_KEY"))
# Keys that wrote older rows, still accepted for reading until `cvas pii rotate` has re-encrypted them.
PII_ENCRYPTION_OLD_KEYS = [
    decode_key("PII_ENCRYPTION_OLD_KEYS", k) for k in env_list("PII_ENCRYPTION_OLD_KEYS", [])
]

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set when DEBUG=0 (comma-separated host names)"
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # the API docs' own static files (no script from another site)
    "django_tasks",
    "django_tasks_db",
    "cvas.core",
    "cvas.accounts",
    "cvas.audit",
    "cvas.licensing",
    "cvas.jobs",
    "cvas.public",
    "cvas.portal",
    "cvas.backoffice",
    "cvas.registry",
    "cvas.compliance",
    "cvas.lookup",
]

MIDDLEWARE = [
    "cvas.core.middleware.ApiErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "cvas.core.security.SecurityHeadersMiddleware",
    "cvas.core.uploads.RequestSizeMiddleware",
    "cvas.core.security.PageMethodsMiddleware",
    "cvas.core.error_pages.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "cvas.public.middleware.PreferredLanguageMiddleware",
    "cvas.core.middleware.CommonMiddleware",  # Django's, without slash-hunting on API 404s
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cvas.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cvas.config.urls"
WSGI_APPLICATION = "cvas.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cvas.accounts.context_processors.roles",
                "cvas.public.context_processors.site",
            ],
        },
    },
]

# Databases: SQLite in var/ by default, PostgreSQL 15+ by DATABASE_URL.
DEFAULT_SQLITE = VAR_DIR / "cvas.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE}") or "",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # Every transaction takes the write lock at BEGIN: writers queue instead of failing,
        # and read-then-write sequences (licence numbers, the audit chain) cannot interleave.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # A file, not shared-cache memory, so that tests with several threads see real locking;
    # one per test process, so that two runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-cvas-{os.getpid()}.sqlite3")}
elif env_str("CVAS_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env_str("CVAS_TEST_DB_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "public:home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ur", "اردو")]
TIME_ZONE = "Asia/Karachi"
USE_I18N = True
USE_TZ = True
# Interface text: src/cvas/locale (and each app's own locale/); Urdu pages are right to left.
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["cvas.config.formats"]
LANGUAGE_COOKIE_NAME = "cvas_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Uploaded documents live outside the web root and are served only through permission checks.
MEDIA_ROOT = Path(env_str("CVAS_UPLOAD_DIR", str(VAR_DIR / "uploads")) or "")
DOCUMENT_MAX_BYTES = env_int("CVAS_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
# Bulk-import CSV files (POST /api/v1/imports) may be larger; every other request is refused (413)
# above the document limit before its body is read (cvas.core.uploads).
CVAS_IMPORT_MAX_BYTES = env_int("CVAS_IMPORT_MAX_BYTES", 512 * 1024 * 1024)
CVAS_LARGE_UPLOAD_PATHS = ("/api/v1/imports",)
# An import left "running" by a process that cannot be asked whether it lives (SQLite, from another
# machine) is taken as interrupted this long after it started (cvas.registry.liveness).
CVAS_IMPORT_STALE_HOURS = env_int("CVAS_IMPORT_STALE_HOURS", 24)
if CVAS_IMPORT_STALE_HOURS < 1:
    raise ImproperlyConfigured("CVAS_IMPORT_STALE_HOURS must be at least 1")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Mail: console by default; SMTP when EMAIL_HOST is set.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CVAS Registry <no-reply@cvas.localhost>")
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "") or ""
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "") or ""
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend") or ""

# Background jobs: a database-backed queue, the same on SQLite and PostgreSQL (`cvas worker`).
TASKS = {
    "default": {
        "BACKEND": env_str("CVAS_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Production hardening (DEBUG=0).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if env_bool("CVAS_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = ["security.W021"]  # HSTS preload: the domain owner's decision (README)
if not DEBUG and not SECURE_SSL_REDIRECT:
    # SECURE_SSL_REDIRECT=0 says TLS ends before the app (README): the redirect warning is moot.
    SILENCED_SYSTEM_CHECKS.append("security.W008")

# -- Security and privacy (README, "Security") -------------------------------------------------
CSRF_COOKIE_HTTPONLY = True  # the pages send the token from the form, never read the cookie
# Sign-up links (`cvas.accounts.signup`) and password-reset links stay valid this long.
CVAS_EMAIL_VERIFICATION_SECONDS = env_int("CVAS_EMAIL_VERIFICATION_HOURS", 72) * 3600
PASSWORD_RESET_TIMEOUT = env_int("CVAS_PASSWORD_RESET_HOURS", 2) * 3600
# Lockout after failed sign-ins (`cvas.accounts.lockout`): one account from one address, and one
# address across all accounts; each lock lifts by itself after CVAS_LOCKOUT_MINUTES.
CVAS_LOCKOUT_ATTEMPTS = env_int("CVAS_LOCKOUT_ATTEMPTS", 5)
CVAS_LOCKOUT_ADDRESS_ATTEMPTS = env_int("CVAS_LOCKOUT_ADDRESS_ATTEMPTS", 30)
CVAS_LOCKOUT_MINUTES = env_int("CVAS_LOCKOUT_MINUTES", 15)
# The second factor (TOTP, RFC 6238) that every regulator role needs before its session acts.
CVAS_TOTP_ISSUER = env_str("CVAS_TOTP_ISSUER", "CVAS Registry") or "CVAS Registry"
# Ended subscribers' personal data is erased this many days after the end (`cvas tick`).
CVAS_PERSONAL_DATA_RETENTION_DAYS = env_int("CVAS_PERSONAL_DATA_RETENTION_DAYS", 730)
if CVAS_PERSONAL_DATA_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("CVAS_PERSONAL_DATA_RETENTION_DAYS must be at least 1")

# The client address (rate limits, lockout): X-Forwarded-For is believed only from these proxies.
CVAS_TRUSTED_PROXIES = env_list("CVAS_TRUSTED_PROXIES", [])
CVAS_CLIENT_IP_HEADER = env_str("CVAS_CLIENT_IP_HEADER", "X-Forwarded-For") or "X-Forwarded-For"
for _proxy in CVAS_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(
            f"CVAS_TRUSTED_PROXIES: {_proxy!r} is not an address or prefix"
        ) from _exc

# Rate limits by name (`cvas.core.rate_limit`): anonymous clients per address, identified callers
# (API key or account) per key. "off" lifts a limit.
_RATE_DEFAULTS = {
    "verify": "60/m",
    "lookup": "60/m",
    "register": "60/m",
    "rdap": "60/m",
    "sign-in": "10/m",
}
CVAS_RATE_LIMITS: dict[str, dict[str, str | None]] = {}
for _name, _default in _RATE_DEFAULTS.items():
    _var = "CVAS_RATE_LIMIT_" + _name.upper().replace("-", "_")
    CVAS_RATE_LIMITS[_name] = {
        "anonymous": env_str(_var, _default),
        "authenticated": env_str(_var + "_AUTHENTICATED"),
    }
    for _rate in CVAS_RATE_LIMITS[_name].values():
        parse_rate(_rate, name=_var)
CVAS_RATE_LIMIT_CACHE = "default"

# Shared state between worker processes (rate-limit counters, lockouts): the database cache (its
# table is made by `cvas migrate`), or Redis where CACHE_URL (or REDIS_URL) names one.
_cache_url = env_str("CACHE_URL") or env_str("REDIS_URL")
CACHES: dict[str, dict[str, object]]
if _cache_url and _cache_url.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
            "KEY_PREFIX": "cvas",
        }
    }
elif _cache_url and not _cache_url.startswith("db://"):
    raise ImproperlyConfigured(
        f"CACHE_URL must be redis://host:port/db (or db:// for the database); got {_cache_url!r}"
    )
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cvas_cache",
            "OPTIONS": {"MAX_ENTRIES": 200_000, "CULL_FREQUENCY": 4},
        }
    }

# Renewal opens this many days before a licence expires (an assumption; PTA publishes no window).
CVAS_RENEWAL_WINDOW_DAYS = env_int("CVAS_RENEWAL_WINDOW_DAYS", 365)

# Compliance (assumptions; PTA publishes none of these figures): a warning is proposed when at least
# CVAS_LATE_RETURNS_FOR_WARNING of a licence's last CVAS_LATE_RETURNS_WINDOW returns were late or are
# missing; public statistics show a period's subscribers only when that many licensees contributed.
CVAS_LATE_RETURNS_FOR_WARNING = env_int("CVAS_LATE_RETURNS_FOR_WARNING", 2)
CVAS_LATE_RETURNS_WINDOW = env_int("CVAS_LATE_RETURNS_WINDOW", 4)
CVAS_STATS_MIN_CONTRIBUTORS = env_int("CVAS_STATS_MIN_CONTRIBUTORS", 3)

# The public site's own address, used in e-mails and certificates.
SITE_URL = (env_str("CVAS_SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Lookup and distribution (cvas.lookup; README, "Lookup"): each web worker polls the change log
# every CVAS_LOOKUP_POLL_SECONDS and never answers from a state older than
# CVAS_LOOKUP_MAX_STALE_SECONDS while the database answers; full exports go to CVAS_EXPORT_DIR and
# the change log is kept CVAS_CHANGES_RETENTION_DAYS (an older feed cursor gets 410).
LOOKUP_POLL_SECONDS = float(env_str("CVAS_LOOKUP_POLL_SECONDS", "1") or "1")
LOOKUP_MAX_STALE_SECONDS = float(env_str("CVAS_LOOKUP_MAX_STALE_SECONDS", "5") or "5")
LOOKUP_BACKGROUND = env_bool("CVAS_LOOKUP_BACKGROUND", True)
LOOKUP_REBUILD_AFTER = env_int("CVAS_LOOKUP_REBUILD_AFTER", 0)
LOOKUP_EXPORT_DIR = Path(env_str("CVAS_EXPORT_DIR", str(VAR_DIR / "exports")) or "")
LOOKUP_CHANGES_RETENTION_DAYS = env_int("CVAS_CHANGES_RETENTION_DAYS", 7)
