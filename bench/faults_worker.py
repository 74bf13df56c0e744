"""Drill (a): a Celery worker killed in the middle of a full recompute (bench/faults.py)."""

from __future__ import annotations

import calendar
import os
import re
import signal
import subprocess
import threading
import time

from _common import (
    PYTHON,
    ROOT,
    django_call,
    log,
    percentile,
    sql,
)
from faults_services import CHUNK_TASK, DATABASE, Clock, kill_group, report

# --- (a) a worker killed in the middle of a full recompute ----------------------------------


class Worker:
    def __init__(self, env, name, workdir):
        self.env, self.name, self.workdir = env, name, workdir
        self.generation = 0
        self.process = None
        self.log_path = None

    def start(self):
        self.generation += 1
        self.log_path = self.workdir / f"worker-{self.name}-{self.generation}.log"
        with open(self.log_path, "wb") as output:
            self.process = subprocess.Popen(
                [
                    PYTHON, "-m", "celery", "-A", "intch", "worker", "-l", "info",
                    "-c", "1", "-n", f"{self.name}@%h",
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                ],
                cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while " ready." not in self.text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {self.name} did not start:\n{self.text()[-3000:]}")
            time.sleep(0.3)

    def text(self):
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def all_text(self):
        return "".join(
            (self.workdir / f"worker-{self.name}-{n}.log").read_text(errors="replace")
            for n in range(1, self.generation + 1)
        )

    def busy_marker(self):
        """Where in the log the chunk it is computing now was received (None: no chunk)."""
        text = self.text()
        received = text.rfind(f"Task {CHUNK_TASK}[")
        received_line = text[received : text.find("\n", received)] if received >= 0 else ""
        if received < 0 or "received" not in received_line:
            return None
        tail = text[received:]
        if re.search(r"succeeded in|raised|WorkerLostError|exited with", tail):
            return None
        return received

    def current_task(self):
        """The id of the chunk task this worker received last."""
        found = re.findall(rf"Task {CHUNK_TASK}\[([^\]]+)\] received", self.text())
        return found[-1] if found else None

    def pool_pids(self):
        import psutil

        return [child.pid for child in psutil.Process(self.process.pid).children()]


def wait_busy(worker, seconds_into_chunk, timeout=300):
    """Wait until `worker` has been computing one chunk for `seconds_into_chunk` seconds."""
    deadline = time.monotonic() + timeout
    marker, since = None, None
    while time.monotonic() < deadline:
        current = worker.busy_marker()
        if current is None:
            marker = since = None
        elif current != marker:
            marker, since = current, time.monotonic()
        elif time.monotonic() - since >= seconds_into_chunk:
            return True
        time.sleep(0.2)
    return False


class ListPoller(threading.Thread):
    """Reads every person's list size and top rank, again and again, against a baseline."""

    QUERY = "SELECT user_id, count(*), max(rank) FROM matching_match GROUP BY user_id"

    def __init__(self, pg_url, baseline):
        super().__init__(daemon=True)
        self.pg_url, self.baseline = pg_url, baseline
        self.stop_event = threading.Event()
        self.polls, self.violations, self.errors = 0, [], 0
        self.seconds = []

    def run(self):
        import psycopg

        with psycopg.connect(f"{self.pg_url}/{DATABASE}", autocommit=True) as connection:
            while not self.stop_event.is_set():
                started = time.perf_counter()
                try:
                    rows = connection.execute(self.QUERY).fetchall()
                except psycopg.Error:
                    self.errors += 1
                    time.sleep(0.5)
                    continue
                self.seconds.append(time.perf_counter() - started)
                self.polls += 1
                seen = {user_id: (count, top) for user_id, count, top in rows}
                for user_id, count in self.baseline.items():
                    now_count, top = seen.get(user_id, (0, 0))
                    if now_count != count or top != count:
                        self.violations.append((time.time(), user_id, count, now_count, top))
                time.sleep(0.3)


def task_place(redis_url, task_id):
    """Where a task's message is in Redis: the queue, the unacked hash, or nowhere."""
    import redis

    client = redis.Redis.from_url(redis_url)
    if any(task_id.encode() in item for item in client.lrange("celery", 0, -1)):
        return "queue"
    if any(task_id.encode() in item for item in client.hvals("unacked")):
        return "unacked"
    return "nowhere"


def wait_for_place(redis_url, task_id, place, seconds):
    """The task's place once it is `place`, or where it still is after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        found = task_place(redis_url, task_id)
        if found == place or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def delivered_after(logs, task_id, wall, window):
    """Seconds from `wall` to the next delivery of `task_id` in the worker logs, or None.

    Log times are read as UTC, in either format the app has used: "2026-11-22 05:57:31,332"
    (logging's default) or "2026-11-22T05:57:31.332Z" (structlog).
    """
    for line in logs.splitlines():
        if f"Task {CHUNK_TASK}[{task_id}] received" not in line:
            continue
        stamp = re.search(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)", line)
        if stamp is None:
            continue
        delivered = calendar.timegm(time.strptime(" ".join(stamp.groups()), "%Y-%m-%d %H:%M:%S"))
        if wall - 1 < delivered < wall + window:
            return max(0.0, delivered - wall)
    return None


def list_sizes(pg_url):
    rows = sql(pg_url, ListPoller.QUERY, database=DATABASE, fetch=True)
    return {user_id: count for user_id, count, _ in rows}, all(c == t for _, c, t in rows)


def lists_checksum(pg_url):
    return sql(
        pg_url,
        "SELECT md5(string_agg(user_id || ':' || candidate_id || ':' || rank || ':' || score, ','"
        " ORDER BY user_id, rank)) FROM matching_match",
        database=DATABASE,
        fetch=True,
    )[0][0]


def drill_worker(args, env, pg, redis_server, workdir):
    log("Drill worker: SIGKILL Celery workers in the middle of a full recompute")
    clock = Clock()
    visibility = args.task_time_limit + 300  # intch/settings/base.py
    baseline, baseline_whole = list_sizes(pg.url)
    checksum_before = lists_checksum(pg.url)
    people_with_lists = sum(1 for count in baseline.values() if count)
    clock.say(f"{people_with_lists:,} people have a list before the run")
    workers = {name: Worker(env, name, workdir) for name in ("a", "b")}
    poller = ListPoller(pg.url, baseline)
    result = {"drill": "worker", "people_with_lists": people_with_lists, "checks": []}
    try:
        for worker in workers.values():
            worker.start()
        clock.say("workers a and b are ready (one pool process each)")
        poller.start()
        previous_run = sql(
            pg.url, "SELECT coalesce(max(id), 0) FROM matching_matchrun", database=DATABASE,
            fetch=True,
        )[0][0]  # fmt: skip
        django_call(env, "queue_full_recompute", reason="fault drill")
        clock.say("queued recompute_all_matches_task")
        run_started = time.monotonic()

        if not wait_busy(workers["a"], 2.0):
            raise RuntimeError("worker a never computed a chunk")
        pool = workers["a"].pool_pids()
        killed_task = workers["a"].current_task()
        for pid in pool:
            os.kill(pid, signal.SIGKILL)
        killed_pool_at, killed_pool_wall = clock(), time.time()
        clock.say(f"SIGKILL to worker a's pool process {pool} in the middle of a chunk")
        pool_task_place = wait_for_place(redis_server.url, killed_task, "queue", 10)
        clock.say(f"its chunk task is now in Redis: {pool_task_place}")

        if not wait_busy(workers["b"], 2.0):
            raise RuntimeError("worker b never computed a chunk")
        killed_whole_task = workers["b"].current_task()
        kill_group(workers["b"].process, signal.SIGKILL)
        killed_worker_at, killed_worker_wall = clock(), time.time()
        clock.say(f"SIGKILL to all of worker b (pid {workers['b'].process.pid} and its pool)")
        whole_task_place = wait_for_place(redis_server.url, killed_whole_task, "queue", 10)
        clock.say(f"its chunk task is now in Redis: {whole_task_place}")
        workers["b"].start()
        clock.say("worker b started again")

        deadline = time.monotonic() + visibility + 300
        run = None
        last_report = 0.0
        while time.monotonic() < deadline:
            rows = sql(
                pg.url,
                "SELECT id, status, chunks_done, chunks_total, finished_at IS NOT NULL "
                "FROM matching_matchrun WHERE id > %s ORDER BY id DESC LIMIT 1",
                [previous_run],
                database=DATABASE,
                fetch=True,
            )
            run = rows[0] if rows else None
            if run and run[1] != "running":
                break
            if time.monotonic() - last_report > 30:
                last_report = time.monotonic()
                if run:
                    clock.say(f"run {run[0]}: {run[2]}/{run[3]} chunks done")
            time.sleep(1)
        finished_at = clock()
        run_seconds = time.monotonic() - run_started
        clock.say(f"run {run and run[0]} ended: {run and run[1]} after {run_seconds:.0f} s")
    finally:
        poller.stop_event.set()
        for worker in workers.values():
            kill_group(worker.process, signal.SIGTERM)
    poller.join(timeout=30)

    logs = "\n".join(worker.all_text() for worker in workers.values())
    received = len(re.findall(rf"Task {CHUNK_TASK}\[[^\]]+\] received", logs))
    chunks = sql(
        pg.url,
        "SELECT count(*), count(done_at) FROM matching_matchrunchunk WHERE run_id = %s",
        [run[0]] if run else [0],
        database=DATABASE,
        fetch=True,
    )[0]
    after, after_whole = list_sizes(pg.url)
    checksum_after = lists_checksum(pg.url)
    lost_worker_seen = "WorkerLostError" in logs or "signal 9" in logs
    requeued_at = delivered_after(logs, killed_task, killed_pool_wall, visibility - 1)
    redelivered_at = delivered_after(logs, killed_whole_task, killed_worker_wall, 3600)
    checks = [
        (
            "the run finished and succeeded",
            bool(run) and run[1] == "succeeded" and run[2] == run[3],
            f"run {run and run[0]}: status {run and run[1]}, chunks {run and run[2]}/"
            f"{run and run[3]}, {run_seconds:.0f} s after queueing; chunk rows done "
            f"{chunks[1]}/{chunks[0]}",
        ),
        (
            "the killed pool process's chunk was put back in the queue at once",
            lost_worker_seen and pool_task_place == "queue" and requeued_at is not None,
            f"worker a logged the lost pool process: {lost_worker_seen}; within 10 s its task "
            f"was in Redis' {pool_task_place}; delivered again "
            + (f"{requeued_at:.0f} s after the kill" if requeued_at is not None else "never")
            + " (a requeued task goes behind the chunks already waiting)",
        ),
        (
            "the whole-worker kill's chunk was redelivered and the run completed",
            bool(run) and run[1] == "succeeded" and redelivered_at is not None,
            f"worker b killed at {killed_worker_at:.0f} s; its task stayed in Redis' "
            f"{whole_task_place}; delivered again "
            + (f"{redelivered_at:.0f} s later" if redelivered_at is not None else "never")
            + f" (visibility timeout {visibility} s); run finished at {finished_at:.0f} s",
        ),
        (
            "no person ever had an empty or partial list",
            not poller.violations and poller.polls > 0,
            f"{poller.polls} polls of {people_with_lists:,} lists (median "
            f"{(percentile(sorted(poller.seconds), 0.5) or 0) * 1000:.0f} ms each), "
            f"{len(poller.violations)} violations"
            + (f", first: {poller.violations[:3]}" if poller.violations else ""),
        ),
        (
            "every list is whole after the run (count and ranks 1..count)",
            after == baseline and after_whole and baseline_whole,
            f"{sum(1 for c in after.values() if c):,} lists after, sizes equal to before: "
            f"{after == baseline}",
        ),
    ]
    result.update(
        {
            "killed_pool_at": killed_pool_at,
            "killed_worker_at": killed_worker_at,
            "finished_at": finished_at,
            "run_seconds": run_seconds,
            "lists_identical_to_before": checksum_after == checksum_before,
        }
    )
    retries = re.findall(rf"Task {CHUNK_TASK}\[[^\]]+\] retry: [^\n]*", logs)
    deadlocks = sum("deadlock detected" in line for line in retries)
    notes = [
        f"lists identical to before the run (md5 of every list): "
        f"{result['lists_identical_to_before']}",
        f"chunk tasks were delivered {received} times for {run and run[3]} chunks; "
        f"{len(retries)} deliveries ended in an automatic retry, {deadlocks} of them on a "
        "PostgreSQL 'deadlock detected' between two chunks writing at the same time",
    ]
    result["deadlock_retries"] = deadlocks
    return report(result, checks, notes)
