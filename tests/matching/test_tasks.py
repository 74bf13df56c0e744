"""Matching tasks on a real Celery worker (services mode: PostgreSQL + Redis)."""

import threading
import time

import pytest
from django.db import connection

from matching import services
from matching.models import Match, MatchRun
from matching.tasks import recompute_all_matches_task, recompute_user_matches_task
from tests.factories import TagFactory, complete_profile

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_full_run_is_split_over_workers_and_recorded(celery_worker_process):
    tags = TagFactory.create_batch(4)
    people = [complete_profile(interests=tags[: 3 + i % 2]) for i in range(8)]
    run_id = recompute_all_matches_task.delay(reason="worker test", people_per_chunk=3).get(
        timeout=60
    )
    assert _wait_for(lambda: MatchRun.objects.get(pk=run_id).status != MatchRun.Status.RUNNING), (
        "the run did not finish"
    )
    run = MatchRun.objects.get(pk=run_id)
    assert run.status == MatchRun.Status.SUCCEEDED
    assert run.chunks_total == 3 and run.chunks_done == 3
    assert run.people == 8
    assert run.matches_written == Match.objects.count() == 8 * 7
    assert all(Match.objects.filter(user=p.user).count() == 7 for p in people)


def test_the_same_task_delivered_twice_leaves_one_list(celery_worker_process):
    tags = TagFactory.create_batch(3)
    me = complete_profile(interests=tags)
    others = [complete_profile(interests=tags) for _ in range(3)]
    first = recompute_user_matches_task.delay(me.user_id)
    second = recompute_user_matches_task.delay(me.user_id)
    first.get(timeout=60)
    second.get(timeout=60)
    assert sorted(Match.objects.filter(user=me.user).values_list("candidate", flat=True)) == sorted(
        p.user_id for p in others
    )


def test_a_reader_never_sees_a_half_written_list(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database with concurrent readers (PostgreSQL)")
    tags = TagFactory.create_batch(3)
    me = complete_profile(interests=tags)
    for _ in range(30):
        complete_profile(interests=tags)
    services.matches_recompute_for_user(user_id=me.user_id)
    seen, stop = [], threading.Event()

    def read():
        from django.db import connection as thread_connection

        try:
            while not stop.is_set():
                rows = list(
                    Match.objects.filter(user=me.user).values_list("computed_at", flat=True)
                )
                seen.append((len(rows), len(set(rows))))
        finally:
            thread_connection.close()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(15):
            services.matches_recompute_for_user(user_id=me.user_id)
    finally:
        stop.set()
        reader.join()
    assert seen, "the reader never ran"
    assert all(count == 30 and stamps == 1 for count, stamps in seen), set(seen)
