"""The Celery app. Start a worker: celery -A intch worker -l info; beat: celery -A intch beat."""

import logging.config
import os
from typing import Any, TypedDict

from celery import Celery
from celery.signals import setup_logging
from django.conf import settings
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intch.settings.development")

app = Celery("intch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Structured task events (task_started, task_succeeded, ...) with the queuing request's id.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log like the web processes (settings.LOGGING), not Celery's way."""
    logging.config.dictConfig(settings.LOGGING)


# Every task is idempotent, so transient faults are retried with growing, jittered delays.
# Apps add their own `autoretry_for` (the errors that are transient for them).
class RetryBackoff(TypedDict):
    retry_backoff: int
    retry_backoff_max: int
    retry_jitter: bool
    max_retries: int


RETRY_BACKOFF: RetryBackoff = {
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}
