"""Thin Celery tasks: take ids, call one service, safe to run twice."""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from intch.celery import RETRY_BACKOFF
from profiles import services

RETRYABLE = (OperationalError, InterfaceError, BrokerError, ConnectionError)


@shared_task(
    name="profiles.search_refresh", acks_late=True, autoretry_for=RETRYABLE, **RETRY_BACKOFF
)
def profile_search_refresh_task(profile_ids: list[int]) -> None:
    """Rewrite the search documents of these people from what their profiles hold now."""
    services.profile_search_refresh(profile_ids=profile_ids)
