import os
import subprocess
import sys

import pytest
from django.conf import settings

ROOT = settings.BASE_DIR


def _check(env_overrides, *args):
    skip = ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(env_overrides)
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _check({"DJANGO_SETTINGS_MODULE": "intch.settings.production", "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_passes_check_deploy_with_a_real_secret_key():
    result = _check(
        {
            "DJANGO_SETTINGS_MODULE": "intch.settings.production",
            "SECRET_KEY": "x7" * 20 + "abcdefghijklmnop",
            "ALLOWED_HOSTS": "intch.example.org",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_embedded_default_runs_tasks_in_process_and_caches_in_memory():
    if settings.REDIS_URL:
        pytest.skip("services mode")
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def test_services_mode_uses_redis_for_broker_cache_and_rate_limits():
    if not settings.REDIS_URL:
        pytest.skip("embedded default")
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


def test_celery_is_configured_for_safe_redelivery():
    from intch.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_serializer == "json"
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit
