"""Messages in a conversation: posting one, reading up to one, and accepting a request by
writing back. A message is committed before anything else happens: the live push and the
email come after commit, and a failure in either never loses the message."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from intch import events
from intch.inputs import clean_text
from messaging.models import MESSAGE_MAX_LENGTH, Conversation, Message, Participant
from messaging.services import live, notifications, rules
from profiles.selectors import person_name


def post(
    *,
    conversation: Conversation,
    sender: User,
    body: str,
    client_token: Any,
    is_intro: bool = False,
) -> Message:
    """Save one message and move the conversation's activity; the caller holds the lock."""
    now = timezone.now()
    message = Message(
        conversation=conversation,
        sender=sender,
        body=body,
        client_token=client_token or None,
        is_intro=is_intro,
        created_at=now,
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # The same form was submitted twice at once and the other request won.
        existing = rules.already_sent(sender=sender, client_token=client_token)
        if existing is None:
            raise
        return existing
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message=message, last_message_at=now
    )
    conversation.last_message, conversation.last_message_at = message, now
    # Your own message counts as read by you.
    Participant.objects.filter(
        conversation=conversation, user=sender, last_read_message_id__lt=message.pk
    ).update(last_read_message_id=message.pk, last_read_at=now)
    recipient_id = conversation.other_user_id(sender.pk)
    live.unread_counts_forget(user_ids=(sender.pk, recipient_id))
    transaction.on_commit(
        lambda: _after_message(
            message_id=message.pk,
            conversation_id=conversation.pk,
            sender_id=sender.pk,
            recipient_id=recipient_id,
        ),
        robust=True,
    )
    return message


def _after_message(
    *, message_id: int, conversation_id: int, sender_id: int, recipient_id: int
) -> None:
    live.push(
        user_ids=(recipient_id, sender_id),
        event={
            "kind": "message",
            "conversation_id": conversation_id,
            "message_id": message_id,
            "sender_id": sender_id,
        },
    )
    notifications.notification_check_later(
        conversation_id=conversation_id,
        recipient_id=recipient_id,
        countdown=settings.MESSAGING_NOTIFY_DELAY_SECONDS,
    )


def mark_read(*, conversation_id: int, user_id: int, through_message_id: int) -> bool:
    updated = Participant.objects.filter(
        conversation_id=conversation_id,
        user_id=user_id,
        last_read_message_id__lt=through_message_id,
    ).update(last_read_message_id=through_message_id, last_read_at=timezone.now())
    return bool(updated)


def accept(conversation: Conversation, *, user: User) -> None:
    """Open a request for both; the caller holds the lock and checked who may."""
    conversation.status = Conversation.Status.ACCEPTED
    conversation.responded_at = timezone.now()
    conversation.save(update_fields=["status", "responded_at"])
    if conversation.last_message_id:
        # Accepting means the request was read.
        mark_read(
            conversation_id=conversation.pk,
            user_id=user.pk,
            through_message_id=conversation.last_message_id,
        )
    conversation_changed(conversation)
    live.push_after_commit(
        user_ids=conversation.participant_ids,
        event={"kind": "conversation", "conversation_id": conversation.pk, "state": "accepted"},
    )


def conversation_changed(conversation: Conversation) -> None:
    """Tell the apps that a conversation started or changed state (intch.events)."""
    events.emit(
        events.ConversationChanged(
            conversation_id=conversation.pk,
            user_ids=conversation.participant_ids,
            state=conversation.status,
        )
    )


def waiting_error(conversation: Conversation) -> ValidationError:
    return ValidationError(
        f"You can write again once {person_name(user=conversation.recipient)} accepts your "
        "request.",
        code="pending",
    )


def declined_error(conversation: Conversation) -> ValidationError:
    return ValidationError(
        f"{person_name(user=conversation.recipient)} is not taking new conversations right "
        "now. You can send a new request after "
        f"{date_format(conversation.decline_cooldown_ends or timezone.now(), 'j F Y')}.",
        code="declined",
    )


def send_locked(
    conversation: Conversation, *, sender: User, body: str, client_token: Any
) -> Message:
    """Post into a locked conversation, whatever state it is in (or say why not)."""
    if sender.pk not in conversation.participant_ids:
        raise ValidationError("You are not part of this conversation.")
    if conversation.status == Conversation.Status.PENDING:
        if conversation.initiator_id == sender.pk:
            raise waiting_error(conversation)
        # Writing back to someone who asked first accepts their request.
        accept(conversation, user=sender)
    elif conversation.status == Conversation.Status.DECLINED:
        if conversation.initiator_id == sender.pk:
            raise declined_error(conversation)
        raise ValidationError("You declined this request.", code="declined")
    rules.check_length(body, limit=MESSAGE_MAX_LENGTH)
    rules.check_reachable(sender=sender, recipient=conversation.other_user(sender))
    rules.rate_limit_message(user=sender)
    return post(conversation=conversation, sender=sender, body=body, client_token=client_token)


def message_send(
    *, conversation: Conversation, sender: User, body: str, client_token: Any = None
) -> Message:
    """Post a message in a conversation; the same client token twice is one message."""
    duplicate = rules.already_sent(sender=sender, client_token=client_token)
    if duplicate is not None:
        return duplicate
    body = clean_text(body)
    rules.check_length(body, limit=MESSAGE_MAX_LENGTH)
    with transaction.atomic():
        conversation = rules.locked(conversation.pk)
        duplicate = rules.already_sent(sender=sender, client_token=client_token)
        if duplicate is not None:
            return duplicate
        return send_locked(conversation, sender=sender, body=body, client_token=client_token)


def message_mark_read(
    *, conversation: Conversation, user: User, through_message_id: int | str | None = None
) -> bool:
    """The person has read the conversation up to `through_message_id` (default: all of it).

    Returns True if that moved their read marker; the other person's pages then show "Seen".
    """
    last_id = (
        Conversation.objects.filter(pk=conversation.pk)
        .values_list("last_message_id", flat=True)
        .first()
    )
    if not last_id:
        return False
    target = min(int(through_message_id), last_id) if through_message_id else last_id
    with transaction.atomic():
        moved = mark_read(
            conversation_id=conversation.pk, user_id=user.pk, through_message_id=target
        )
        if moved:
            live.push_after_commit(
                user_ids=(conversation.other_user_id(user.pk), user.pk),
                event={
                    "kind": "read",
                    "conversation_id": conversation.pk,
                    "reader_id": user.pk,
                    "message_id": target,
                },
            )
    return moved
