from django.conf import settings
from django.urls import NoReverseMatch, reverse


def _url_or_none(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def site(request):
    """Site-wide template values: the site name and the header's links and badges."""
    unread_count = requests_count = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from messaging.selectors import unread_counts

        counts = unread_counts(user=user)
        unread_count, requests_count = counts["messages"], counts["requests"]
    inbox_url = _url_or_none("messaging:inbox")
    return {
        "site_name": settings.SITE_NAME,
        "nav_messages_url": inbox_url,
        # The header's Messages link opens on the requests while some wait for an answer.
        "nav_messages_href": (_url_or_none("messaging:requests") if requests_count else None)
        or inbox_url,
        # The header badge: unread messages plus requests waiting for an answer.
        "unread_count": unread_count + requests_count,
        "unread_messages_count": unread_count,
        "requests_count": requests_count,
    }
