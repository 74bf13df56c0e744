"""messaging's reactions to domain events (intch/events.py): header counts, reports, pages."""

from intch import events
from messaging.services import live, moderation


@events.handles(events.BlockChanged)
def block_changed(event: events.BlockChanged) -> None:
    """A block hides (or an unblock shows again) the two people's conversations."""
    live.unread_counts_forget(user_ids=(event.blocker_id, event.blocked_id))


@events.handles(events.AccountSuspended)
def account_suspended(event: events.AccountSuspended) -> None:
    """The person's open reports are handled, their partners' counts change, and their own
    open pages close."""
    moderation.reports_close_for_suspended(user_id=event.user_id, moderator_id=event.moderator_id)
    live.unread_counts_forget_partners(user_id=event.user_id)
    live.push_after_commit(user_ids=(event.user_id,), event={"kind": "account_closed"})


@events.handles(events.AccountReactivated, events.AccountDeleted)
def account_back_or_gone(event: events.AccountReactivated | events.AccountDeleted) -> None:
    """The person's conversations show again (or go) for everyone they talk to."""
    live.unread_counts_forget_partners(user_id=event.user_id)
