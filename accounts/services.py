"""Writes for accounts: blocking, suspending and reactivating, deleting, presence.

Each write announces what changed (intch.events); the apps built on accounts react in their
handlers (matches recomputed, header counts and cached pages dropped, reports closed).
"""

import logging

from allauth.usersessions.models import UserSession
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import caches
from accounts.models import Block, User
from intch import events, personal_data

logger = logging.getLogger(__name__)


def block_create(*, blocker: User, blocked: User) -> Block:
    """blocker blocks blocked: both vanish from each other's matches and pages."""
    if blocker.pk == blocked.pk:
        raise ValidationError("You cannot block yourself.")
    with transaction.atomic():
        block, _ = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
        events.emit(events.BlockChanged(blocker_id=blocker.pk, blocked_id=blocked.pk, blocked=True))
    return block


def block_delete(*, blocker: User, blocked: User) -> None:
    """Undo a block; matches come back at the next recompute."""
    with transaction.atomic():
        Block.objects.filter(blocker=blocker, blocked=blocked).delete()
        events.emit(
            events.BlockChanged(blocker_id=blocker.pk, blocked_id=blocked.pk, blocked=False)
        )


def account_suspend(*, user: User, moderator: User | None = None) -> User:
    """A suspended person cannot log in and vanishes from matches, search and others' messages."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        events.emit(
            events.AccountSuspended(user_id=user.pk, moderator_id=getattr(moderator, "pk", None))
        )
    logger.info("user %s suspended by %s", user.pk, getattr(moderator, "pk", None))
    return user


def account_reactivate(*, user: User, moderator: User | None = None) -> User:
    """Lift a suspension: the person logs in again and is back in matches, conversations
    and search (their lists are recomputed at once)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        events.emit(events.AccountReactivated(user_id=user.pk))
    logger.info("user %s reactivated by %s", user.pk, getattr(moderator, "pk", None))
    return user


def account_delete(*, user: User) -> None:
    """Delete an account and everything tied to it, as intch.personal_data declares.

    The apps hear of it first (they drop what they cached about the person and their
    partners), every app's eraser runs (every session on every device ends), then the
    account's row goes and the database deletes or anonymises what refers to it.
    """
    with transaction.atomic():
        events.emit(events.AccountDeleted(user_id=user.pk))
        personal_data.erase(user=user)
        User.objects.filter(pk=user.pk).delete()


def sessions_end(*, user: User) -> None:
    """Log the person out everywhere: every session allauth tracks for them ends."""
    for session in UserSession.objects.filter(user=user):
        session.end()


def presence_touch(*, user_id: int) -> None:
    """Note that the person is using the app now: no emails while they are."""
    caches.PRESENCE.set(1, user_id=user_id)
