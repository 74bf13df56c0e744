import pytest


@pytest.fixture
def password():
    from tests.factories import PASSWORD

    return PASSWORD


@pytest.fixture
def user(db):
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def profile(db):
    from tests.factories import complete_profile

    return complete_profile()


@pytest.fixture
def member_client(client, profile):
    """A logged-in client for a person with a complete profile."""
    client.force_login(profile.user)
    client.profile = profile
    return client


@pytest.fixture
def stranger_client(db):
    """A second logged-in person, for permission tests."""
    from django.test import Client

    from tests.factories import complete_profile

    other = complete_profile()
    stranger = Client()
    stranger.force_login(other.user)
    stranger.profile = other
    return stranger


@pytest.fixture
def tasks_inline(settings):
    """Run Celery tasks in-process for this test, whatever the mode (services or embedded)."""
    from intch.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def committed(django_capture_on_commit_callbacks, tasks_inline):
    """`with committed(): ...` runs what the code inside deferred until its transaction
    commits (the test's own transaction never does): queued tasks run in-process, and emails
    leave the outbox (intch/outbox.py) into mail.outbox."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker (separate process) on the test database; services mode only.

    Tests that use it must commit their data (transactional_db) so the worker sees it.
    """
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.conf import settings
    from django.db import connection

    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL and Redis (services mode: see .ci/run)")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    log_path = Path(settings.BASE_DIR) / "test-artifacts" / "celery-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "intch.settings.test",
        # One JSON object per line, written at once, so tests can read the worker's events.
        "LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }
    log = log_path.open("w")
    worker = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "intch",
            "worker",
            "--loglevel",
            "info",
            "--concurrency",
            "2",
            "--hostname",
            f"test-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=settings.BASE_DIR,
    )
    from intch.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"Celery worker exited early; see {log_path}")
        if app.control.ping(timeout=1.0):
            break
    else:
        worker.kill()
        pytest.fail(f"Celery worker did not answer within 60 s; see {log_path}")
    worker.log_path = log_path
    yield worker
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
    log.close()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and queued-task markers live in the cache: start each test clean."""
    from django.core.cache import cache

    cache.clear()
    return


class SteppedClock:
    """The rate limits' clock (intch.ratelimit.clock), moved only by the test."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def step(self, seconds):
        self.now += seconds


@pytest.fixture
def stepped_clock(monkeypatch):
    """Rate limits read this clock: 0.2 s before a minute (and an hour, and a day) begins."""
    from intch import ratelimit

    clock = SteppedClock(1_767_225_600 - 0.2)  # 2026-01-01T00:00:00Z, less 0.2 s
    monkeypatch.setattr(ratelimit, "clock", clock)
    return clock
