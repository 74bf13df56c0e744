"""Shared helpers of the load and fault benchmarks (bench/load.py, bench/faults.py).

Only the standard library and psycopg at import time, so the load client stays lean; the
functions at the end run inside Django, in a subprocess started with `django_call`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import os
import re
import secrets
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable

SETTINGS = """
from intch.settings.production import *  # noqa: F403

STATIC_ROOT = {static_root!r}
"""

# Markers of the pages the load tool and the drills look for.
CARD = 'class="card match-card"'
ERROR_PAGE = 'class="card error-page"'
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CLIENT_TOKEN_FIELD = re.compile(r'name="client_token"[^>]*value="([0-9a-f-]{36})"')
PROFILE_LINK = re.compile(r'href="(/people/\d+/)"')
TAG_LINK = re.compile(r'href="/tags/([^/"]+)/"')
SENT_LOCATION = re.compile(r"/messages/(\d+)/#message-(\d+)$")


def demo_password():
    """The password seed_demo gives every demo person (settings.INTCH_DEMO_PASSWORD)."""
    return os.environ.get("INTCH_DEMO_PASSWORD", "intch-demo-2026")


def log(message):
    print(message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_ping(url):
    parsed = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def sql(pg_url, statement, params=None, database="postgres", *, fetch=False):
    import psycopg

    with psycopg.connect(f"{pg_url}/{database}", autocommit=True) as connection:
        cursor = connection.execute(statement, params)
        return cursor.fetchall() if fetch else None


def database_exists(pg_url, name):
    return bool(sql(pg_url, "SELECT 1 FROM pg_database WHERE datname = %s", [name], fetch=True))


def count_people(pg_url, database):
    return sql(pg_url, "SELECT count(*) FROM profiles_profile", database=database, fetch=True)[0][0]


def write_settings(workdir):
    """A settings module: production settings with static files collected into `workdir`."""
    (workdir / "intch_bench_settings.py").write_text(
        SETTINGS.format(static_root=str(workdir / "static"))
    )


def app_env(workdir, *, database_url, redis_url, conn_max_age, password, **extra):
    """The environment of every app process of a benchmark: production settings, plain HTTP."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(workdir), str(ROOT), str(BENCH)]),
        "DJANGO_SETTINGS_MODULE": "intch_bench_settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "DEBUG": "False",
        "LOG_LEVEL": "WARNING",
        "INTCH_DEMO_PASSWORD": password,
        "CONN_MAX_AGE": str(conn_max_age),
        **{key: str(value) for key, value in extra.items()},
    }


def manage(env, *args):
    started = time.perf_counter()
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def prepare_database(env, pg_url, database, users):
    """Create, migrate and seed a scratch database and compute everyone's matches."""
    seconds = {}
    sql(pg_url, f"DROP DATABASE IF EXISTS {database}")
    sql(pg_url, f"CREATE DATABASE {database}")
    manage(env, "migrate", "--noinput", "-v", "0")
    log(f"Seeding {users:,} demo people…")
    seconds["seed_demo"] = round(manage(env, "seed_demo", "--users", str(users)), 1)
    log("Computing everyone's matches…")
    seconds["recompute_matches"] = round(manage(env, "recompute_matches"), 1)
    sql(pg_url, "VACUUM ANALYZE", database=database)
    return seconds


def django_call(env, name, **kwargs):
    """Run `name(**kwargs)` from this module inside Django, in a subprocess; return its result."""
    code = (
        "import json, sys, django; django.setup(); import _common; "
        "print('RESULT ' + json.dumps(getattr(_common, sys.argv[1])(**json.loads(sys.argv[2]))))"
    )
    output = subprocess.run(
        [PYTHON, "-c", code, name, json.dumps(kwargs)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(line for line in output.splitlines()[::-1] if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def wait_http(base, path="/healthz", timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if Browser(base, timeout=3).get(path).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{base}{path} did not answer within {timeout} s")


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, int(-(-fraction * len(sorted_values) // 1)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


# --- A browser without JavaScript: cookies, CSRF tokens from forms, no redirects followed ------


@dataclass
class Response:
    status: int
    headers: dict
    body: str
    seconds: float

    @property
    def location(self):
        return self.headers.get("location", "")


@dataclass
class Browser:
    """One person's browser: keeps cookies (Secure ones too: this is a script on plain HTTP)."""

    base: str
    timeout: float = 30.0
    cookies: dict = field(default_factory=dict)

    def __post_init__(self):
        parsed = urllib.parse.urlsplit(self.base)
        self.host, self.port = parsed.hostname, parsed.port
        self._connection = None

    def _connect(self):
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout
            )
        return self._connection

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(self, method, path, *, form=None, headers=None):
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        all_headers = {"Host": f"{self.host}:{self.port}", "User-Agent": "intch-bench"}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        all_headers.update(headers or {})
        started = time.perf_counter()
        connection = self._connect()
        try:
            connection.request(method, path, body=body, headers=all_headers)
            raw = connection.getresponse()
            content = raw.read()
        except BaseException:
            self.close()
            raise
        seconds = time.perf_counter() - started
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if cookie_value and "max-age=0" not in rest.lower():
                    self.cookies[cookie_name.strip()] = cookie_value
                else:
                    self.cookies.pop(cookie_name.strip(), None)
        if raw.will_close:
            self.close()
        headers_by_name = {name.lower(): value for name, value in raw.getheaders()}
        return Response(raw.status, headers_by_name, content.decode(errors="replace"), seconds)

    def get(self, path):
        return self.request("GET", path)

    def post_form(self, path, form, *, referer):
        """POST like a browser submitting a form of the page at `referer`."""
        return self.request(
            "POST",
            path,
            form=form,
            headers={"Origin": self.base, "Referer": f"{self.base}{referer}"},
        )

    def cookie_header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


class LoginRefused(RuntimeError):
    def __init__(self, status):
        super().__init__(f"the login form answered {status}")
        self.status = status


def log_in(browser, email, password):
    """Log in through allauth's form like a browser; return the seconds the POST took."""
    page = browser.get("/accounts/login/")
    token = CSRF_FIELD.search(page.body)
    if page.status != 200 or token is None:
        raise RuntimeError(f"/accounts/login/ answered {page.status} without a form")
    answer = browser.post_form(
        "/accounts/login/",
        {"login": email, "password": password, "csrfmiddlewaretoken": token.group(1)},
        referer="/accounts/login/",
    )
    if answer.status != 302 or "sessionid" not in browser.cookies:
        raise LoginRefused(answer.status)
    return answer.seconds


def log_in_paced(browser, email, password, *, retries=6):
    """Log in; when allauth's per-address login limit answers 429, wait and try again."""
    for attempt in range(retries):
        try:
            return log_in(browser, email, password)
        except LoginRefused as refused:
            if refused.status != 429 or attempt == retries - 1:
                raise
            time.sleep(15)
    raise AssertionError("unreachable")


def open_thread(browser, conversation_id):
    """GET a conversation; (response, CSRF token, client token), the tokens None without a form."""
    page = browser.get(f"/messages/{conversation_id}/")
    csrf, client_token = CSRF_FIELD.search(page.body), CLIENT_TOKEN_FIELD.search(page.body)
    if page.status != 200 or csrf is None or client_token is None:
        return page, None, None
    return page, csrf.group(1), client_token.group(1)


def post_message(browser, conversation_id, *, csrf, client_token, body):
    """Submit a thread's message form; (response, id of the new message or None)."""
    thread_path = f"/messages/{conversation_id}/"
    answer = browser.post_form(
        f"{thread_path}send/",
        {"csrfmiddlewaretoken": csrf, "body": body, "client_token": client_token},
        referer=thread_path,
    )
    sent = SENT_LOCATION.search(answer.location) if answer.status == 302 else None
    return answer, int(sent.group(2)) if sent else None


# --- A minimal WebSocket client (RFC 6455), enough to listen to /ws/messages/ ------------------


class WebSocketClosed(ConnectionError):
    def __init__(self, code):
        super().__init__(f"closed by the server with code {code}")
        self.code = code


class WebSocket:
    """Text frames in and out; answers pings; raises WebSocketClosed on a close frame."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, base, path, *, cookie, timeout=10.0):
        parsed = urllib.parse.urlsplit(base)
        self.sock = socket.create_connection((parsed.hostname, parsed.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {parsed.netloc}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: {base}\r\nCookie: {cookie}\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the server closed the connection during the handshake")
            head += chunk
        head, self._buffer = head.split(b"\r\n\r\n", 1)
        status_line = head.split(b"\r\n", 1)[0].decode()
        if " 101 " not in f"{status_line} ":
            self.sock.close()
            raise ConnectionError(f"handshake refused: {status_line}")
        expected = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest())  # noqa: S324
        if expected not in head:
            self.sock.close()
            raise ConnectionError("bad Sec-WebSocket-Accept")

    def _read(self, count):
        while len(self._buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise WebSocketClosed(1006)
            self._buffer += chunk
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_json(self, value):
        self._send_frame(0x1, json.dumps(value).encode())

    def receive_json(self, timeout):
        """The next JSON text message, or None after `timeout` seconds of silence."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                first, second = self._read(2)
            except TimeoutError:
                return None
            self.sock.settimeout(10)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(length)
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                raise WebSocketClosed(code)
            if opcode == 0x9:
                self._send_frame(0xA, payload)
            elif opcode == 0x1:
                return json.loads(payload.decode())

    def close(self):
        with contextlib.suppress(OSError):
            self._send_frame(0x8, struct.pack("!H", 1000))
        self.sock.close()


# --- Run inside Django through django_call ------------------------------------------------------


def accepted_conversations(*, people, seed, partners_from_matches=1):
    """Pick `people` demo people with matches and give them accepted conversations, in bulk.

    Each one talks with the next one in the list (a ring, so both sides of a pair are
    simulated) and with their best match(es). Existing conversations are reused and set to
    accepted. Returns [{email, user_id, conversations: [id, ...]}] in the order picked.
    """
    import random

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import Q
    from django.utils import timezone

    from matching.models import Match
    from messaging.models import Conversation, Message, Participant

    users = get_user_model().objects
    with_lists = sorted(
        Match.objects.filter(rank=1, user__is_active=True).values_list("user_id", flat=True)
    )
    picked = random.Random(seed).sample(with_lists, people)
    best = {}
    for user_id, candidate_id, rank in Match.objects.filter(
        user_id__in=picked, rank__lte=partners_from_matches
    ).values_list("user_id", "candidate_id", "rank"):
        best.setdefault(user_id, []).append((rank, candidate_id))
    pairs = []
    for index, user_id in enumerate(picked):
        pairs.append((user_id, picked[(index + 1) % len(picked)]))
        pairs += [(user_id, candidate) for _, candidate in sorted(best.get(user_id, []))]
    pairs = list(dict.fromkeys((min(a, b), max(a, b)) for a, b in pairs if a != b))

    now = timezone.now()
    with transaction.atomic():
        existing = {}
        query = Q()
        for a, b in pairs:
            query |= Q(initiator_id=a, recipient_id=b) | Q(initiator_id=b, recipient_id=a)
        for conversation in Conversation.objects.filter(query):
            key = tuple(sorted((conversation.initiator_id, conversation.recipient_id)))
            existing[key] = conversation
        Conversation.objects.filter(pk__in=[c.pk for c in existing.values()]).update(
            status=Conversation.Status.ACCEPTED, responded_at=now
        )
        created = Conversation.objects.bulk_create(
            [
                Conversation(
                    initiator_id=a,
                    recipient_id=b,
                    status=Conversation.Status.ACCEPTED,
                    prompt="load test",
                    created_at=now,
                    responded_at=now,
                    last_message_at=now,
                )
                for a, b in pairs
                if (a, b) not in existing
            ]
        )
        intros = Message.objects.bulk_create(
            [
                Message(
                    conversation=c,
                    sender_id=c.initiator_id,
                    body="Hello! We share a few interests; shall we talk?",
                    is_intro=True,
                    created_at=now,
                )
                for c in created
            ]
        )
        for conversation, intro in zip(created, intros, strict=True):
            conversation.last_message = intro
        Conversation.objects.bulk_update(created, ["last_message"])
        Participant.objects.bulk_create(
            [
                Participant(conversation=c, user_id=user_id, last_read_message_id=intro.pk)
                for c, intro in zip(created, intros, strict=True)
                for user_id in (c.initiator_id, c.recipient_id)
            ],
            ignore_conflicts=True,
        )
        for conversation in created:
            existing[(conversation.initiator_id, conversation.recipient_id)] = conversation

    by_person = {user_id: [] for user_id in picked}
    for (a, b), conversation in existing.items():
        for user_id in (a, b):
            if user_id in by_person:
                by_person[user_id].append(conversation.pk)
    emails = dict(users.filter(pk__in=picked).values_list("pk", "email"))
    return [
        {"email": emails[user_id], "user_id": user_id, "conversations": sorted(by_person[user_id])}
        for user_id in picked
    ]


def queue_full_recompute(*, reason):
    """Queue a full recompute on the Celery broker, as the admin button does (without delay)."""
    from matching.tasks import recompute_all_matches_task

    return recompute_all_matches_task.delay(reason=reason).id
