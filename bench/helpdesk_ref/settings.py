"""A minimal Django project serving django-helpdesk, the reference of bench_servicedesk.py.

Production-like: DEBUG off, PostgreSQL, database sessions (Django's default), no debug toolbar.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
# Made by bench_servicedesk.py for the loader and the server alike (sessions are signed with it).
SECRET_KEY = os.environ["HELPDESK_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "account",
    "pinax.invitations",
    "pinax.teams",
    "reversion",
    "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "wsgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("HELPDESK_DB", "bench_helpdesk"),
        "USER": os.environ.get("HELPDESK_DB_USER", "postgres"),
        "HOST": os.environ.get("HELPDESK_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("HELPDESK_DB_PORT", "5432"),
        # Persistent connections, as Tirek's in the benchmark.
        "CONN_MAX_AGE": int(os.environ.get("HELPDESK_CONN_MAX_AGE", "60")),
    }
}
# Off by default (Django's default); bench_servicedesk.py --reference-prepared turns it on, to
# measure the reference with the prepared statements Tirek uses.
if os.environ.get("HELPDESK_PREPARED_STATEMENTS") == "true":
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en"
TIME_ZONE = "Asia/Qostanay"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_ROOT = os.environ.get("HELPDESK_MEDIA", "/tmp/helpdesk-media")  # noqa: S108
LOGIN_URL = "/helpdesk/login/"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HELPDESK_KB_ENABLED = False
