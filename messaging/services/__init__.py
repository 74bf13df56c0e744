"""Writes for messaging, one module per concern; this package's names are its public surface.

- requests: start a conversation (an intro request), accept, decline, block from it.
- messages: post a message, read up to one, accepting a request by writing back.
- notifications: whether an unread-messages email is due, what it says, unsubscribing.
- moderation: reports, and what staff do about them.
- live: pushes to open pages and the header's cached counts.
- rules: what every write checks first (reachability, length, rate limits, locks).
"""

from messaging.services.live import (
    unread_counts_forget,
    unread_counts_forget_partners,
    user_group,
)
from messaging.services.messages import message_mark_read, message_send
from messaging.services.moderation import (
    report_create,
    reports_close_for_suspended,
    reports_dismiss,
    reports_filed_anonymise,
    reports_suspend,
    reports_warn,
)
from messaging.services.notifications import (
    notification_queued_clear,
    notification_send_if_due,
    notifications_unsubscribe,
    unsubscribe_token,
    unsubscribe_user_id,
)
from messaging.services.requests import (
    conversation_accept,
    conversation_block,
    conversation_decline,
    conversation_start,
)
from messaging.services.rules import RATE_LIMITED, UNAVAILABLE

__all__ = [
    "RATE_LIMITED",
    "UNAVAILABLE",
    "conversation_accept",
    "conversation_block",
    "conversation_decline",
    "conversation_start",
    "message_mark_read",
    "message_send",
    "notification_queued_clear",
    "notification_send_if_due",
    "notifications_unsubscribe",
    "report_create",
    "reports_close_for_suspended",
    "reports_dismiss",
    "reports_filed_anonymise",
    "reports_suspend",
    "reports_warn",
    "unread_counts_forget",
    "unread_counts_forget_partners",
    "unsubscribe_token",
    "unsubscribe_user_id",
    "user_group",
]
