"""Tests: the embedded default unless DATABASE_URL / REDIS_URL say otherwise."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env

DEBUG = False
# The test suite's own key; production refuses to start without a real one.
SECRET_KEY = "test-secret-key-that-is-only-used-by-the-test-suite-0123456789"  # noqa: S105  # nosec B105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="intch-test-media-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    # A fixed name, so the Celery worker that tests start can reach the same database.
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="intch_test")}  # noqa: F405
else:
    # A file, not SQLite's shared in-memory database: browser tests serve pages from other
    # threads (live server, daphne), and a file in WAL mode lets them wait for a lock
    # instead of failing with "database table is locked".
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"intch-test-{os.getpid()}.sqlite3")
    }
