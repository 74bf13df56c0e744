"""Messaging's sections of the member's home page: requests waiting, unread conversations."""

from django.urls import reverse

from intch.home_sections import home_section
from messaging import selectors

REQUESTS_SHOWN = 3
CONVERSATIONS_SHOWN = 5


@home_section(key="requests", title="Requests", template="messaging/home/_requests.html", order=10)
def requests_waiting(*, user):
    """The oldest requests waiting for the person's answer, each with its reasons."""
    waiting = list(selectors.requests_for(user=user)[:REQUESTS_SHOWN])
    total = max(selectors.unread_counts(user=user)["requests"], len(waiting))
    return {
        "requests": waiting,
        "empty": not waiting,
        "total": total,
        "title": (
            f"{total} request{'' if total == 1 else 's'} waiting for you" if total else "Requests"
        ),
        "link_url": reverse("messaging:requests"),
        "link_label": f"See all {total}" if total > len(waiting) else "All requests",
    }


@home_section(
    key="unread", title="Unread messages", template="messaging/home/_unread.html", order=20
)
def unread_conversations(*, user):
    """Conversations with messages the person has not read, latest first."""
    unread = list(selectors.inbox_for(user=user).filter(unread_count__gt=0)[:CONVERSATIONS_SHOWN])
    return {
        "conversations": unread,
        "empty": not unread,
        "title": "Unread messages",
        "link_url": reverse("messaging:inbox"),
        "link_label": "All conversations",
    }
