"""Structured logs: one event per request and per task, with ids that tie them together."""

import io
import json
import logging
import time

import pytest
from django.conf import settings
from django.urls import reverse


@pytest.fixture
def json_log():
    """What the app writes with LOG_FORMAT=json while the test runs, as parsed lines."""
    options = {k: v for k, v in settings.LOGGING["formatters"]["json"].items() if k != "()"}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(settings.LOGGING["formatters"]["json"]["()"](**options))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(level)


def _named(lines, event):
    return [line for line in lines if line["event"] == event]


def test_every_request_logs_its_outcome_with_the_person_and_a_request_id(member_client, json_log):
    member_client.get(reverse("profiles:me"))
    member_client.get("/no-such-page/")

    finished = _named(json_log(), "request_finished")
    assert [line["code"] for line in finished] == [200, 404]
    assert [line["level"] for line in finished] == ["info", "warning"]
    assert {line["user_id"] for line in finished} == {member_client.profile.user_id}
    started = _named(json_log(), "request_started")
    assert [line["request_id"] for line in started] == [line["request_id"] for line in finished]
    assert len({line["request_id"] for line in finished}) == 2
    assert all(line["timestamp"].endswith("Z") for line in finished)


def test_the_apps_own_lines_carry_the_request_id(member_client, stranger_client, json_log):
    from messaging.models import Report

    url = reverse("messaging:report_person", kwargs={"profile_id": stranger_client.profile.pk})
    member_client.post(url, {"reason": Report.Reason.choices[0][0], "details": "Spam"})

    (finished,) = _named(json_log(), "request_finished")
    (filed,) = [line for line in json_log() if line["event"].startswith("report ")]
    assert filed["logger"] == "messaging.services.moderation"
    assert filed["request_id"] == finished["request_id"]
    assert filed["user_id"] == member_client.profile.user_id


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_task_on_a_real_worker_logs_start_and_success_as_json(celery_worker_process):
    from matching.tasks import recompute_user_matches_task
    from tests.factories import complete_profile

    person = complete_profile()
    result = recompute_user_matches_task.delay(person.user_id)
    result.get(timeout=60)

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = celery_worker_process.log_path.read_text().splitlines()
        mine = [
            event
            for event in (json.loads(line) for line in lines if line.startswith("{"))
            if event.get("task_id") == result.id
        ]
        if {"task_started", "task_succeeded"} <= {event["event"] for event in mine}:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"no task_started and task_succeeded for {result.id} in the worker's log")
    assert all(event["level"] and event["timestamp"] for event in mine)
