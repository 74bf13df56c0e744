"""Thin Celery tasks: take ids, call one service, safe to run twice."""

import logging
import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from intch.celery import RETRY_BACKOFF
from messaging import services

logger = logging.getLogger(__name__)

RETRYABLE = (
    OperationalError,
    InterfaceError,
    BrokerError,
    ConnectionError,
    smtplib.SMTPException,
    OSError,
)
RETRY_POLICY = {"autoretry_for": RETRYABLE, **RETRY_BACKOFF}


@shared_task(name="messaging.notify_unread", acks_late=True, **RETRY_POLICY)
def notify_unread_task(conversation_id, recipient_id, deferred=False):
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


@shared_task(name="messaging.moderation_warning", acks_late=True, **RETRY_POLICY)
def moderation_warning_task(user_id):
    """Send the warning a moderator chose for a reported person."""
    return services.moderation_warning_send(user_id=user_id)
