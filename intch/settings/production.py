"""Production: refuses to start without a real SECRET_KEY; passes check --deploy."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import MIDDLEWARE, env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "Set SECRET_KEY to a long random value (at least 50 characters), e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

# One JSON object per log line, for a log collector (LOG_FORMAT=plain for people).
LOGGING["handlers"]["console"]["formatter"] = env.str("LOG_FORMAT", default="json")  # type: ignore[index]  # noqa: F405

ACCOUNT_EMAIL_VERIFICATION = "mandatory"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
MIDDLEWARE = list(MIDDLEWARE)
# Health checks from compose and load balancers arrive on the loopback address.
ALLOWED_HOSTS = [*env.list("ALLOWED_HOSTS", default=[]), "127.0.0.1", "localhost"]
