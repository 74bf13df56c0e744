"""Settings shared by every mode, read from the environment.

Embedded default: SQLite, in-process Celery, local memory cache.
Services mode: set DATABASE_URL and REDIS_URL.
"""

from pathlib import Path

import django_stubs_ext
import environ
import structlog
from celery.schedules import crontab

# Generic classes of Django (ContentFile[bytes], Page[Profile]) in annotations, as mypy reads
# them with django-stubs, work at run time too.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_ID = 1
SITE_NAME = "intch"

INSTALLED_APPS = [
    # daphne first: its runserver serves HTTP and WebSockets (ASGI) in development.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.usersessions",
    "django_htmx",
    "django_celery_beat",
    "taggit",
    "csp",
    "channels",
    "django_structlog",
    # intch's own apps in their layer order, lowest first (docs/architecture.md): each imports
    # only the ones above it in this list, and their event handlers run in this order.
    "intch",
    "accounts",
    "profiles",
    "messaging",
    "matching",
    "search",
    "home",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # One structured event per request (request_id, user_id, status, duration).
    "django_structlog.middlewares.RequestMiddleware",
    "accounts.middleware.PresenceMiddleware",
    "intch.middleware.SiteNotFoundMiddleware",
]

ROOT_URLCONF = "intch.urls"
WSGI_APPLICATION = "intch.wsgi.application"
ASGI_APPLICATION = "intch.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "intch.context_processors.site",
                "messaging.context_processors.header_counts",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a seeding or matching job writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # 0: the web runs under ASGI, where each request runs on a thread of its own, so a kept
    # connection is never reused and lingers until garbage-collected (Django's docs advise
    # against persistent connections under ASGI). Workers may set CONN_MAX_AGE=60.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, results, cache, rate limits -------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis keeps one client per connection pool: building a redis.Redis per
            # cache operation (Django's own backend does) costs more than the round trip.
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "intch",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions are read on every page: kept in the cache (Redis in services mode) and written
# through to the database, so a cache restart logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Channels: WebSockets for live messages ------------------------------------
# With Redis every web process shares one channel layer; the embedded default keeps it in
# memory, which is right for one process (make run) and nothing more.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "intch:channels:"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery ---------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without Redis, tasks run in-process at the moment they are queued.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
# Tasks are idempotent, so a task is acknowledged only after it ran and is
# redelivered when its worker dies mid-way.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Must exceed the longest task, or Redis redelivers a task that is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Auth and allauth -----------------------------------------------------------
# People log in with their email address; accounts have no username (accounts.models.User).
AUTH_USER_MODEL = "accounts.User"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
# Members land on their home page (after logging in, confirming their email, onboarding).
LOGIN_REDIRECT_URL = "home:index"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_ADAPTER = "profiles.adapters.AccountAdapter"
# How allauth names a person on its pages and in its emails: their name, else their address.
ACCOUNT_USER_DISPLAY = "profiles.adapters.user_display"
# Subjects name intch themselves (templates/account/email/*_subject.txt); no "[site] " prefix.
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_SIGNUP_REDIRECT_URL = "profiles:onboarding"
# allauth's default rate limits stay on; they live in the cache, so Redis shares
# them between processes in services mode.
ACCOUNT_RATE_LIMITS: dict[str, str] = {}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "intch"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_ADAPTER = "profiles.adapters.SocialAccountAdapter"


def _social_providers():
    """Each provider is switched on by its own credentials in the environment."""
    providers = {}
    if env.str("LINKEDIN_CLIENT_ID", default=""):
        providers["openid_connect"] = {
            "APPS": [
                {
                    "provider_id": "linkedin",
                    "name": "LinkedIn",
                    "client_id": env.str("LINKEDIN_CLIENT_ID"),
                    "secret": env.str("LINKEDIN_CLIENT_SECRET"),
                    "settings": {
                        "server_url": "https://www.linkedin.com/oauth",
                        "scope": ["openid", "profile", "email"],
                    },
                }
            ]
        }
    if env.str("GOOGLE_CLIENT_ID", default=""):
        providers["google"] = {
            "APPS": [
                {
                    "client_id": env.str("GOOGLE_CLIENT_ID"),
                    "secret": env.str("GOOGLE_CLIENT_SECRET"),
                }
            ],
            "SCOPE": ["profile", "email"],
        }
    return providers


# The provider apps are always installed; a button shows only for a provider whose
# credentials are configured (allauth lists providers that have an app).
SOCIALACCOUNT_PROVIDERS = _social_providers()
INSTALLED_APPS += [
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.google",
]

# --- Email ------------------------------------------------------------------------
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="intch <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- I18n, static, media ----------------------------------------------------------
LANGUAGE_CODE = "en"
# intch's English for its dependencies' words (allauth's pages): one voice, sentence case.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

# --- Security headers that hold in every mode --------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_FAILURE_VIEW = "intch.views.csrf_failure"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Logging ---------------------------------------------------------------------
# Structured logs (structlog through django-structlog): every request logs request_started
# and request_finished (request_id, user_id, ip, status code), every Celery task
# task_enqueued / task_started / task_succeeded / task_failed with its task_id and the
# request_id that queued it, and our own log lines carry the same context. LOG_FORMAT=json
# writes one JSON object per line (for a log collector); "plain" is for people.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
DJANGO_STRUCTLOG_CELERY_ENABLED = True
_LOG_CHAIN = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
structlog.configure(
    processors=[
        *_LOG_CHAIN,  # type: ignore[list-item]
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
            "foreign_pre_chain": _LOG_CHAIN,
        },
        "plain": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(
                    colors=False, exception_formatter=structlog.dev.plain_traceback
                ),
            ],
            "foreign_pre_chain": _LOG_CHAIN,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-structlog logs each request; the server's own access line would repeat it.
        "django.server": {"level": "WARNING"},
        "faker": {"level": "WARNING"},
    },
}

# --- intch ------------------------------------------------------------------------
INTCH_DEMO_PASSWORD = env.str("INTCH_DEMO_PASSWORD", default="intch-demo-2026")

# Absolute links in emails sent outside a request (message notifications).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Messaging ----------------------------------------------------------------------
MESSAGING_INTRO_REQUESTS_PER_DAY = env.int("MESSAGING_INTRO_REQUESTS_PER_DAY", default=20)
MESSAGING_MESSAGES_PER_MINUTE = env.int("MESSAGING_MESSAGES_PER_MINUTE", default=30)
# First email this long after a message, so someone who reads it at once gets none.
MESSAGING_NOTIFY_DELAY_SECONDS = env.int("MESSAGING_NOTIFY_DELAY_SECONDS", default=120)
# At most one email per conversation per this many seconds.
MESSAGING_NOTIFY_EVERY_SECONDS = env.int("MESSAGING_NOTIFY_EVERY_SECONDS", default=15 * 60)
# A person counts as active in the app for this long after a page view or socket heartbeat.
MESSAGING_ACTIVE_SECONDS = env.int("MESSAGING_ACTIVE_SECONDS", default=120)

# --- Matching (docs/matching.md explains each number) ------------------------------
MATCHING_K = env.int("MATCHING_K", default=100)
MATCHING_WEIGHTS = {
    "interest_weight": env.float("MATCHING_INTEREST_WEIGHT", default=1.0),
    "value_weight": env.float("MATCHING_VALUE_WEIGHT", default=0.8),
    "goal_bonus": env.float("MATCHING_GOAL_BONUS", default=0.2),
}
MATCHING_COALESCE_SECONDS = env.int("MATCHING_COALESCE_SECONDS", default=60)
MATCHING_CHUNK_SIZE = env.int("MATCHING_CHUNK_SIZE", default=5000)
CELERY_BEAT_SCHEDULE = {
    "recompute-all-matches-nightly": {
        "task": "matching.recompute_all_matches",
        "schedule": crontab(hour=env.int("MATCHING_NIGHTLY_HOUR", default=3), minute=0),
        "kwargs": {"reason": "nightly"},
    },
    # Emails whose task was lost (the broker was down) or whose sender died (intch/outbox.py).
    "outbox-sweep": {"task": "intch.outbox_sweep", "schedule": 5 * 60},
}
