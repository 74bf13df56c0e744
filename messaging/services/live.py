"""Live updates: each person's open pages hear of changes through the channel layer, and the
header's cached counts are dropped when they change. Both after commit, best effort."""

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Q

from messaging import caches
from messaging.models import Conversation

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """The channel-layer group that reaches every open page of one person."""
    return f"messaging.user.{user_id}"


def unread_counts_forget(*, user_ids: Iterable[int]) -> None:
    """The header counts of these people changed: drop the cached ones, now and after commit."""
    caches.UNREAD_COUNTS.forget_people(user_ids)


def unread_counts_forget_partners(*, user_id: int) -> None:
    """Someone left, was suspended, blocked or unblocked: forget their partners' counts too."""
    partners = Conversation.objects.filter(Q(initiator_id=user_id) | Q(recipient_id=user_id))
    user_ids = {user_id}
    for initiator_id, recipient_id in partners.values_list("initiator_id", "recipient_id"):
        user_ids.update((initiator_id, recipient_id))
    unread_counts_forget(user_ids=user_ids)


def push(*, user_ids: Iterable[int], event: dict[str, Any]) -> None:
    """Tell each person's open pages about `event`. Best effort: pages poll when it fails."""
    try:
        layer = get_channel_layer()
    except Exception:  # a misconfigured layer must not break writes
        logger.warning("no channel layer for a live push", exc_info=True)
        return
    if layer is None:
        return
    for user_id in dict.fromkeys(user_ids):
        try:
            async_to_sync(layer.group_send)(
                user_group(user_id), {"type": "messaging.event", **event}
            )
        except Exception:
            logger.warning(
                "live push of %s to %s failed", event.get("kind"), user_id, exc_info=True
            )


def push_after_commit(*, user_ids: Iterable[int], event: dict[str, Any]) -> None:
    """Drop these people's header counts, and push `event` to their pages once committed."""
    user_ids = tuple(user_ids)
    unread_counts_forget(user_ids=user_ids)
    transaction.on_commit(lambda: push(user_ids=user_ids, event=event), robust=True)
