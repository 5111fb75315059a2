"""Production (ward servers behind the trust's reverse proxy)."""
from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False

# ok: secret
SECRET_KEY = env("DJANGO_SECRET_KEY")

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "riverside_ehr",
        "USER": "riverside_app",
        # expect: secret
        "PASSWORD": "Rv!ersideEHR-2024-pg",
        "HOST": env.str("DB_HOST", default="db-primary.riverside.internal"),
        "PORT": "5432",
        "CONN_MAX_AGE": 300,
    },
    "reporting": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "riverside_ehr",
        "USER": "riverside_ro",
        # ok: secret
        "PASSWORD": env("REPORTING_DB_PASSWORD"),
        "HOST": env.str("REPORTING_DB_HOST", default="db-replica.riverside.internal"),
        "PORT": "5432",
    },
}

# expect: secret
CELERY_BROKER_URL = "redis://:pharm4cyQueue!77@redis.riverside.internal:6379/2"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="django-db")

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "smtp.sendgrid.net"
EMAIL_PORT = 587
EMAIL_USE_TLS = True
EMAIL_HOST_USER = "apikey"
# expect: secret
EMAIL_HOST_PASSWORD = "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"

# Discharge letters and pump logs are archived to S3.
# expect: secret
AWS_ACCESS_KEY_ID = "AKIAZDOC9IS0J8HT9LGM"
# expect: secret
AWS_SECRET_ACCESS_KEY = "SkpXz9w3QlY7Zkuvqdt7s8Stqcbnr3yBdGBLEPH1"
AWS_STORAGE_BUCKET_NAME = "riverside-clinical-archive"

# Private-patient billing in the outpatient pharmacy.
# expect: secret
STRIPE_SECRET_KEY = "sk_live_xgJTeKdNnFRIBXuDL7DxtpYl"

# Certificate pin for the regional pathology hub's TLS endpoint (published by the hub).
# ok: secret
PATHOLOGY_HUB_CERT_SHA256 = "41bed440e50454f31af3176813e02ea68ef786e4d3cea27d26934b484e73cf57"

SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
