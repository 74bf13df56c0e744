"""Thin Celery tasks: take ids, call one service, safe to run twice."""

import logging

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from intch.celery import RETRY_BACKOFF
from matching import services

logger = logging.getLogger(__name__)

MATCHING_QUEUE = "celery"
RETRYABLE = (OperationalError, InterfaceError, BrokerError, ConnectionError)
RETRY_POLICY = {"autoretry_for": RETRYABLE, **RETRY_BACKOFF}


@shared_task(name="matching.recompute_user_matches", acks_late=True, **RETRY_POLICY)
def recompute_user_matches_task(user_id):
    """Refresh one person's list and their place in other people's lists."""
    services.matches_queued_clear(user_id=user_id)
    return services.matches_recompute_for_user(user_id=user_id)


@shared_task(name="matching.recompute_all_matches", acks_late=True, **RETRY_POLICY)
def recompute_all_matches_task(reason="", people_per_chunk=None):
    """Start a full run: one chunk task per slice of people, for any number of workers."""
    services.matches_queued_clear()
    run = services.match_run_start(reason=reason or "scheduled", people_per_chunk=people_per_chunk)
    for number in range(run.chunks_total):
        recompute_matches_chunk_task.delay(run.pk, number)
    return run.pk


@shared_task(name="matching.recompute_matches_chunk", bind=True, acks_late=True, **RETRY_POLICY)
def recompute_matches_chunk_task(self, run_id, number):
    """Compute one chunk of a run; lists are replaced atomically, done chunks are skipped."""
    try:
        return services.match_run_chunk(run_id=run_id, number=number)
    except RETRYABLE:
        raise
    except DatabaseError as error:
        services.match_run_fail(run_id=run_id, error=error)
        raise
