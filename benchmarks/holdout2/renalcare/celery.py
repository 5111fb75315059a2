import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renalcare.settings.production")

app = Celery("renalcare")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "mark-no-shows": {"task": "dialysis.tasks.mark_no_shows", "schedule": crontab(minute="*/30")},
    "expire-prescriptions": {"task": "dialysis.tasks.expire_prescriptions", "schedule": crontab(hour=1, minute=5)},
    "purge-history": {"task": "dialysis.tasks.purge_old_history", "schedule": crontab(day_of_week="sun", hour=3)},
    "station-report": {"task": "dialysis.tasks.upload_station_report", "schedule": crontab(hour=6, minute=0)},
}
