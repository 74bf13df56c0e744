"""The fault drills' own PostgreSQL and Redis, web servers and logged-in people
(bench/faults.py)."""

from __future__ import annotations

import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from _common import (
    PYTHON,
    ROOT,
    Browser,
    log,
    log_in_paced,
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
