"""messaging's cache families (intch/caches.py)."""

from intch import events
from intch.caches import family

UNREAD_COUNTS = family(
    "messaging.unread_counts",
    key="messaging:unread:{user_id}",
    timeout=120,
    what="The header badge's counts: unread messages and requests waiting for an answer.",
    dropped_by=(
        events.BlockChanged,
        events.AccountSuspended,
        events.AccountReactivated,
        events.AccountDeleted,
    ),
    also_dropped="messaging's own writes: a request, a message, an answer, a read, a block "
    "from a conversation (both people; the partners of a person who leaves or comes back).",
)
NOTIFY_QUEUED = family(
    "messaging.notify_queued",
    key="messaging:notify-queued:{conversation_id}:{recipient_id}",
    timeout=60,
    what="A deferred check for an unread-messages email is queued: later messages share it.",
    also_dropped="the deferred check, when it starts (services.notification_queued_clear).",
)
