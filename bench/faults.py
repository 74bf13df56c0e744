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
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    app_env,
    count_people,
    database_exists,
    demo_password,
    log,
    manage,
    prepare_database,
    write_settings,
)
from faults_postgres import drill_postgres
from faults_redis import drill_redis
from faults_services import DATABASE, Postgres, Redis, port_in_use
from faults_worker import drill_worker

# --- Running and reporting -----------------------------------------------------------------


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
