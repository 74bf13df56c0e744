"""The outbox's tasks: send one recorded email; sweep up the ones whose task was lost."""

import logging
import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError

from intch import outbox
from intch.celery import RETRY_BACKOFF

logger = logging.getLogger(__name__)

EMAIL_QUEUE = "celery"
RETRYABLE = (OperationalError, InterfaceError, ConnectionError, smtplib.SMTPException, OSError)


@shared_task(
    name="intch.outbox_send",
    acks_late=True,
    autoretry_for=RETRYABLE,
    **RETRY_BACKOFF,
)
def outbox_send_task(email_id: int) -> str:
    """Send one email of the outbox, unless it is sent or being sent (safe to run twice)."""
    outcome = outbox.email_send(email_id=email_id)
    logger.info("outbox email %s: %s", email_id, outcome)
    return outcome


@shared_task(name="intch.outbox_sweep", acks_late=True)
def outbox_sweep_task() -> int:
    """Queue again the emails whose task never ran or whose sender died mid-way."""
    return outbox.emails_sweep()
