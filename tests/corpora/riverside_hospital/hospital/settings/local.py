"""Developer laptops: SQLite, console e-mail, local Redis without auth."""
from .base import *  # noqa: F401,F403
from .base import BASE_DIR

DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

# expect: secret
SECRET_KEY = "django-insecure-local-7c1e4b9a0d2f8e6b3a5c1d9e7f2a4b6c8d0e1f3a5b7c9d"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}

# ok: secret
CELERY_BROKER_URL = "redis://localhost:6379/0"

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
INTERNAL_IPS = ["127.0.0.1"]
