"""Mixed load on the whole app: people browse matches, open profiles and send messages.

Usage:
    python bench/load.py [--users 100000] [--people 60] [--duration 180] [--think 1.0]
        [--server gunicorn|daphne] [--workers 3] [--procs 2] [--db intch_load] [--reuse-db]
        [--keep-db] [--pg postgres://postgres@127.0.0.1:5432]
        [--redis-url redis://127.0.0.1:6379/9] [--json FILE]

What it does, in one run:
1. creates a scratch PostgreSQL database (dropped at the end unless --keep-db), migrates it,
   seeds N demo people (`seed_demo`) and computes everyone's matches (`recompute_matches`);
   --reuse-db takes an existing database as it is instead;
2. picks --people demo people who have matches and gives them accepted conversations in bulk
   (each with the next person picked, and with their best match), straight in the database;
3. serves the app on 127.0.0.1 with the production settings and Redis (cache, rate limits,
   Celery broker, channel layer): gunicorn sync workers (default) or daphne (--server daphne);
4. logs every simulated person in through allauth's login form (/accounts/login/), one after
   another and slower than allauth's limit of 30 logins a minute from one address, since they
   all come from 127.0.0.1;
5. runs them for --duration seconds, split over --procs processes of threads. Each person
   repeatedly, after an exponential think time of mean --think seconds, either browses
   /matches/ (the first page, or with a filter or a page number), opens the profile of a match
   seen there, or opens one of their conversations and posts a message through its form
   (CSRF token and client token read from the page, like a browser without JavaScript);
6. prints throughput, median and 99th-percentile latency and errors per kind of request, then
   counts in the database the messages the tool was told were sent (a redirect to the new
   message): LOST must be 0.

Client and server share the machine: the CPU seconds the server and the load tool used are
printed with the figures (PostgreSQL's own are not counted).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue as queue_module
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from _common import (
    CARD,
    ERROR_PAGE,
    PROFILE_LINK,
    PYTHON,
    ROOT,
    TAG_LINK,
    Browser,
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
    redis_ping,
    sql,
    wait_http,
    write_settings,
)

KINDS = {
    "matches": "/matches/ (first page)",
    "matches_filtered": "/matches/ with a filter or page",
    "profile": "profile of a match",
    "thread": "open a conversation",
    "send": "send a message (POST)",
}
GOALS = ("hire", "find_job", "find_mentor", "mentor_others", "meet_peers", "learn", "invest")
FORBIDDEN_DATABASES = re.compile(r"intch|intch_test.*|intch_page|intch_bench.*")
LOGINS_PER_MINUTE = 28  # allauth allows 30 a minute from one address


def browse_path(rng, tags):
    if rng.random() < 0.4:
        return "matches", "/matches/"
    params = {}
    pick = rng.random()
    if pick < 0.35:
        params["page"] = rng.randint(2, 5)
    elif pick < 0.6 and tags:
        params["tag"] = rng.choice(tags)
    elif pick < 0.75:
        params["goal"] = rng.choice(GOALS)
    elif pick < 0.9:
        params["min_score"] = rng.choice((20, 40, 60))
    else:
        params["sort"] = "newest"
    if "page" not in params and rng.random() < 0.25:
        params["page"] = 2
    return "matches_filtered", f"/matches/?{urllib.parse.urlencode(params)}"


def error_of(kind, response):
    """'' when the answer is what a person expects, else a short reason."""
    if kind == "send":
        return "" if response.status == 302 else f"status {response.status}"
    if response.status != 200:
        return f"status {response.status}"
    if ERROR_PAGE in response.body:
        return "error page"
    if kind == "matches" and CARD not in response.body:
        return "no cards"
    return ""


def person_loop(person, base, deadline, think, mix, seed, records, sent):
    """One simulated person until `deadline` (time.time()); appends to records and sent."""
    rng = random.Random(seed)
    browser = Browser(base, timeout=30, cookies=dict(person["cookies"]))
    profiles, tags, messages = [], [], 0
    time.sleep(rng.uniform(0, think or 0.5))

    def record(kind, started, seconds, error):
        records.append((kind, started, seconds, error))

    while time.time() < deadline:
        action = rng.choices(("browse", "profile", "message"), weights=mix)[0]
        if action == "profile" and not profiles:
            action = "browse"
        started = time.time()
        try:
            if action == "browse":
                kind, path = browse_path(rng, tags)
                response = browser.get(path)
                record(kind, started, response.seconds, error_of(kind, response))
                found = PROFILE_LINK.findall(response.body)
                if found:
                    profiles = list(dict.fromkeys(found))
                tags = list(dict.fromkeys(TAG_LINK.findall(response.body))) or tags
            elif action == "profile":
                response = browser.get(rng.choice(profiles))
                record("profile", started, response.seconds, error_of("profile", response))
            else:
                conversation_id = rng.choice(person["conversations"])
                messages += 1
                body = f"Load test message {messages} from {person['user_id']}: {rng.random():.6f}"
                action = "thread"
                page, csrf, client_token = open_thread(browser, conversation_id)
                error = error_of("thread", page) or ("" if csrf else "no message form")
                record("thread", started, page.seconds, error)
                if not error:
                    action, started = "send", time.time()
                    answer, message_id = post_message(
                        browser, conversation_id, csrf=csrf, client_token=client_token, body=body
                    )
                    error = error_of("send", answer)
                    if not error and message_id is None:
                        error = f"redirect to {answer.location}"
                    record("send", started, answer.seconds, error)
                    if not error:
                        sent.append((client_token, message_id))
        except TimeoutError:
            record(action_kind(action), started, time.time() - started, "timeout")
        except OSError as failure:
            record(action_kind(action), started, time.time() - started, type(failure).__name__)
        if think:
            time.sleep(rng.expovariate(1 / think))
    browser.close()


def action_kind(action):
    return {"browse": "matches", "profile": "profile"}.get(action, action)


def run_process(people, base, deadline, think, mix, seed, queue):
    records, sent = [], []
    threads = [
        threading.Thread(
            target=person_loop,
            args=(person, base, deadline, think, mix, seed * 1000 + index, records, sent),
            daemon=True,
        )
        for index, person in enumerate(people)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((records, sent, time.process_time()))


def summarise(records, seconds):
    rows = []
    for kind, label in [*KINDS.items(), ("all", "all requests")]:
        chosen = [r for r in records if kind == "all" or r[0] == kind]
        latencies = sorted(r[2] * 1000 for r in chosen)
        errors = [r[3] for r in chosen if r[3]]
        rows.append(
            {
                "kind": kind,
                "label": label,
                "requests": len(chosen),
                "rps": len(chosen) / seconds if seconds else 0.0,
                "p50_ms": percentile(latencies, 0.50),
                "p99_ms": percentile(latencies, 0.99),
                "errors": len(errors),
                "error_kinds": {e: errors.count(e) for e in sorted(set(errors))},
            }
        )
    return rows


def tree_cpu_seconds(pid):
    """CPU seconds (user + system) used so far by a process and its children."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def start_server(kind, env, port, workers, log_path):
    if kind == "daphne":
        command = [
            PYTHON,
            "-m",
            "daphne",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "intch.asgi:application",
        ]
    else:
        command = [
            PYTHON,
            "-m",
            "gunicorn",
            "intch.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ]
    with open(log_path, "wb") as output:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000, help="demo people to seed")
    parser.add_argument("--people", type=int, default=60, help="simulated people (at least 50)")
    parser.add_argument("--duration", type=int, default=180, help="seconds of load")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between actions")
    parser.add_argument(
        "--mix", default="50,30,20", help="weights of browse, open a profile, send a message"
    )
    parser.add_argument("--server", choices=("gunicorn", "daphne"), default="gunicorn")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--procs", type=int, default=2, help="load-generator processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="intch_load")
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/9",
        help="a Redis database of its own: it is flushed before and after the run",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument(
        "--reuse-db", action="store_true", help="use an existing seeded database as it is"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.db) or FORBIDDEN_DATABASES.fullmatch(args.db):
        sys.exit("--db must be a plain lower-case name of a scratch database (not intch*)")
    redis_db = urllib.parse.urlsplit(args.redis_url).path.strip("/") or "0"
    if redis_db in ("0", "15"):
        sys.exit("--redis-url must name a Redis database of its own (not 0, not CI's 15)")
    if not redis_ping(args.redis_url):
        sys.exit(f"Redis does not answer at {args.redis_url}")
    mix = [float(n) for n in args.mix.split(",")]

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    password = demo_password()
    workdir = Path(tempfile.mkdtemp(prefix="intch-load-"))
    write_settings(workdir)
    conn_max_age = 60 if args.server == "gunicorn" else 0
    env = app_env(
        workdir,
        database_url=f"{args.pg}/{args.db}",
        redis_url=args.redis_url,
        conn_max_age=conn_max_age,
        password=password,
    )
    figures = {"args": vars(args), "setup_seconds": {}, "cpus": os.cpu_count()}
    server = None
    created = False
    try:
        if args.reuse_db and database_exists(args.pg, args.db):
            log(f"Reusing database {args.db} as it is.")
        else:
            created = True
            figures["setup_seconds"] = prepare_database(env, args.pg, args.db, args.users)
        figures["users"] = count_people(args.pg, args.db)
        manage(env, "collectstatic", "--noinput", "-v", "0")

        started = time.perf_counter()
        people = django_call(env, "accepted_conversations", people=args.people, seed=args.seed)
        figures["setup_seconds"]["conversations"] = round(time.perf_counter() - started, 1)
        conversations = {c for person in people for c in person["conversations"]}
        log(f"{len(people)} people with {len(conversations)} accepted conversations.")

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server_log = workdir / "server.log"
        server = start_server(args.server, env, port, args.workers, server_log)
        wait_http(base)

        log(f"Logging {len(people)} people in through the login form (≤ {LOGINS_PER_MINUTE}/min)…")
        login_seconds = []
        for person in people:
            begun = time.monotonic()
            browser = Browser(base)
            login_seconds.append(log_in_paced(browser, person["email"], password) * 1000)
            person["cookies"] = browser.cookies
            browser.close()
            time.sleep(max(0.0, 60 / LOGINS_PER_MINUTE - (time.monotonic() - begun)))
        login_seconds.sort()
        figures["login"] = {
            "people": len(people),
            "p50_ms": percentile(login_seconds, 0.5),
            "p99_ms": percentile(login_seconds, 0.99),
        }

        server_cpu_before = tree_cpu_seconds(server.pid)
        messages_before = sql(
            args.pg,
            "SELECT coalesce(max(id), 0) FROM messaging_message",
            database=args.db,
            fetch=True,
        )[0][0]
        log(f"Running {len(people)} people for {args.duration} s…")
        figures["load_average_before"] = os.getloadavg()
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        deadline = time.time() + args.duration
        run_started = time.time()
        processes = [
            context.Process(
                target=run_process,
                args=(people[n :: args.procs], base, deadline, args.think, mix, n + 1, queue),
            )
            for n in range(args.procs)
        ]
        for process in processes:
            process.start()
        load_samples = []
        results = []
        while len(results) < len(processes):
            try:
                results.append(queue.get(timeout=10))
            except queue_module.Empty:  # sample the load average meanwhile
                load_samples.append(os.getloadavg()[0])
        for process in processes:
            process.join()
        elapsed = time.time() - run_started
        figures["load_average_after"] = os.getloadavg()
        figures["load_average_1min_during"] = [round(n, 2) for n in load_samples]
        records = [r for process_records, _, _ in results for r in process_records]
        sent = [s for _, process_sent, _ in results for s in process_sent]
        client_cpu = sum(cpu for _, _, cpu in results)
        server_cpu = tree_cpu_seconds(server.pid) - server_cpu_before

        tokens = sorted({token for token, _ in sent})
        found = sql(
            args.pg,
            "SELECT count(*) FROM messaging_message WHERE client_token = ANY(%s::uuid[])",
            [tokens],
            database=args.db,
            fetch=True,
        )[0][0]
        sender_ids = [person["user_id"] for person in people]
        new_messages = sql(
            args.pg,
            "SELECT count(*) FROM messaging_message WHERE id > %s AND sender_id = ANY(%s)",
            [messages_before, sender_ids],
            database=args.db,
            fetch=True,
        )[0][0]
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            tracebacks = server_log.read_text(errors="replace").count("Traceback")
        if created and not args.keep_db:
            sql(args.pg, f"DROP DATABASE IF EXISTS {args.db}")
        redis.Redis.from_url(args.redis_url).flushdb()
        shutil.rmtree(workdir, ignore_errors=True)

    rows = summarise(records, elapsed)
    figures.update(
        {
            "people": len(people),
            "conversations": len(conversations),
            "seconds": round(elapsed, 1),
            "results": rows,
            "messages_confirmed": len(tokens),
            "messages_found": found,
            "messages_new_in_db": new_messages,
            "lost": len(tokens) - found,
            "server_tracebacks": tracebacks,
            "cpu_seconds": {"client": round(client_cpu, 1), "server": round(server_cpu, 1)},
        }
    )
    server_label = (
        f"gunicorn {args.workers} sync workers, CONN_MAX_AGE=60"
        if args.server == "gunicorn"
        else "daphne (one process), CONN_MAX_AGE=0"
    )
    print()
    print(
        f"{figures['users']:,} people in the database; {len(people)} simulated people, "
        f"{len(conversations)} accepted conversations; {server_label}; "
        f"{args.procs} load processes; think {args.think} s; {elapsed:.0f} s; "
        f"{os.cpu_count()} CPUs shared by client and server"
    )
    print(
        f"logins through the form: {len(people)}, p50 {figures['login']['p50_ms']:.0f} ms, "
        f"p99 {figures['login']['p99_ms']:.0f} ms"
    )
    print(f"{'request':<34} {'count':>7} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for row in rows:
        p50 = f"{row['p50_ms']:.1f}" if row["p50_ms"] is not None else "-"
        p99 = f"{row['p99_ms']:.1f}" if row["p99_ms"] is not None else "-"
        print(
            f"{row['label']:<34} {row['requests']:>7} {row['rps']:>7.1f} {p50:>8} {p99:>8} "
            f"{row['errors']:>7}"
        )
    for row in rows:
        if row["error_kinds"] and row["kind"] != "all":
            print(f"  errors of {row['label']}: {row['error_kinds']}")
    print(
        f"messages confirmed to the tool: {len(tokens)}; found in the database: {found}; "
        f"new messages from the simulated people in the database: {new_messages}"
    )
    print(f"LOST={len(tokens) - found}")
    print(f"tracebacks in the server's log: {tracebacks}")
    print(
        f"CPU seconds during the run: server {server_cpu:.0f}, load tool {client_cpu:.0f} "
        f"(of {elapsed * (os.cpu_count() or 1):.0f} available on {os.cpu_count()} CPUs)"
    )
    before = " ".join(f"{n:.2f}" for n in figures["load_average_before"])
    after = " ".join(f"{n:.2f}" for n in figures["load_average_after"])
    print(f"load average (1, 5, 15 min) before the run: {before}; after: {after}")
    if load_samples:
        low, high = min(load_samples), max(load_samples)
        print(f"load average (1 min) during the run: {low:.2f}–{high:.2f}")
    if figures["setup_seconds"]:
        print(f"setup seconds: {figures['setup_seconds']}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    if len(tokens) != found:
        sys.exit(1)


if __name__ == "__main__":
    main()
