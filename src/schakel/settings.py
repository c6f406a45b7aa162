"""Django settings, derived entirely from the validated ``SCHAKEL_*`` configuration."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

from schakel import config as schakel_config

try:
    CONFIG = schakel_config.load()
except schakel_config.ConfigError as exc:
    # Refuse to start, naming the variable: nothing else is useful to an operator here.
    sys.stderr.write(f"Schakel cannot start: {exc.variable}: {exc.problem}\n")
    raise SystemExit(2) from None

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(CONFIG["DATA_DIR"]).resolve()
PRODUCTION = CONFIG.production

SECRET_KEY = CONFIG["SECRET_KEY"]
SCHAKEL_AUDIT_KEY = CONFIG["AUDIT_KEY"]
DEBUG = bool(CONFIG["DEBUG"])
ALLOWED_HOSTS = CONFIG["ALLOWED_HOSTS"]
CSRF_TRUSTED_ORIGINS = CONFIG["CSRF_TRUSTED_ORIGINS"]
SCHAKEL_REQUIRE_2FA = bool(CONFIG["REQUIRE_2FA"])
SCHAKEL_WORKER_STALE_SECONDS = int(CONFIG["WORKER_STALE_SECONDS"])
SCHAKEL_API_RATE = str(CONFIG["API_RATE"])
SCHAKEL_LINKAGE_MEMORY_MB = int(CONFIG["LINKAGE_MEMORY_MB"])
SCHAKEL_DATABASE_PREPARED = bool(CONFIG["DATABASE_PREPARED"])
SCHAKEL_AUDIT_CHECKPOINT_DIR = DATA_DIR / "audit-checkpoints"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "schakel.audit",
    "schakel.jobs",
    "schakel.partners",
    "schakel.tasks",
    "schakel.notifications",
    "schakel.signals",
    "schakel.entities",
    "schakel.signaltable",
    "schakel.cases",
    "schakel.imports",
    "schakel.web",
    "schakel.demo",
    "schakel.access",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "schakel.web.middleware.RequestIdMiddleware",
    # Outside the second-factor check, so that its 401 carries the version header too.
    "schakel.web.middleware.ApiVersionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before any view or redirect, in the language the request asked for.
    "schakel.web.middleware.NulCharacterMiddleware",
    # Django's, but never redirecting an API address to add its trailing slash.
    "schakel.web.middleware.ApiAwareCommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "schakel.partners.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "schakel.audit.middleware.AuditMiddleware",
    # Last, so that a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "schakel.urls"
WSGI_APPLICATION = "schakel.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "schakel.web.context_processors.shell",
            ],
        },
    }
]


FORM_RENDERER = "schakel.web.forms.SchakelFormRenderer"


def _databases() -> dict[str, Any]:
    url = CONFIG["DATABASE_URL"]
    if url and not url.startswith("sqlite"):
        database = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        # Django's, without a health check per request while a connection is in steady use.
        database["ENGINE"] = "schakel.backends.postgresql"
        return {"default": database}
    path = DATA_DIR / "schakel.sqlite3"
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                # WAL lets readers work while one writer commits; FULL syncs every commit so
                # that a power cut loses nothing; IMMEDIATE takes the write lock at BEGIN, so
                # two writers queue instead of failing half-way with "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                "PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": str(DATA_DIR / "test-schakel.sqlite3")},
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "partners.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "schakel.partners.auth.SchakelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = int(CONFIG["SESSION_MINUTES"]) * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

AXES_FAILURE_LIMIT = int(CONFIG["LOGIN_FAILURE_LIMIT"])
AXES_COOLOFF_TIME = int(CONFIG["LOCKOUT_MINUTES"]) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "partners/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_IPWARE_PROXY_COUNT = 1 if CONFIG["BEHIND_PROXY"] else 0

OTP_TOTP_ISSUER = "Schakel"

LANGUAGE_CODE = CONFIG["LANGUAGE"]
# English pages with European dates (day first, 24-hour clock): see schakel/formats/en.
FORMAT_MODULE_PATH = ["schakel.formats"]
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = CONFIG["TIME_ZONE"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "files")},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

TASKS = {"default": {"BACKEND": "schakel.jobs.backend.DatabaseBackend"}}

REST_FRAMEWORK = {
    # The token first: a request that presents one is answered as its user or refused,
    # never quietly as the browser session beside it (which may lack its second factor; the
    # second-factor middleware lets token requests through on that understanding).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "schakel.web.api_auth.UserTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON nested too deeply for Python's parser is a 400, not a 500 (``schakel.web.parsers``).
    "DEFAULT_PARSER_CLASSES": [
        "schakel.web.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["schakel.web.api_auth.UserRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "schakel.web.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Schakel API",
    "DESCRIPTION": "The REST API of Schakel. Every endpoint applies the access policy. "
    "Authentication, versioning, idempotency and errors: docs/api.md.",
    # The API's version as in the API-Version header (schakel.web.api.API_VERSION).
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # 401, 404, 415 and 429 are answered around every view: documented in one place.
        "schakel.web.openapi.add_plumbing_errors",
    ],
}

_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
}
EMAIL_BACKEND = _EMAIL_BACKENDS[CONFIG["EMAIL_BACKEND"]]
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = CONFIG["EMAIL_HOST"]
EMAIL_PORT = CONFIG["EMAIL_PORT"]
EMAIL_HOST_USER = CONFIG["EMAIL_USER"]
EMAIL_HOST_PASSWORD = CONFIG["EMAIL_PASSWORD"]
EMAIL_USE_TLS = CONFIG["EMAIL_TLS"]
DEFAULT_FROM_EMAIL = CONFIG["EMAIL_FROM"]
SERVER_EMAIL = CONFIG["EMAIL_FROM"]

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if CONFIG["BEHIND_PROXY"]:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION and CONFIG["HTTPS"]:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /health is probed over plain HTTP by load balancers and the local service manager.
    SECURE_REDIRECT_EXEMPT = [r"^health$"]
if PRODUCTION and not CONFIG["HTTPS"]:
    # A closed test network without TLS: the operator chose this explicitly.
    SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W012", "security.W016"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "schakel.web.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": CONFIG["LOG_FORMAT"]},
    },
    "root": {"handlers": ["console"], "level": CONFIG["LOG_LEVEL"].upper()},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # axes logs user names on failures; the audit log records failures without them.
        "axes": {"level": "WARNING"},
        # Splink narrates every training step, and warns of each comparison level a small
        # data set never shows; the run record keeps what matters (counts, parameters).
        "splink": {"level": "ERROR"},
        "schakel.entities.linkage": {"level": "WARNING"},
    },
}
