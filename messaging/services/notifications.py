"""Emails about unread messages: when one is due, what it says, and the unsubscribe link.

The check runs in a task (after a delay, so someone who reads at once gets none). It takes
turns on the recipient's participant row and records the email in the outbox
(intch/outbox.py) in the same transaction; the email leaves after commit, never inside the
lock, so a slow mail server never stalls the person opening their conversation.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.selectors import blocked_either_way, person_is_active
from intch.celery import app
from intch.emails import email_message
from intch.outbox import email_enqueue
from messaging import caches
from messaging.models import Conversation, Message, MessageNotification, Participant
from profiles.selectors import person_name
from profiles.services import profile_ensure, profile_update

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "messaging.unsubscribe"


def unsubscribe_token(*, user: User) -> str:
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_user_id(*, token: str) -> int | None:
    """The person an unsubscribe link belongs to, or None for a forged or broken link."""
    try:
        return int(signing.loads(token, salt=UNSUBSCRIBE_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def notifications_unsubscribe(*, user: User) -> None:
    """Turn off email notifications (the one-click link in every email)."""
    profile_update(profile=profile_ensure(user=user), data={"email_notifications": False})


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# --- Queueing the checks --------------------------------------------------------------------


def notification_check_later(*, conversation_id: int, recipient_id: int, countdown: int) -> None:
    """Queue a check for an email about this conversation (called after commit)."""
    # Imported here: the tasks module imports the services (the services<->tasks pair).
    from messaging import tasks

    try:
        tasks.notify_unread_task.apply_async(
            args=(conversation_id, recipient_id), countdown=countdown
        )
    except Exception:
        logger.warning(
            "could not queue the email about conversation %s to %s",
            conversation_id,
            recipient_id,
            exc_info=True,
        )


def notification_queued_clear(*, conversation_id: int, recipient_id: int) -> None:
    """Called when a deferred check starts, so later messages can defer another one."""
    caches.NOTIFY_QUEUED.delete(conversation_id=conversation_id, recipient_id=recipient_id)


def _check_again_later(*, conversation_id: int, recipient_id: int, countdown: float) -> None:
    # Imported here: the tasks module imports the services (the services<->tasks pair).
    from messaging import tasks

    if app.conf.task_always_eager:
        # In-process tasks run at once and cannot wait: the next message checks again.
        return

    def enqueue() -> None:
        if caches.NOTIFY_QUEUED.add(
            1,
            timeout=int(countdown) + 60,
            conversation_id=conversation_id,
            recipient_id=recipient_id,
        ):
            tasks.notify_unread_task.apply_async(
                args=(conversation_id, recipient_id),
                kwargs={"deferred": True},
                countdown=countdown,
            )

    transaction.on_commit(enqueue, robust=True)


# --- The check ------------------------------------------------------------------------------


def _parties(conversation_id: int, recipient_id: int) -> tuple[Conversation, User, User, bool]:
    """(conversation, recipient, sender, whether it is a request waiting for the recipient)."""
    conversation = Conversation.objects.select_related(
        "initiator__profile", "recipient__profile"
    ).get(pk=conversation_id)
    recipient = conversation.recipient
    if conversation.initiator_id == recipient_id:
        recipient = conversation.initiator
    is_request = (
        conversation.status == Conversation.Status.PENDING
        and conversation.recipient_id == recipient_id
    )
    return conversation, recipient, conversation.other_user(recipient), is_request


def _refusal(conversation: Conversation, *, recipient: User, sender: User, is_request: bool) -> str:
    """Why this person gets no email about this conversation at all, or ""."""
    if (
        not (recipient.is_active and sender.is_active)
        or (conversation.status != Conversation.Status.ACCEPTED and not is_request)
        or blocked_either_way(first=recipient, second=sender)
    ):
        return "hidden"
    profile = getattr(recipient, "profile", None)
    if profile is None or not profile.email_notifications:
        return "opted_out"
    return ""


def _news(*, conversation_id: int, recipient_id: int, since: int) -> dict[str, Any]:
    """{"count", "newest"} of the messages from the other person after message `since`."""
    return (
        Message.objects.filter(conversation_id=conversation_id, pk__gt=since)
        .exclude(sender_id=recipient_id)
        .aggregate(count=Count("pk"), newest=Max("pk"))
    )


def _postponed(
    *, recipient_id: int, last: MessageNotification | None, now: datetime
) -> tuple[str, float] | None:
    """(outcome, seconds to wait) when an email is not due yet, else None."""
    if person_is_active(user_id=recipient_id):
        # Check again once they could have left without reading.
        return "active", settings.MESSAGING_ACTIVE_SECONDS
    every = timedelta(seconds=settings.MESSAGING_NOTIFY_EVERY_SECONDS)
    if last is not None and last.sent_at > now - every:
        return "deferred", max((last.sent_at + every - now).total_seconds(), 1)
    return None


def notification_send_if_due(*, conversation_id: int, recipient_id: int) -> str:
    """Email a person about unread messages in one conversation, if they should get one.

    At most one email per conversation per MESSAGING_NOTIFY_EVERY_SECONDS, only about messages
    no earlier email covered, none while the person is active in the app, none if they turned
    emails off. Returns what happened, for logs and tests.
    """
    now = timezone.now()
    with transaction.atomic():
        # The lock makes two checks for the same person and conversation take turns.
        participant = (
            Participant.objects.select_for_update()
            .filter(conversation_id=conversation_id, user_id=recipient_id)
            .first()
        )
        if participant is None:
            return "gone"
        conversation, recipient, sender, is_request = _parties(conversation_id, recipient_id)
        refusal = _refusal(conversation, recipient=recipient, sender=sender, is_request=is_request)
        if refusal:
            return refusal
        last = (
            MessageNotification.objects.filter(
                conversation_id=conversation_id, recipient_id=recipient_id
            )
            .order_by("-sent_at")
            .first()
        )
        since = max(participant.last_read_message_id, last.through_message_id if last else 0)
        news = _news(conversation_id=conversation_id, recipient_id=recipient_id, since=since)
        if not news["count"]:
            return "nothing_new"
        postponed = _postponed(recipient_id=recipient_id, last=last, now=now)
        if postponed is not None:
            outcome, countdown = postponed
            _check_again_later(
                conversation_id=conversation_id, recipient_id=recipient_id, countdown=countdown
            )
            return outcome
        MessageNotification.objects.create(
            conversation=conversation,
            recipient=recipient,
            through_message_id=news["newest"],
            message_count=news["count"],
            sent_at=now,
        )
        _unread_email_enqueue(
            recipient=recipient,
            sender=sender,
            conversation=conversation,
            count=news["count"],
            is_request=is_request,
        )
    return "sent"


def _unread_email_enqueue(
    *, recipient: User, sender: User, conversation: Conversation, count: int, is_request: bool
) -> None:
    """Record the email in the outbox; it leaves once the check's transaction commits."""
    sender_name = person_name(user=sender)
    site_name = settings.SITE_NAME
    if is_request:
        subject = f"{sender_name} would like to connect with you on {site_name}"
    elif count == 1:
        subject = f"{sender_name} sent you a message on {site_name}"
    else:
        subject = f"{sender_name} sent you {count} messages on {site_name}"
    unsubscribe_url = absolute(
        reverse("messaging:unsubscribe", kwargs={"token": unsubscribe_token(user=recipient)})
    )
    context = {
        "recipient_name": person_name(user=recipient),
        "sender_name": sender_name,
        "count": count,
        "is_request": is_request,
        "thread_url": absolute(conversation.get_absolute_url()),
        "settings_url": absolute(reverse("profiles:settings")),
        "unsubscribe_url": unsubscribe_url,
        "every_minutes": settings.MESSAGING_NOTIFY_EVERY_SECONDS // 60,
    }
    message = email_message(
        subject=subject,
        to=[recipient.email],
        text_template="messaging/email/unread.txt",
        html_template="messaging/email/unread.html",
        context=context,
        headers={
            # RFC 8058: mail clients show an unsubscribe button that POSTs to this link.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email_enqueue(message=message, kind="messaging.unread", user=recipient)
