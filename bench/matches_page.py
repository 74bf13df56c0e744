"""Load test of the suggested-matches page next to a trivial Django view, on PostgreSQL.

Usage:
    python bench/matches_page.py [--users 10000] [--duration 20] [--connections 50]
        [--threads 2] [--workers 3] [--conn-max-age 60] [--db intch_bench] [--keep-db]
        [--reuse-db] [--redis-url redis://127.0.0.1:6379/7 | --no-redis] [--json FILE]

What it does, in one run:
1. creates a scratch PostgreSQL database (dropped at the end unless --keep-db), migrates it,
   seeds N demo people (`seed_demo`) and computes everyone's matches (`recompute_matches`);
   --reuse-db takes an existing database as it is instead;
2. serves the app with gunicorn (sync workers) on 127.0.0.1 with the production settings
   (DEBUG off, collected static files, Redis cache when reachable, persistent database
   connections as a WSGI deployment would set them), plus one extra URL, /bench/hello: a
   trivial Django view (no database of its own) behind the same middleware;
3. logs in as the demo person through the login form and checks that /matches/ shows cards;
4. runs wrk (`apt-get install wrk`) against each URL for --duration seconds after a short
   warm-up, counting any response that is not a 200 as an error, and prints requests per
   second, median and 99th-percentile latency, errors, and the ratio to the trivial view.
   The matches page is measured twice: repeat views (the same URL again and again, answered
   from the person's cached page) and first views (every request carries a parameter the page
   ignores, so every one is rendered from the database, then cached).

Needs PostgreSQL at --pg (default postgres://postgres@127.0.0.1:5432) and wrk on the PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DEMO_EMAIL = "demo@intch.local"

SETTINGS = """
from intch.settings.production import *  # noqa: F403

STATIC_ROOT = {static_root!r}
ROOT_URLCONF = "intch_bench_urls"
"""

URLS = """
from django.http import HttpResponse
from django.urls import path

from intch.urls import *  # noqa: F403  (handlers)
from intch.urls import urlpatterns as site_urlpatterns


def hello(request):
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [path("bench/hello", hello), *site_urlpatterns]
"""

# Counts every status other than 200 (wrk itself only counts 4xx/5xx, not a redirect to login).
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread); thread:set("id", #threads) end
function init(args) not_ok = 0 end
function response(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("not_ok") end
  io.write(string.format("NOT_OK %d\\n", total))
end
"""


# The same, but every request asks for a URL nobody asked for before (an extra parameter the
# page ignores), so no cached page can answer it: the cost of a first view.
FRESH_SCRIPT = (
    WRK_SCRIPT
    + """
counter = 0
function request()
  counter = counter + 1
  local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. sep .. "fresh=" .. id .. "-" .. counter)
end
"""
)


def log(message):
    print(message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_reachable(url):
    parsed = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def psql(pg_url, sql, database="postgres"):
    import psycopg

    with psycopg.connect(f"{pg_url}/{database}", autocommit=True) as connection:
        connection.execute(sql)


def database_exists(pg_url, name):
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as connection:
        row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def count_people(pg_url, database):
    import psycopg

    with psycopg.connect(f"{pg_url}/{database}") as connection:
        return connection.execute("SELECT count(*) FROM profiles_profile").fetchone()[0]


def manage(env, *args):
    started = time.perf_counter()
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def wait_for(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _cookies(headers):
    """name -> value from Set-Cookie headers (Secure cookies included: this is a script)."""
    cookies = {}
    for header in headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]
    return cookies


def log_in(base, password):
    """Log in through allauth's form like a browser would; return the Cookie header value."""
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(f"{base}/accounts/login/") as response:
        cookies = _cookies(response.headers)
        html = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode(
        {"login": DEMO_EMAIL, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(  # noqa: S310
        f"{base}/accounts/login/",
        data=data,
        headers={
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Referer": f"{base}/accounts/login/",
        },
    )
    try:
        opener.open(request)
        raise RuntimeError("the login form did not redirect: wrong demo password?")
    except urllib.error.HTTPError as redirect:
        if redirect.code != 302:
            raise
        cookies.update(_cookies(redirect.headers))
    if "sessionid" not in cookies:
        raise RuntimeError("no session cookie after logging in")
    # Like a browser, show the first page once: it consumes the "Signed in" message, whose
    # cookie the response then deletes (wrk would otherwise send it with every request).
    request = urllib.request.Request(  # noqa: S310
        f"{base}/matches/", headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    )
    with opener.open(request) as response:
        for name, value in _cookies(response.headers).items():
            if value in ("", '""'):
                cookies.pop(name, None)
            else:
                cookies[name] = value
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def fetch(base, path, cookie):
    request = urllib.request.Request(f"{base}{path}", headers={"Cookie": cookie})  # noqa: S310
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * _UNITS[unit]


def run_wrk(url, *, cookie, duration, connections, threads, script):
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        script,
        "-H",
        f"Cookie: {cookie}",
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Requests/sec" not in output or "NOT_OK" not in output:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    latency = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)\s*$", output, re.M))
    if set(latency) != {"50", "99"}:
        raise RuntimeError(f"no latency distribution in wrk's output:\n{output}")
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
        "not_200": int(re.search(r"NOT_OK (\d+)", output).group(1)),
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        "raw": output,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=20, help="seconds per URL")
    parser.add_argument("--warmup", type=int, default=3, help="seconds per URL, not counted")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="persistent database connections, as a WSGI deployment sets them (0: one per request)",
    )
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="intch_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument(
        "--reuse-db", action="store_true", help="use an existing seeded database as it is"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--verbose", action="store_true", help="print wrk's own output")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.db):
        sys.exit("--db must be a plain lower-case name")

    workdir = Path(tempfile.mkdtemp(prefix="intch-bench-"))
    (workdir / "intch_bench_settings.py").write_text(
        SETTINGS.format(static_root=str(workdir / "static"))
    )
    (workdir / "intch_bench_urls.py").write_text(URLS)
    script = workdir / "count.lua"
    script.write_text(WRK_SCRIPT)
    fresh_script = workdir / "fresh.lua"
    fresh_script.write_text(FRESH_SCRIPT)
    redis_url = "" if args.no_redis or not redis_reachable(args.redis_url) else args.redis_url
    password = os.environ.get("INTCH_DEMO_PASSWORD", "intch-demo-2026")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(workdir), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "intch_bench_settings",
        "DATABASE_URL": f"{args.pg}/{args.db}",
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "DEBUG": "False",
        "LOG_LEVEL": "WARNING",
        "INTCH_DEMO_PASSWORD": password,
        "CONN_MAX_AGE": str(args.conn_max_age),
    }
    figures = {"users": args.users, "setup_seconds": {}}
    server = None
    created = False
    try:
        if args.reuse_db and database_exists(args.pg, args.db):
            log(f"Reusing database {args.db} as it is.")
            figures["users"] = count_people(args.pg, args.db)
        else:
            psql(args.pg, f"DROP DATABASE IF EXISTS {args.db}")
            psql(args.pg, f"CREATE DATABASE {args.db}")
            created = True
            manage(env, "migrate", "--noinput", "-v", "0")
            log(f"Seeding {args.users:,} demo people…")
            figures["setup_seconds"]["seed_demo"] = round(
                manage(env, "seed_demo", "--users", str(args.users)), 1
            )
            log("Computing everyone's matches…")
            figures["setup_seconds"]["recompute_matches"] = round(
                manage(env, "recompute_matches"), 1
            )
            psql(args.pg, "VACUUM ANALYZE", database=args.db)
        manage(env, "collectstatic", "--noinput", "-v", "0")

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "intch.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        wait_for(f"{base}/bench/hello")
        cookie = log_in(base, password)

        status, html = fetch(base, "/matches/", cookie)
        cards = html.count('class="card match-card"')
        if status != 200 or not cards:
            raise RuntimeError(f"/matches/ answered {status} with {cards} cards")
        tag = re.search(r'href="/tags/([^/"]+)/"', html).group(1)
        filtered = f"/matches/?{urllib.parse.urlencode({'tag': tag, 'min_score': 10})}"
        status, filtered_html = fetch(base, filtered, cookie)
        filtered_cards = filtered_html.count('class="card match-card"')
        if status != 200:
            raise RuntimeError(f"{filtered} answered {status}")
        figures.update(
            {
                "cards_on_page": cards,
                "cards_on_filtered_page": filtered_cards,
                "gunicorn_workers": args.workers,
                "cpus": os.cpu_count(),
                "redis": bool(redis_url),
                "conn_max_age": args.conn_max_age,
                "wrk": f"-t{args.threads} -c{args.connections} -d{args.duration}s",
            }
        )
        # Repeat views are served from the person's cached page; first views render it.
        targets = [
            ("trivial view (/bench/hello)", "/bench/hello", script),
            ("/healthz (SELECT 1" + (", Redis ping)" if redis_url else ")"), "/healthz", script),
            ("/matches/ (repeat views)", "/matches/", script),
            (f"/matches/ filtered ({filtered_cards} cards, repeat)", filtered, script),
            ("/matches/?page=3 (repeat views)", "/matches/?page=3", script),
            ("/matches/ (first views)", "/matches/", fresh_script),
            ("/matches/ filtered (first views)", filtered, fresh_script),
        ]
        results = []
        figures["load_average_before"] = os.getloadavg()
        for label, path, wrk_script in targets:
            log(f"wrk {label} …")
            if args.warmup:
                run_wrk(
                    base + path,
                    cookie=cookie,
                    duration=args.warmup,
                    connections=args.connections,
                    threads=args.threads,
                    script=str(wrk_script),
                )
            result = run_wrk(
                base + path,
                cookie=cookie,
                duration=args.duration,
                connections=args.connections,
                threads=args.threads,
                script=str(wrk_script),
            )
            results.append((label, path, result))
            if args.verbose:
                log(result["raw"])
        figures["load_average_after"] = os.getloadavg()
        # The session must still be valid: a redirect to the login page would be cheap.
        if fetch(base, "/matches/", cookie)[0] != 200:
            raise RuntimeError("the session stopped working during the run")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if created and not args.keep_db:
            psql(args.pg, f"DROP DATABASE IF EXISTS {args.db}")
        shutil.rmtree(workdir, ignore_errors=True)

    trivial = results[0][2]["rps"]
    print()
    print(
        f"{figures['users']:,} people, {os.cpu_count()} CPUs, "
        f"gunicorn {args.workers} sync workers, CONN_MAX_AGE={args.conn_max_age}, "
        f"wrk {figures['wrk']}, Redis {'on' if redis_url else 'off'}; "
        f"{cards} cards on /matches/"
    )
    print(f"{'URL':<48} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'ratio':>6}")
    figures["results"] = []
    for label, path, result in results:
        errors = result["not_200"] + result["socket_errors"]
        ratio = result["rps"] / trivial if trivial else 0.0
        print(
            f"{label:<48} {result['rps']:>9.1f} {result['p50_ms']:>8.1f} "
            f"{result['p99_ms']:>8.1f} {errors:>7} {ratio:>6.2f}"
        )
        figures["results"].append(
            {
                "label": label,
                "path": path,
                **{k: v for k, v in result.items() if k != "raw"},
                "ratio_to_trivial": round(ratio, 3),
            }
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    before = " ".join(f"{n:.2f}" for n in figures["load_average_before"])
    after = " ".join(f"{n:.2f}" for n in figures["load_average_after"])
    print(f"load average (1, 5, 15 min) before the runs: {before}; after: {after}")
    if figures["setup_seconds"]:
        print(f"setup seconds: {figures['setup_seconds']}")


if __name__ == "__main__":
    main()
