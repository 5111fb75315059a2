"""Local development settings for laptops; never deployed (wsgi.py and celery.py name production)."""
from .base import *  # noqa: F401,F403

# ok: secret
DEBUG = True
# ok: secret
SECRET_KEY = "changeme"
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "dev.sqlite3",  # noqa: F405
    }
}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
