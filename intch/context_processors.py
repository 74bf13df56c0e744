from django.conf import settings
from django.urls import NoReverseMatch, reverse


def _url_or_none(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def site(request):
    """Site-wide template values: the site name and the header's links and badges."""
    return {
        "site_name": settings.SITE_NAME,
        "nav_messages_url": _url_or_none("messaging:inbox"),
        "unread_count": 0,
    }
