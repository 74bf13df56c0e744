"""Fault drills: a Celery worker killed mid-recompute, Redis restarted mid-burst, PostgreSQL
stopped while people browse. Each drill prints PASS or FAIL with what it checked.

Usage:
    python bench/faults.py [--users 10000] [--drills worker,redis,postgres]
        [--workdir /tmp/intch-faults] [--reuse-db] [--keep-data]
        [--pg-port 5433] [--redis-port 6380] [--chunks 12] [--task-time-limit 180]
        [--redis-down 3] [--pg-down 5] [--servers daphne,gunicorn] [--json FILE]

The drills never touch the shared PostgreSQL (5432) or Redis (6379): this script starts its own
PostgreSQL cluster (initdb into --workdir, run as the postgres user, on --pg-port) and its own
redis-server (--redis-port, no persistence), and stops both at the end. --keep-data keeps the
cluster's files so that --reuse-db can skip seeding next time.

worker    Two Celery workers (one process each) share a full recompute
          (recompute_all_matches_task, --chunks chunk tasks). The drill SIGKILLs the pool
          process of worker A while it computes a chunk (the main process sees the loss and,
          with reject_on_worker_lost, puts the task back at once), then SIGKILLs the whole of
          worker B (main process and pool) while it computes another chunk, and starts B again
          as a supervisor would. A chunk held by a worker killed whole stays unacknowledged in
          Redis until the visibility timeout (CELERY_TASK_TIME_LIMIT + 300 s) has passed; the
          drill sets CELERY_TASK_TIME_LIMIT to --task-time-limit so that it ends in minutes.
          Meanwhile a poller reads the Match table about twice a second: every person who had
          a list before must always have all of it (same count, ranks 1..count).
redis     daphne serves the app; a logged-in person listens on /ws/messages/ and on
          /ws/messages/<id>/ with a small WebSocket client that reconnects like
          static/js/messaging.js. Senders post messages through the thread form as fast as
          they can; Redis is shut down and started again (empty) in the middle. Every message
          the senders were told was sent must be in the database, and a message posted after
          the restart must reach both sockets.
postgres  Logged-in people browse (matches, a profile, the inbox, /healthz) while PostgreSQL is
          stopped for --pg-down seconds (pg_ctl stop -m fast) and started again, once under
          daphne (CONN_MAX_AGE=0) and once under gunicorn (CONN_MAX_AGE=60, where
          CONN_HEALTH_CHECKS matters). While it is down every answer must come quickly and be
          the site's error page (templates/errors) or /healthz's 503; after it is back every
          page must answer 200 again within 15 s without restarting anything.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import (
    CARD,
    ERROR_PAGE,
    PROFILE_LINK,
    PYTHON,
    ROOT,
    Browser,
    WebSocket,
    WebSocketClosed,
    app_env,
    count_people,
    database_exists,
    demo_password,
    django_call,
    free_port,
    log,
    log_in_paced,
    manage,
    open_thread,
    percentile,
    post_message,
    prepare_database,
    sql,
    wait_http,
    write_settings,
)

DATABASE = "intch_faults"
CHUNK_TASK = "matching.recompute_matches_chunk"


def port_in_use(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Clock:
    def __init__(self):
        self.start = time.monotonic()

    def __call__(self):
        return time.monotonic() - self.start

    def say(self, message):
        log(f"  [{self():6.1f} s] {message}")


# --- Services of their own -----------------------------------------------------------------


class Postgres:
    """A throwaway PostgreSQL cluster in `workdir`, run as the postgres user."""

    def __init__(self, workdir, port):
        versions = sorted(Path("/usr/lib/postgresql").iterdir(), key=lambda p: int(p.name))
        self.bin = versions[-1] / "bin"
        self.home = workdir / "pg"
        self.data = self.home / "data"
        self.port = port
        self.url = f"postgres://postgres@127.0.0.1:{port}"

    def _run(self, *command, check=True):
        if os.geteuid() == 0:
            command = ("runuser", "-u", "postgres", "--", *command)
        return subprocess.run(command, check=check, capture_output=True, text=True)

    def running(self):
        status = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "status", check=False)
        return status.returncode == 0

    def init(self):
        if (self.data / "PG_VERSION").exists():
            return False
        self.home.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.home, owner.pw_uid, owner.pw_gid)
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8",
        )  # fmt: skip
        return True

    def start(self):
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.home / "log"), "-w",
            "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.home} -c max_connections=100",
            "start",
        )  # fmt: skip

    def stop(self):
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


class Redis:
    """A redis-server of its own, without persistence: a restart starts it empty."""

    def __init__(self, workdir, port):
        self.workdir, self.port = workdir, port
        self.url = f"redis://127.0.0.1:{port}/0"

    def ping(self):
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
        )
        return result.stdout.strip() == "PONG"

    def start(self):
        subprocess.run(
            [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "yes", "--dir", str(self.workdir),
                "--pidfile", str(self.workdir / "redis.pid"),
                "--logfile", str(self.workdir / "redis.log"),
            ],
            check=True,
        )  # fmt: skip
        for _ in range(100):
            if self.ping():
                return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server on {self.port} did not start")

    def stop(self):
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True
        )
        for _ in range(100):
            if not self.ping():
                return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server on {self.port} did not stop")


def kill_group(process, sig=signal.SIGTERM, timeout=60):
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def start_web(kind, env, port, log_path):
    if kind == "daphne":
        command = [PYTHON, "-m", "daphne", "--bind", "127.0.0.1", "--port", str(port)]
        command.append("intch.asgi:application")
    else:
        command = [PYTHON, "-m", "gunicorn", "intch.wsgi", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", "3", "--log-level", "warning"]
    with open(log_path, "ab") as output:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
        )


def log_in_people(base, people, password):
    browsers = []
    for person in people:
        browser = Browser(base, timeout=15)
        log_in_paced(browser, person["email"], password)
        browsers.append(browser)
    return browsers


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


# --- (b) Redis restarted during a burst of messages -----------------------------------------


class Listener(threading.Thread):
    """A page's live socket: reconnects after a close with the backoff of messaging.js."""

    def __init__(self, base, path, cookie, clock):
        super().__init__(daemon=True)
        self.base, self.path, self.cookie, self.clock = base, path, cookie, clock
        self.stop_event = threading.Event()
        self.events = []  # (seconds, connection number, payload)
        self.opens, self.closes, self.failed_connects = [], [], []

    def run(self):
        failures, connection_number = 0, 0
        while not self.stop_event.is_set():
            try:
                socket_ = WebSocket(self.base, self.path, cookie=self.cookie)
            except OSError as error:
                self.failed_connects.append((self.clock(), str(error)))
                failures += 1
                self.stop_event.wait(min(30, 2 ** min(failures, 5)))
                continue
            connection_number += 1
            failures = 0
            self.opens.append(self.clock())
            last_ping = time.monotonic()
            try:
                while not self.stop_event.is_set():
                    payload = socket_.receive_json(timeout=1)
                    if payload is not None:
                        self.events.append((self.clock(), connection_number, payload))
                    if time.monotonic() - last_ping > 30:
                        socket_.send_json({"type": "ping"})
                        last_ping = time.monotonic()
            except (WebSocketClosed, OSError) as error:
                code = getattr(error, "code", type(error).__name__)
                self.closes.append((self.clock(), code))
                failures += 1
                self.stop_event.wait(min(30, 2 ** min(failures, 5)))
                continue
            socket_.close()

    def got(self, predicate, after):
        return [e for e in self.events if e[0] >= after and predicate(e[2])]


# The first body seen of each kind of failed answer, to show what a person got.
SAMPLES = {}


def classify(response):
    """ok, clean error page, or what was wrong with the answer."""
    if response.status in (200, 302):
        return "ok"
    if response.status == 503 and response.body.startswith('{"status": "error"'):
        outcome = "503 from /healthz"
    elif response.status in (500, 503) and ERROR_PAGE in response.body:
        outcome = "error page"
    elif "Traceback" in response.body:
        outcome = f"{response.status} with a traceback"
    else:
        outcome = f"{response.status} not the site's error page"
    SAMPLES.setdefault(outcome, " ".join(re.sub(r"<[^>]+>", " ", response.body).split())[:160])
    return outcome


def print_samples():
    for outcome, text in sorted(SAMPLES.items()):
        log(f"  a '{outcome}' answer reads: {text!r}")
    SAMPLES.clear()


def sender_loop(browser, conversations, until, outcomes, sent, clock, rng):
    number = 0
    while clock() < until:
        number += 1
        conversation_id = rng.choice(conversations)
        started = clock()
        try:
            page, csrf, client_token = open_thread(browser, conversation_id)
            if csrf is None:
                outcomes.append((started, "thread", classify(page), page.seconds))
                time.sleep(0.2)
                continue
            answer, message_id = post_message(
                browser,
                conversation_id,
                csrf=csrf,
                client_token=client_token,
                body=f"burst message {number} at {started:.2f}",
            )
        except OSError as error:
            outcomes.append((started, "send", type(error).__name__, clock() - started))
            time.sleep(0.2)
            continue
        outcome = "ok" if message_id else classify(answer)
        if answer.status == 302 and not message_id:
            outcome = f"redirect to {answer.location}"
        outcomes.append((started, "send", outcome, answer.seconds))
        if message_id:
            sent.append((client_token, message_id))


def drill_redis(args, env, pg, redis_server, workdir):
    log("Drill redis: restart Redis during a burst of messages")
    clock = Clock()
    password = demo_password()
    people = django_call(env, "accepted_conversations", people=args.senders + 1, seed=7)
    listener_person, partner = people[0], people[1]
    shared = sorted(set(listener_person["conversations"]) & set(partner["conversations"]))
    watched = shared[0]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = start_web("daphne", env, port, workdir / "daphne-redis.log")
    listeners = []
    result = {"drill": "redis"}
    try:
        wait_http(base)
        browsers = log_in_people(base, people, password)
        clock.say(f"{len(people)} people logged in through the form; daphne pid {web.pid}")
        cookie = browsers[0].cookie_header()
        listeners = [
            Listener(base, "/ws/messages/", cookie, clock),
            Listener(base, f"/ws/messages/{watched}/", cookie, clock),
        ]
        for listener in listeners:
            listener.start()
        time.sleep(2)

        def probe(label):
            _page, csrf, token = open_thread(browsers[1], watched)
            posted_at = clock()
            answer, message_id = post_message(
                browsers[1], watched, csrf=csrf, client_token=token, body=f"probe: {label}"
            )
            if not message_id:
                raise RuntimeError(f"the {label} probe was not sent: {answer.status}")
            return posted_at, message_id, token

        def delivered(sent_at, message_id, timeout):
            """When each socket got the probe: the thread socket by id, the badge by counts."""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                thread = listeners[1].got(
                    lambda p: p.get("type") == "message" and p.get("message_id") == message_id,
                    sent_at,
                )
                counts = listeners[0].got(lambda p: p.get("type") == "counts", sent_at)
                if thread and counts:
                    return thread[0], counts[0]
                time.sleep(0.2)
            return None

        before_at, before_id, before_token = probe("before the restart")
        before = delivered(before_at, before_id, 20)
        clock.say(f"probe before the restart delivered live: {bool(before)}")

        outcomes, sent = [], [(before_token, before_id)]
        burst_start = clock()
        until = burst_start + args.burst
        senders = [
            threading.Thread(
                target=sender_loop,
                args=(
                    browser,
                    person["conversations"],
                    until,
                    outcomes,
                    sent,
                    clock,
                    random.Random(index),
                ),
                daemon=True,
            )
            for index, (browser, person) in enumerate(zip(browsers[1:], people[1:], strict=True))
        ]
        for sender in senders:
            sender.start()
        time.sleep(args.burst / 3)
        redis_server.stop()
        down_at = clock()
        clock.say("Redis shut down (no persistence: it comes back empty)")
        time.sleep(args.redis_down)
        redis_server.start()
        up_at = clock()
        clock.say("Redis started again")
        for sender in senders:
            sender.join()
        clock.say(f"burst over: {len(outcomes)} attempts")

        after_at, after_id, after_token = probe("after the restart")
        sent.append((after_token, after_id))
        after = delivered(after_at, after_id, args.live_timeout)
        clock.say(f"probe after the restart delivered live: {bool(after)}")
    finally:
        for listener in listeners:
            listener.stop_event.set()
        kill_group(web)
    for listener in listeners:
        listener.join(timeout=5)

    tokens = sorted({token for token, _ in sent})
    found = sql(
        pg.url,
        "SELECT count(*) FROM messaging_message WHERE client_token = ANY(%s::uuid[])",
        [tokens],
        database=DATABASE,
        fetch=True,
    )[0][0]
    posts = [o for o in outcomes if o[1] == "send"]
    kinds = {}
    for _, stage, outcome, _ in outcomes:
        kinds[f"{stage}: {outcome}"] = kinds.get(f"{stage}: {outcome}", 0) + 1
    failing = [o for o in outcomes if o[2] != "ok"]
    slowest = max((o[3] for o in outcomes), default=0)
    bad = [o for o in outcomes if o[2] not in ("ok", "error page")]

    def describe(listener):
        return (
            f"opened at {[round(t, 1) for t in listener.opens]}, closed at "
            f"{[(round(t, 1), code) for t, code in listener.closes]}, "
            f"failed connects {len(listener.failed_connects)}"
        )

    def where(delivery):
        if not delivery:
            return "not delivered"
        (thread_t, thread_conn, _), (counts_t, counts_conn, _) = delivery
        return (
            f"thread socket after {thread_t - after_at:.1f} s on connection {thread_conn}, "
            f"badge socket after {counts_t - after_at:.1f} s on connection {counts_conn}"
        )

    checks = [
        (
            "live updates work before the fault",
            before is not None,
            "probe message reached /ws/messages/ (counts) and the thread socket (the message)",
        ),
        (
            "no message lost",
            found == len(tokens),
            f"{len(tokens)} messages confirmed to the senders (burst and probes), {found} in the "
            f"database; LOST={len(tokens) - found}",
        ),
        (
            "failures during the outage were the site's error page, never a hang",
            not bad and slowest < 15,
            f"{len(posts)} posts, {len(failing)} failed attempts between "
            f"{min((o[0] for o in failing), default=0):.1f} s and "
            f"{max((o[0] for o in failing), default=0):.1f} s (Redis down {down_at:.1f}–"
            f"{up_at:.1f} s); outcomes {kinds}; slowest answer {slowest:.1f} s",
        ),
        (
            "live updates resume after the restart",
            after is not None,
            f"{where(after)}; badge socket {describe(listeners[0])}; thread socket "
            f"{describe(listeners[1])}",
        ),
    ]
    result.update({"lost": len(tokens) - found, "outcomes": kinds})
    print_samples()
    print(f"LOST={len(tokens) - found}")
    return report(result, checks)


# --- (c) PostgreSQL stopped while people browse -------------------------------------------


def browse_loop(browser, paths, until, outcomes, clock, label):
    index = 0
    while clock() < until:
        path = paths[index % len(paths)]
        index += 1
        started = clock()
        try:
            response = browser.get(path)
            outcome = classify(response)
            if outcome == "ok" and path == "/matches/" and CARD not in response.body:
                outcome = "200 without cards"
        except TimeoutError:
            outcome = "hang (no answer in 15 s)"
        except OSError as error:
            outcome = f"connection: {type(error).__name__}"
        ended = clock()
        outcomes.append((started, ended, label, path, outcome))
        time.sleep(0.2)


def drill_postgres_once(args, env, pg, workdir, server, clock):
    password = demo_password()
    server_env = dict(env, CONN_MAX_AGE="60" if server == "gunicorn" else "0")
    people = django_call(env, "accepted_conversations", people=args.browsers, seed=11)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = start_web(server, server_env, port, workdir / f"{server}-postgres.log")
    outcomes = []
    try:
        wait_http(base)
        browsers = log_in_people(base, people, password)
        first = browsers[0].get("/matches/")
        profile = PROFILE_LINK.search(first.body)
        if first.status != 200 or profile is None:
            raise RuntimeError(f"/matches/ answered {first.status} without a profile link")
        paths = ["/matches/", profile.group(1), "/messages/"]
        clock.say(f"{server}: {len(browsers)} people logged in; browsing {paths} and /healthz")
        until = clock() + args.pg_before + args.pg_down + args.pg_after
        threads = [
            threading.Thread(
                target=browse_loop,
                args=(browser, paths[n % 3 :] + paths[: n % 3], until, outcomes, clock, n),
                daemon=True,
            )
            for n, browser in enumerate(browsers)
        ]
        threads.append(
            threading.Thread(
                target=browse_loop,
                args=(Browser(base, timeout=15), ["/healthz"], until, outcomes, clock, "health"),
                daemon=True,
            )
        )
        for thread in threads:
            thread.start()
        time.sleep(args.pg_before)
        down_at = clock()
        pg.stop()
        clock.say("PostgreSQL stopped (pg_ctl stop -m fast)")
        time.sleep(args.pg_down)
        pg.start()
        up_at = clock()
        clock.say("PostgreSQL started again")
        for thread in threads:
            thread.join()
        server_alive = web.poll() is None
    finally:
        if not pg.running():
            pg.start()
        kill_group(web)

    before = [o for o in outcomes if o[1] < down_at]
    during = [o for o in outcomes if o[0] < up_at and o[1] >= down_at]
    after = [o for o in outcomes if o[0] >= up_at]
    recovered_at = None
    for position, (started, *_rest) in enumerate(after):
        if all(o[4] == "ok" for o in after[position:]):
            recovered_at = started
            break

    def tally(chosen):
        counts = {}
        for o in chosen:
            counts[o[4]] = counts.get(o[4], 0) + 1
        return counts

    slowest_during = max((o[1] - o[0] for o in during), default=0)
    checks = [
        (
            f"{server}: pages work before the stop",
            before and all(o[4] == "ok" for o in before),
            f"{len(before)} requests: {tally(before)}",
        ),
        (
            f"{server}: while PostgreSQL is down, the error page or 503 quickly, no hang",
            during
            and all(o[4] in ("ok", "error page", "503 from /healthz") for o in during)
            and slowest_during < 10,
            f"{len(during)} requests in the {up_at - down_at:.1f} s from stop to start: "
            f"{tally(during)}; slowest {slowest_during:.2f} s",
        ),
        (
            f"{server}: recovers by itself once PostgreSQL is back",
            server_alive and recovered_at is not None and recovered_at - up_at <= 15,
            f"{len(after)} requests after: {tally(after)}; every request OK from "
            + (f"{recovered_at - up_at:.1f} s" if recovered_at is not None else "never")
            + f" after the start; server process never restarted: {server_alive}",
        ),
    ]
    return checks, sorted({(o[3], o[4]) for o in during})


def drill_postgres(args, env, pg, redis_server, workdir):
    log("Drill postgres: stop PostgreSQL for a few seconds while people browse")
    checks, clock = [], Clock()
    for server in args.servers.split(","):
        server_checks, seen = drill_postgres_once(args, env, pg, workdir, server, clock)
        checks += server_checks
        log(
            f"  {server}: answers while PostgreSQL was down: "
            + "; ".join(f"{path} {outcome}" for path, outcome in seen)
        )
        print_samples()
    return report({"drill": "postgres"}, checks)


# --- Running and reporting -----------------------------------------------------------------


def report(result, checks, notes=()):
    passed = all(ok for _, ok, _ in checks)
    result["passed"] = passed
    result["checks"] = [{"check": c, "passed": bool(ok), "detail": d} for c, ok, d in checks]
    result["notes"] = list(notes)
    print(f"\n{'PASS' if passed else 'FAIL'} {result['drill']}")
    for check, ok, detail in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {check}: {detail}")
    for note in notes:
        print(f"  note {note}")
    sys.stdout.flush()
    return result


DRILLS = {"worker": drill_worker, "redis": drill_redis, "postgres": drill_postgres}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--drills", default="worker,redis,postgres")
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "intch-faults"))
    parser.add_argument("--reuse-db", action="store_true", help="reuse the seeded cluster")
    parser.add_argument("--keep-data", action="store_true", help="keep the cluster's files")
    parser.add_argument("--pg-port", type=int, default=5433)
    parser.add_argument("--redis-port", type=int, default=6380)
    parser.add_argument("--chunks", type=int, default=12, help="chunk tasks of the full run")
    parser.add_argument(
        "--task-time-limit",
        type=int,
        default=180,
        help="CELERY_TASK_TIME_LIMIT for the workers; Redis' visibility timeout is 300 s more",
    )
    parser.add_argument("--senders", type=int, default=6, help="people posting in the burst")
    parser.add_argument("--burst", type=float, default=30.0, help="seconds of the burst")
    parser.add_argument("--redis-down", type=float, default=3.0)
    parser.add_argument("--live-timeout", type=float, default=45.0)
    parser.add_argument("--browsers", type=int, default=6)
    parser.add_argument("--servers", default="daphne,gunicorn")
    parser.add_argument("--pg-before", type=float, default=6.0)
    parser.add_argument("--pg-down", type=float, default=5.0)
    parser.add_argument("--pg-after", type=float, default=25.0)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    drills = [name.strip() for name in args.drills.split(",") if name.strip()]
    if unknown := set(drills) - set(DRILLS):
        sys.exit(f"unknown drills: {sorted(unknown)}")
    if args.pg_port == 5432 or args.redis_port == 6379:
        sys.exit("the drills need their own PostgreSQL and Redis, never the shared 5432/6379")

    workdir = Path(args.workdir)
    pg = Postgres(workdir, args.pg_port)
    redis_server = Redis(workdir, args.redis_port)
    if not args.reuse_db and workdir.exists():
        if pg.running():
            pg.stop()
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if port_in_use(args.redis_port):
        sys.exit(f"something already listens on {args.redis_port}: choose --redis-port")
    if not pg.running() and port_in_use(args.pg_port):
        sys.exit(f"something already listens on {args.pg_port}: choose --pg-port")
    write_settings(workdir)
    env = app_env(
        workdir,
        database_url=f"{pg.url}/{DATABASE}",
        redis_url=redis_server.url,
        conn_max_age=0,
        password=demo_password(),
        LOG_LEVEL="INFO",
        MATCHING_CHUNK_SIZE=-(-args.users // args.chunks),
        CELERY_TASK_TIME_LIMIT=args.task_time_limit,
        CELERY_TASK_SOFT_TIME_LIMIT=args.task_time_limit - 10,
        # The burst is about losing messages, not about the per-person limit of 30 a minute.
        MESSAGING_MESSAGES_PER_MINUTE=100_000,
    )
    results = []
    started = time.monotonic()
    load_before = os.getloadavg()
    try:
        pg.init()
        if not pg.running():
            pg.start()
        redis_server.start()
        if args.reuse_db and database_exists(pg.url, DATABASE):
            log(f"Reusing {DATABASE} on port {args.pg_port}.")
        else:
            log(f"Preparing {DATABASE} on port {args.pg_port}…")
            setup = prepare_database(env, pg.url, DATABASE, args.users)
            log(f"setup seconds: {setup}")
        people = count_people(pg.url, DATABASE)
        env["MATCHING_CHUNK_SIZE"] = str(-(-people // args.chunks))
        manage(env, "collectstatic", "--noinput", "-v", "0")
        log(f"{people:,} people; load average {os.getloadavg()}")
        for name in drills:
            if not redis_server.ping():
                redis_server.start()
            results.append(DRILLS[name](args, env, pg, redis_server, workdir))
    finally:
        if redis_server.ping():
            redis_server.stop()
        if pg.running():
            pg.stop()
        if not args.keep_data:
            shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()
    print(
        f"\n{people:,} people; {time.monotonic() - started:.0f} s; load average (1, 5, 15 min) "
        f"before: {' '.join(f'{n:.2f}' for n in load_before)}; after: "
        f"{' '.join(f'{n:.2f}' for n in load_after)}"
    )
    for result in results:
        print(f"{'PASS' if result['passed'] else 'FAIL'} {result['drill']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    sys.exit(0 if all(r["passed"] for r in results) else 1)


if __name__ == "__main__":
    main()
