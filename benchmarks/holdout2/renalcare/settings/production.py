"""Production settings: the only module named by wsgi.py and celery.py."""
import os

import dj_database_url

from .base import *  # noqa: F401,F403

DEBUG = False
# ok: secret
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = ["renalcare.northgate-hospitals.nhs.uk"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "renalcare",
        "USER": "renalcare_app",
        # ok: secret
        "PASSWORD": os.environ["DB_PASSWORD"],
        "HOST": os.environ.get("DB_HOST", "pg-renal.trust.internal"),
        "PORT": "5432",
        "CONN_MAX_AGE": 60,
    }
}
# expect: secret
DATABASES["reporting"] = dj_database_url.parse("postgres://mi_reader:Qz7vTn4pLw2sXe@pg-reporting.trust.internal:5432/renal_mi")

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "smtp.sendgrid.net"
# ok: secret
EMAIL_HOST_USER = "apikey"
# expect: secret
EMAIL_HOST_PASSWORD = "SG.FAKEfakeFAKEfake000000.FAKEfakeFAKEfake0000FAKEfakeFAKEfake0000abc"
EMAIL_PORT = 587
EMAIL_USE_TLS = True

SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_AGE = 60 * 60 * 10
SECURE_HSTS_SECONDS = 31536000
