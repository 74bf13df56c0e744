"""What every write in messaging checks first: who may write to whom, how long a message may
be, how many a person may send, and the row locks that make two writes take turns."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import User
from accounts.selectors import blocked_either_way
from intch import ratelimit
from intch.forms import too_long_message
from messaging.models import Conversation, Message

RATE_LIMITED = "rate_limited"
UNAVAILABLE = "This person is not available for messages."


def rate_limit(*, user_id: int, action: str, limit: int, period_seconds: int, message: str) -> None:
    """Count one `action` of the person (intch.ratelimit); refuse past `limit` per period.

    `message` may say {wait}: how long until the next one is allowed.
    """
    decision = ratelimit.hit(
        key=f"messaging:{action}:{user_id}", limit=limit, period=period_seconds
    )
    if not decision.allowed:
        raise ValidationError(
            message.format(wait=ratelimit.wait_text(decision.retry_after)), code=RATE_LIMITED
        )


def rate_limit_intro(*, user: User) -> None:
    limit = settings.MESSAGING_INTRO_REQUESTS_PER_DAY
    rate_limit(
        user_id=user.pk,
        action="intro",
        limit=limit,
        period_seconds=24 * 60 * 60,
        message=(
            f"You have sent {limit} new requests in the last 24 hours, the most we allow. "
            "You can send the next one in {wait}; conversations you already have are not "
            "affected."
        ),
    )


def rate_limit_message(*, user: User) -> None:
    limit = settings.MESSAGING_MESSAGES_PER_MINUTE
    rate_limit(
        user_id=user.pk,
        action="message",
        limit=limit,
        period_seconds=60,
        message=(
            f"You have sent {limit} messages in the last minute, the most we allow. "
            "Please wait {wait} before sending the next one."
        ),
    )


def already_sent(*, sender: User, client_token: Any) -> Message | None:
    """The message a double submit of the same form already created, or None."""
    if not client_token:
        return None
    return (
        Message.objects.select_related("conversation")
        .filter(sender=sender, client_token=client_token)
        .first()
    )


def check_reachable(*, sender: User, recipient: User) -> None:
    """Refuse a message to oneself, to or from a suspended account, or across a block."""
    if sender.pk == recipient.pk:
        raise ValidationError("You cannot send messages to yourself.")
    if not (sender.is_active and recipient.is_active) or blocked_either_way(
        first=sender, second=recipient
    ):
        raise ValidationError(UNAVAILABLE, code="unavailable")


def check_length(body: str, *, limit: int) -> None:
    if not body:
        raise ValidationError("Write a message first.", code="empty")
    if len(body) > limit:
        raise ValidationError(too_long_message(length=len(body), limit=limit), code="too_long")


def locked(conversation_id: int) -> Conversation:
    """The conversation, locked for this transaction (writes to it take turns)."""
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("initiator__profile", "recipient__profile")
        .get(pk=conversation_id)
    )


def pair_locked(*, user: User, other: User) -> Conversation | None:
    """The conversation between two people, locked for this transaction, or None."""
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("initiator__profile", "recipient__profile")
        .filter(Q(initiator=user, recipient=other) | Q(initiator=other, recipient=user))
        .first()
    )
