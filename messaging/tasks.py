"""Thin Celery tasks: take ids, call one service, safe to run twice."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from intch.celery import RETRY_BACKOFF
from messaging import services

logger = logging.getLogger(__name__)

# The check records its email in the outbox (intch/outbox.py), whose own task sends it.
RETRYABLE = (OperationalError, InterfaceError, BrokerError, ConnectionError)


@shared_task(
    name="messaging.notify_unread", acks_late=True, autoretry_for=RETRYABLE, **RETRY_BACKOFF
)
def notify_unread_task(conversation_id: int, recipient_id: int, deferred: bool = False) -> str:
    """Email a person about unread messages in one conversation, if one is due."""
    if deferred:
        services.notification_queued_clear(
            conversation_id=conversation_id, recipient_id=recipient_id
        )
    outcome = services.notification_send_if_due(
        conversation_id=conversation_id, recipient_id=recipient_id
    )
    logger.info(
        "unread email for conversation %s to %s: %s", conversation_id, recipient_id, outcome
    )
    return outcome
