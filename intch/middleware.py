"""Site-wide middleware."""

from django.conf import settings
from django.http import Http404

from intch.views import page_not_found


class SiteNotFoundMiddleware:
    """With DEBUG on, a 404 still shows the site's own page, not Django's list of URL patterns.

    Production (DEBUG off) uses handler404 already; development serves what people will see.
    Only 404s Django makes itself are replaced: an address no URL matches, or a view raising
    Http404. A view that answers 404 on purpose (an htmx partial, say) is left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
        ):
            return self._page(request)
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return self._page(request, exception)
        return None

    @staticmethod
    def _page(request, exception=None):
        return page_not_found(request, exception)
