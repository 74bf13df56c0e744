"""accounts' cache families (intch/caches.py)."""

from django.conf import settings

from intch.caches import family


def _active_seconds() -> int:
    return int(settings.MESSAGING_ACTIVE_SECONDS)


PRESENCE = family(
    "accounts.presence",
    key="accounts:active:{user_id}",
    timeout=_active_seconds,
    what="The person opened a page or had a visible page open lately: no emails for now.",
    stale_ok="A mark of recent activity that lapses by itself after MESSAGING_ACTIVE_SECONDS.",
)
