from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from messaging import selectors


def header_counts(request: HttpRequest) -> dict[str, Any]:
    """The header's Messages link and its badge, on every page."""
    unread_count = requests_count = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        counts = selectors.unread_counts(user=user)
        unread_count, requests_count = counts["messages"], counts["requests"]
    inbox_url = reverse("messaging:inbox")
    return {
        "nav_messages_url": inbox_url,
        # The header's Messages link opens on the requests while some wait for an answer.
        "nav_messages_href": reverse("messaging:requests") if requests_count else inbox_url,
        # The header badge: unread messages plus requests waiting for an answer.
        "unread_count": unread_count + requests_count,
        "unread_messages_count": unread_count,
        "requests_count": requests_count,
    }
