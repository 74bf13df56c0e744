"""Email notifications on a real Celery worker (services mode: PostgreSQL and Redis)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import caches
from accounts.services import presence_touch
from messaging import services
from messaging.models import Conversation, MessageNotification, Participant
from messaging.tasks import notify_unread_task
from tests.factories import complete_profile

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 20


def _wait_for(condition):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _accepted_conversation(first, second):
    # Made directly, so that no request email is on its way when the test starts.
    conversation = Conversation.objects.create(
        initiator=first, recipient=second, status=Conversation.Status.ACCEPTED
    )
    Participant.objects.bulk_create(
        [Participant(conversation=conversation, user=user) for user in (first, second)]
    )
    return conversation


def _check_now(conversation, recipient):
    """Run one check on the worker and return what it did."""
    return notify_unread_task.delay(conversation.pk, recipient.pk).get(timeout=WAIT_SECONDS)


def test_unread_messages_are_batched_into_one_email_per_15_minutes(celery_worker_process, settings):
    settings.MESSAGING_NOTIFY_DELAY_SECONDS = 0
    alice = complete_profile(display_name="Alice Archer").user
    bob = complete_profile(display_name="Bob Baker").user
    conversation = _accepted_conversation(alice, bob)
    emails = MessageNotification.objects.filter(conversation=conversation, recipient=bob)

    for body in ("One", "Two", "Three"):
        services.message_send(conversation=conversation, sender=alice, body=body)

    assert _wait_for(lambda: emails.count() == 1)
    assert _check_now(conversation, bob) in {"nothing_new", "deferred"}
    assert emails.count() == 1

    # A quarter of an hour later, the next message brings the next email, about what is new.
    emails.update(sent_at=timezone.now() - timedelta(minutes=16))
    covered = emails.get().message_count
    services.message_send(conversation=conversation, sender=alice, body="Four")
    assert _wait_for(lambda: emails.count() == 2)
    latest = emails.order_by("-sent_at").first()
    assert latest.message_count == 4 - covered

    # None while Bob uses the app, none once he turned emails off.
    emails.update(sent_at=timezone.now() - timedelta(minutes=16))
    presence_touch(user_id=bob.pk)
    services.message_send(conversation=conversation, sender=alice, body="Five")
    assert _check_now(conversation, bob) == "active"

    from django.core.cache import cache

    services.notifications_unsubscribe(user=bob)
    cache.delete(caches.PRESENCE.key_for(user_id=bob.pk))
    assert _check_now(conversation, bob) == "opted_out"
    assert emails.count() == 2


def test_reading_before_the_check_means_no_email(celery_worker_process, settings):
    settings.MESSAGING_NOTIFY_DELAY_SECONDS = 0
    alice = complete_profile().user
    bob = complete_profile().user
    conversation = _accepted_conversation(alice, bob)
    presence_touch(user_id=bob.pk)
    services.message_send(conversation=conversation, sender=alice, body="Hi")
    services.message_mark_read(conversation=conversation, user=bob)

    from django.core.cache import cache

    cache.delete(caches.PRESENCE.key_for(user_id=bob.pk))

    assert _check_now(conversation, bob) == "nothing_new"
    assert not MessageNotification.objects.filter(recipient=bob).exists()
