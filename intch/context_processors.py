from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    """Site-wide template values: the site's name (the header's message links and badges
    come from messaging.context_processors.header_counts)."""
    return {"site_name": settings.SITE_NAME}
