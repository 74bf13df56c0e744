"""Conversation requests: an intro the other person accepts or declines, or blocks."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Block, User
from accounts.services import block_create
from intch.inputs import clean_line, clean_text
from messaging import hooks
from messaging.models import (
    INTRO_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    PROMPT_MAX_LENGTH,
    Conversation,
    Message,
    Participant,
)
from messaging.services import live, rules
from messaging.services.messages import (
    accept,
    conversation_changed,
    declined_error,
    post,
    send_locked,
)


def _request(
    conversation: Conversation | None,
    *,
    sender: User,
    recipient: User,
    body: str,
    prompt: str,
    client_token: Any,
) -> Message:
    """Send an intro request, in a new conversation or one that was declined earlier."""
    rules.check_length(body, limit=INTRO_MAX_LENGTH)
    rules.rate_limit_intro(user=sender)
    # What the sender saw when writing goes with the request, for the recipient to weigh.
    reasons = hooks.request_reasons_for(sender=sender, recipient=recipient)
    if conversation is None:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                initiator=sender, recipient=recipient, prompt=prompt, reasons=reasons
            )
    else:
        conversation.initiator, conversation.recipient = sender, recipient
        conversation.status = Conversation.Status.PENDING
        conversation.prompt = prompt
        conversation.reasons = reasons
        conversation.responded_at = None
        conversation.save(
            update_fields=[
                "initiator",
                "recipient",
                "status",
                "prompt",
                "reasons",
                "responded_at",
            ]
        )
    for user in (sender, recipient):
        Participant.objects.get_or_create(conversation=conversation, user=user)
    conversation_changed(conversation)
    live.push_after_commit(
        user_ids=(recipient.pk,),
        event={"kind": "conversation", "conversation_id": conversation.pk, "state": "pending"},
    )
    return post(
        conversation=conversation,
        sender=sender,
        body=body,
        client_token=client_token,
        is_intro=True,
    )


def conversation_start(
    *, sender: User, recipient: User, text: str, prompt: str = "", client_token: Any = None
) -> Message:
    """sender writes to recipient: an intro request, or a message where they already talk.

    Returns the saved message (message.conversation is the conversation).
    """
    duplicate = rules.already_sent(sender=sender, client_token=client_token)
    if duplicate is not None:
        return duplicate
    rules.check_reachable(sender=sender, recipient=recipient)
    body = clean_text(text)
    prompt = clean_line(prompt, max_length=PROMPT_MAX_LENGTH)
    # A request is held to INTRO_MAX_LENGTH below; where they already talk, the usual limit.
    rules.check_length(body, limit=MESSAGE_MAX_LENGTH)
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _start_locked(
                    sender=sender,
                    recipient=recipient,
                    body=body,
                    prompt=prompt,
                    client_token=client_token,
                )
        except IntegrityError:
            # Both people (or one double submit) created the conversation at the same moment.
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _start_locked(
    *, sender: User, recipient: User, body: str, prompt: str, client_token: Any
) -> Message:
    conversation = rules.pair_locked(user=sender, other=recipient)
    duplicate = rules.already_sent(sender=sender, client_token=client_token)
    if duplicate is not None:
        return duplicate
    if conversation is not None and conversation.status != Conversation.Status.DECLINED:
        return send_locked(conversation, sender=sender, body=body, client_token=client_token)
    if conversation is not None:
        cooldown_ends = conversation.decline_cooldown_ends
        if (
            conversation.initiator_id == sender.pk
            and cooldown_ends
            and (cooldown_ends > timezone.now())
        ):
            raise declined_error(conversation)
    return _request(
        conversation,
        sender=sender,
        recipient=recipient,
        body=body,
        prompt=prompt,
        client_token=client_token,
    )


def conversation_accept(*, conversation: Conversation, user: User) -> Conversation:
    """The recipient accepts a request: the conversation opens for both."""
    with transaction.atomic():
        conversation = rules.locked(conversation.pk)
        if conversation.status == Conversation.Status.ACCEPTED and user.pk in (
            conversation.participant_ids
        ):
            return conversation
        if (
            conversation.recipient_id != user.pk
            or conversation.status != Conversation.Status.PENDING
        ):
            raise ValidationError("This request is no longer waiting for your answer.")
        rules.check_reachable(sender=user, recipient=conversation.initiator)
        accept(conversation, user=user)
    return conversation


def conversation_decline(*, conversation: Conversation, user: User) -> Conversation:
    """The recipient declines a request; its sender may not ask again for 30 days."""
    with transaction.atomic():
        conversation = rules.locked(conversation.pk)
        if conversation.status == Conversation.Status.DECLINED and conversation.recipient_id == (
            user.pk
        ):
            return conversation
        if (
            conversation.recipient_id != user.pk
            or conversation.status != Conversation.Status.PENDING
        ):
            raise ValidationError("This request is no longer waiting for your answer.")
        conversation.status = Conversation.Status.DECLINED
        conversation.responded_at = timezone.now()
        conversation.save(update_fields=["status", "responded_at"])
        conversation_changed(conversation)
        live.push_after_commit(
            user_ids=conversation.participant_ids,
            event={"kind": "conversation", "conversation_id": conversation.pk, "state": "declined"},
        )
    return conversation


def conversation_block(*, conversation: Conversation, user: User) -> Block:
    """Block the other person from a thread or a request: no more messages either way."""
    if user.pk not in conversation.participant_ids:
        raise ValidationError("You are not part of this conversation.")
    other = conversation.other_user(user)
    with transaction.atomic():
        block = block_create(blocker=user, blocked=other)
        live.push_after_commit(
            user_ids=conversation.participant_ids,
            event={"kind": "closed", "conversation_id": conversation.pk},
        )
    return block
