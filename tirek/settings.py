"""Tirek settings, read from the environment.

Every variable is documented in the README's configuration table. A bad value stops start-up
with a message naming the variable (healthchecks-style), rather than running misconfigured.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from tirek.envconf import env, envbool, envint, envlist, secret

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("TIREK_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Production mode: `TIREK_PRODUCTION=true`. It turns on every protection `check --deploy` asks
# for and refuses to start without a real secret key.
PRODUCTION = envbool("TIREK_PRODUCTION", False)
DEBUG = envbool("DEBUG", not PRODUCTION)


def _secret_key() -> str:
    key = secret("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set in production.")
    # Development: a random key kept under var/, so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        from django.core.management.utils import get_random_secret_key

        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
UNIVERSITY_NAME = env("TIREK_UNIVERSITY_NAME", "A. Baitursynov Kostanay Regional University")
# The university's own name in each language (a proper name, so not in the catalogues).
UNIVERSITY_NAMES = {
    "kk": env("TIREK_UNIVERSITY_NAME_KK", "А. Байтұрсынов атындағы Қостанай өңірлік университеті"),
    "ru": env(
        "TIREK_UNIVERSITY_NAME_RU", "Костанайский региональный университет имени А. Байтурсынова"
    ),
    "en": UNIVERSITY_NAME,
}
UNIVERSITY_DOMAIN = env("TIREK_UNIVERSITY_DOMAIN", "ksu.edu.kz")
# Electronic cards: signing keys (PEM files named <kid>.pem) and the key id that signs new cards
# (empty: the newest key). Private keys never go into the database.
CARD_KEYS_DIR = Path(env("TIREK_CARD_KEYS_DIR", str(VAR_DIR / "card-keys")))
CARD_SIGNING_KID = env("TIREK_CARD_SIGNING_KID", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "tirek.core",
    "tirek.security",
    "tirek.people",
    "tirek.cards",
    "tirek.access",
    "tirek.connectors",
    "tirek.servicedesk",
    "tirek.policies",
    "tirek.manualwork",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "tirek.core.middleware.UserLanguageMiddleware",
    "tirek.core.middleware.AuditContextMiddleware",
    "tirek.security.middleware.SessionIdleTimeoutMiddleware",
    "tirek.security.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tirek.urls"
WSGI_APPLICATION = "tirek.wsgi.application"
AUTH_USER_MODEL = "core.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tirek" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tirek.core.context_processors.navigation",
            ],
        },
    },
]

# Database: a SQLite file under var/ unless DATABASE_URL says otherwise (PostgreSQL in
# production). SQLite runs in WAL mode with IMMEDIATE transactions so that the web server and
# the worker can write without "database is locked" errors.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tirek.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# PostgreSQL: parameters bound on the server, and a statement a connection has run 5 times is
# prepared, so that the planner's work on the pages everyone opens (the ticket page's joins take
# it longer to plan than to run) is done once per connection. Needs persistent connections
# (DATABASE_CONN_MAX_AGE) to pay off; turn off behind a pooler in transaction mode that cannot
# keep prepared statements (PgBouncer before 1.21, or without max_prepared_statements).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and envbool(
    "DATABASE_PREPARED_STATEMENTS", True
):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Axes first, so that a locked-out user is refused before any backend checks a password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

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
LOGIN_URL = "security:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "security:login"

# LDAP / Active Directory login (django-auth-ldap). Off unless LDAP_AUTH_URL is set.
LDAP_AUTH_URL = env("LDAP_AUTH_URL", "")
if LDAP_AUTH_URL:
    import ldap
    from django_auth_ldap.config import LDAPSearch

    AUTH_LDAP_SERVER_URI = LDAP_AUTH_URL
    AUTH_LDAP_BIND_DN = env("LDAP_AUTH_BIND_DN", "")
    AUTH_LDAP_BIND_PASSWORD = secret("LDAP_AUTH_BIND_PASSWORD") or ""
    AUTH_LDAP_START_TLS = envbool("LDAP_AUTH_START_TLS", False)
    AUTH_LDAP_USER_SEARCH = LDAPSearch(
        env("LDAP_AUTH_USER_BASE", "ou=people,dc=ksu,dc=edu,dc=kz"),
        ldap.SCOPE_SUBTREE,
        env("LDAP_AUTH_USER_FILTER", "(uid=%(user)s)"),
    )
    AUTH_LDAP_USER_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}
    AUTH_LDAP_CONNECTION_OPTIONS = {ldap.OPT_REFERRALS: 0, ldap.OPT_NETWORK_TIMEOUT: 5}
    if env("LDAP_AUTH_CA_FILE", ""):
        AUTH_LDAP_GLOBAL_OPTIONS = {ldap.OPT_X_TLS_CACERTFILE: env("LDAP_AUTH_CA_FILE", "")}
    AUTH_LDAP_CACHE_TIMEOUT = 0
    AUTHENTICATION_BACKENDS.insert(1, "tirek.security.ldap.TirekLDAPBackend")

# Two-factor authentication (django-otp, TOTP) is required for department staff and head.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Tirek")
TIREK_REQUIRE_2FA = envbool("TIREK_REQUIRE_2FA", True)

# Lockout after repeated failures (django-axes): per username and address pair.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "security/locked_out.html"
# One rule for the client's address everywhere (lockout and audit): X-Forwarded-For is read
# only when TIREK_PROXY_COUNT says how many proxies stand in front.
TIREK_PROXY_COUNT = envint("TIREK_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "tirek.core.middleware.client_ip"

# Sessions end after SESSION_IDLE_MINUTES without a request, and at most after 12 hours.
SESSION_IDLE_MINUTES = envint("SESSION_IDLE_MINUTES", 30)
# Birthright policies: a run that would take roles from or disable the accounts of more people
# than this waits for a human's confirmation (tirek/policies/services.py).
POLICY_CONFIRM_THRESHOLD = envint("POLICY_CONFIRM_THRESHOLD", 50)
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Internationalisation: Kazakh first, then Russian and English.
LANGUAGE_CODE = env("LANGUAGE_CODE", "kk")
LANGUAGES = [("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "tirek" / "locale"]
LANGUAGE_COOKIE_NAME = "tirek_language"
TIME_ZONE = env("TIME_ZONE", "Asia/Qostanay")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end packages come from npm at set-up (package-lock.json pins them); no CDN.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "tirek" / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    # The card verify page: CBOR (ES modules) and the QR reader.
    ("vendor/cborg", NODE_MODULES / "cborg" / "lib"),
    ("vendor/jsqr", NODE_MODULES / "jsqr" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded files (photos, attachments) live outside the web root and are served only by views
# that check permissions.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# E-mail
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env("EMAIL_HOST", "")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = secret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", f"Tirek <tirek@{UNIVERSITY_DOMAIN}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background work through Django's tasks API. "db" (default) keeps the queue in the database
# and needs nothing else; "rq" uses Redis with RQ workers for installations that outgrow one
# machine; "immediate" runs tasks in-process (tests).
TASKS_BACKEND = env("TASKS_BACKEND", "db")
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
_TASK_BACKENDS = {
    "db": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.backend.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {sorted(_TASK_BACKENDS)}.")
TASKS = {
    "default": {
        "BACKEND": _TASK_BACKENDS[TASKS_BACKEND],
        "QUEUES": ["default", "provisioning", "notifications"],
    }
}
# A periodic run with no outcome after this long is marked failed: its worker died (SIGKILL,
# power cut) before recording one. Jobs may declare their own timeout.
JOB_RUN_TIMEOUT = timedelta(seconds=envint("TIREK_JOB_RUN_TIMEOUT", 3600))
# How long a worker holds the provisioning operations it claimed; a killed worker's operations
# are claimed again after it.
OPERATION_LEASE = timedelta(seconds=envint("TIREK_OPERATION_LEASE", 300))
if TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {q: {"URL": REDIS_URL} for q in TASKS["default"]["QUEUES"]}

# Nightly reconciliation of LDAP and SCIM systems: the local hour (TIME_ZONE) it starts in.
RECONCILE_HOUR = envint("RECONCILE_HOUR", 2)
if not 0 <= RECONCILE_HOUR <= 23:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("RECONCILE_HOUR must be an hour from 0 to 23.")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "tirek.core.api.SessionAuthentication2FA",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env("API_RATE", "6000/hour")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tirek API",
    "DESCRIPTION": "IT operations platform of the university: people, accounts, service desk.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema lists every endpoint: signed-in users only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # One schema name per choice set (several fields share some, several sets share "kind").
    "ENUM_NAME_OVERRIDES": {
        "AffiliationKindEnum": "tirek.people.models.AffiliationKind",
        "AffiliationSourceEnum": "tirek.people.models.AffiliationSource",
        "UnitKindEnum": "tirek.people.models.UnitKind",
        "LifecycleEventKindEnum": "tirek.people.events.EventKind",
        "TicketKindEnum": "tirek.servicedesk.models.Kind",
        "TicketStatusEnum": "tirek.servicedesk.models.Status",
        "LevelEnum": "tirek.servicedesk.models.Level",
        "CardKindEnum": "tirek.cards.models.CardKind",
        "IdentifierExportFormatEnum": "tirek.cards.models.EXPORT_FORMATS",
        "ConnectorKindEnum": "tirek.access.models.ConnectorKind",
        "OperationKindEnum": "tirek.access.models.OperationKind",
        "GrantSourceEnum": "tirek.access.models.GrantSource",
        "DeliveryChannelEnum": "tirek.access.models.DeliveryChannel",
        "MailStatusEnum": "tirek.access.models.MailStatus",
    },
}

# The service desk keeps what it rendered of the queue (per user and filter) and read for a
# ticket page for this many seconds; a change to a ticket is seen at once (0: never keep).
TIREK_SERVICEDESK_CACHE_SECONDS = envint("TIREK_SERVICEDESK_CACHE_SECONDS", 15)

# Behind nginx: trust X-Forwarded-Proto only when told to.
if envbool("TIREK_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Axes logs a start-up banner at INFO in every command; only its warnings matter.
        "axes": {"level": "WARNING"},
    },
}
