"""The Celery app. Start a worker: celery -A intch worker -l info; beat: celery -A intch beat."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intch.settings.development")

app = Celery("intch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
