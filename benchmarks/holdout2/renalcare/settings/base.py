"""Settings shared by every environment of the RenalCare haemodialysis unit system."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# expect: secret
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-9f#2k!r7w@x0b$hq3m^v8z&u1p*e6l(n4c)t5y+s_ajd")

DEBUG = False
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "simple_history",
    "auditlog",
    "reversion",
    "pgtrigger",
    "pghistory",
    "core",
    "patients.apps.PatientsConfig",
    "dialysis",
    "pharmacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/dialysis/board/"

# Paths (relative, no leading slash) reachable without a staff session.
# The API authenticates with DRF tokens instead; see REST_FRAMEWORK below.
LOGIN_EXEMPT_URLS = [
    r"^accounts/",
    r"^api/",
    r"^kiosk/",
    r"^healthz$",
    r"^static/",
]

ROOT_URLCONF = "renalcare.urls"
WSGI_APPLICATION = "renalcare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# ok: secret
PASSWORD_RESET_TIMEOUT = 60 * 60 * 4

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/0")
CELERY_TASK_ACKS_LATE = True

# Trust-internal laboratory information system (same network segment, not a third party).
LAB_BASE_URL = os.environ.get("LAB_BASE_URL", "https://lis.renal.trust.internal/api/v2")
# ok: secret
LAB_API_KEY = os.environ.get("LAB_API_KEY", "")
ANALYTICS_INGEST_URL = "https://ingest.clinimetrics.io/v1/events"
ON_CALL_SLACK_CHANNEL = "#renal-oncall"
AUDIT_RETENTION_DAYS = 365 * 8

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
