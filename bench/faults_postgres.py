"""Drill (c): PostgreSQL stopped while people browse (bench/faults.py)."""

from __future__ import annotations

import threading
import time

from _common import (
    CARD,
    PROFILE_LINK,
    Browser,
    demo_password,
    django_call,
    free_port,
    log,
    wait_http,
)
from faults_redis import classify, print_samples
from faults_services import Clock, kill_group, log_in_people, report, start_web

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
