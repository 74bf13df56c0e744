"""Drill (b): Redis restarted during a burst of messages (bench/faults.py)."""

from __future__ import annotations

import random
import re
import threading
import time

from _common import (
    ERROR_PAGE,
    WebSocket,
    WebSocketClosed,
    demo_password,
    django_call,
    free_port,
    log,
    open_thread,
    post_message,
    sql,
    wait_http,
)
from faults_services import DATABASE, Clock, kill_group, log_in_people, report, start_web

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
