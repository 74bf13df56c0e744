"""Site-wide pages: landing, health check and error pages."""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Visitors get the landing page; members go to their home page."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "landing.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Database and broker reachable: 200; otherwise 503 with what failed."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        logger.exception("health check: database unreachable")
        return "unreachable"


def _check_broker():
    if not settings.REDIS_URL:
        return "ok"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
        return "ok"
    except Exception:
        logger.exception("health check: broker unreachable")
        return "unreachable"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token: explain, never a stack trace."""
    return render(request, "errors/403_csrf.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The error page when something broke, possibly the database or Redis.

    Rendered without the request, so no context processor runs: the header's counts, the
    user and the session would touch the very services that may be down, and the page would
    fail in turn (the server's bare 500 would show instead).
    """
    return HttpResponse(
        loader.render_to_string("errors/500.html", {"site_name": settings.SITE_NAME}), status=500
    )


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/429.html", status=429)
