"""WSGI entry point used by gunicorn on the ward servers."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renalcare.settings.production")

application = get_wsgi_application()
