"""The outbox: an email is recorded in the transaction and sent after commit, once."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from intch import outbox
from intch.models import OutboxEmail
from intch.tasks import outbox_send_task, outbox_sweep_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _message(subject="Hello from intch"):
    message = EmailMultiAlternatives(subject=subject, body="Text part", to=["nora@mail.test"])
    message.attach_alternative("<p>HTML part</p>", "text/html")
    return message


def test_an_email_leaves_after_commit_with_both_parts_then_only_its_record_stays(committed):
    user = UserFactory(email="nora@mail.test")
    with committed():
        email = outbox.email_enqueue(message=_message(), kind="test", user=user)
        assert mail.outbox == []  # nothing leaves before the transaction commits

    (sent,) = mail.outbox
    assert (sent.subject, sent.body, sent.to) == ("Hello from intch", "Text part", [user.email])
    assert sent.alternatives[0] == ("<p>HTML part</p>", "text/html")
    email.refresh_from_db()
    assert (email.status, email.attempts, email.body, email.html) == ("sent", 1, "", "")
    assert email.sent_at is not None
    assert outbox.emails_export(user=user)[0]["subject"] == "Hello from intch"


def test_a_rolled_back_transaction_sends_nothing(committed):
    with committed():
        try:
            with transaction.atomic():
                outbox.email_enqueue(message=_message(), kind="test")
                raise RuntimeError("the write failed")
        except RuntimeError:
            pass

    assert mail.outbox == []
    assert not OutboxEmail.objects.exists()


def test_a_task_delivered_twice_sends_once(tasks_inline):
    email = outbox.email_enqueue(message=_message(), kind="test")  # not committed: not sent

    assert outbox_send_task(email.pk) == "sent"
    assert outbox_send_task(email.pk) == "skipped"
    assert len(mail.outbox) == 1


def test_a_row_another_worker_is_sending_is_left_alone(tasks_inline):
    email = outbox.email_enqueue(message=_message(), kind="test")
    OutboxEmail.objects.filter(pk=email.pk).update(status="sending", claimed_at=timezone.now())

    assert outbox.email_send(email_id=email.pk) == "skipped"
    assert mail.outbox == []


def test_a_failed_send_goes_back_to_pending_and_the_retry_sends_it(monkeypatch, tasks_inline):
    email = outbox.email_enqueue(message=_message(), kind="test")

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("the mail server went away")

    with monkeypatch.context() as patched:
        patched.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            outbox.email_send(email_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 1)
    assert "went away" in email.last_error

    assert outbox.email_send(email_id=email.pk) == "sent"
    assert len(mail.outbox) == 1


def test_the_sweeper_sends_what_a_lost_task_or_a_dead_sender_left(tasks_inline):
    lost = outbox.email_enqueue(message=_message("Lost"), kind="test")
    dead = outbox.email_enqueue(message=_message("Dead"), kind="test")
    fresh = outbox.email_enqueue(message=_message("Fresh"), kind="test")
    long_ago = timezone.now() - timedelta(hours=1)
    OutboxEmail.objects.filter(pk=lost.pk).update(created_at=long_ago)
    OutboxEmail.objects.filter(pk=dead.pk).update(status="sending", claimed_at=long_ago)

    assert outbox_sweep_task() == 2

    assert sorted(email.subject for email in mail.outbox) == ["Dead", "Lost"]
    fresh.refresh_from_db()
    assert fresh.status == "pending"  # its own task is still on its way


def test_old_records_of_no_one_are_purged(tasks_inline):
    email = outbox.email_enqueue(message=_message(), kind="test")
    outbox.email_send(email_id=email.pk)
    OutboxEmail.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - timedelta(days=outbox.KEEP_DAYS + 1)
    )

    outbox.emails_sweep()

    assert not OutboxEmail.objects.exists()


def test_an_unread_messages_email_leaves_after_the_lock_is_released(committed, settings):
    """The check records the email under the participant row's lock; the send comes after."""
    from messaging import services
    from tests.factories import complete_profile, conversation_between

    settings.MESSAGING_NOTIFY_EVERY_SECONDS = 0
    alice, bob = complete_profile().user, complete_profile().user
    conversation = conversation_between(alice, bob, accepted=False)
    with committed():
        assert (
            services.notification_send_if_due(conversation_id=conversation.pk, recipient_id=bob.pk)
            == "sent"
        )
        assert mail.outbox == []
        assert OutboxEmail.objects.get().status == "pending"

    assert [email.to for email in mail.outbox] == [[bob.email]]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_a_committed_email_once(celery_worker_process):
    """Services mode: the row is committed, its task goes through Redis to the worker process,
    which claims it and marks it sent (the worker's own mail backend holds the email)."""
    import time

    email = outbox.email_enqueue(message=_message("Through the worker"), kind="test")

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        email.refresh_from_db()
        if email.status == OutboxEmail.Status.SENT:
            break
        time.sleep(0.2)
    assert (email.status, email.attempts, email.body) == ("sent", 1, "")
    assert outbox_send_task.delay(email.pk).get(timeout=30) == "skipped"  # never twice
