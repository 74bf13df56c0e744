"""The Celery app. Start a worker: celery -A intch worker -l info; beat: celery -A intch beat."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intch.settings.development")

app = Celery("intch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every task is idempotent, so transient faults are retried with growing, jittered delays.
# Apps add their own `autoretry_for` (the errors that are transient for them).
RETRY_BACKOFF = {
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}
