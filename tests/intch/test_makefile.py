"""`make run` prints (and emails) the address it serves on, PORT and HOST included, and the
README says how to choose them."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _make_run(**variables):
    """What `make run` would do, without doing it (make -n)."""
    arguments = [f"{name}={value}" for name, value in variables.items()]
    result = subprocess.run(  # noqa: S603
        ["make", "-n", "--no-print-directory", "run", *arguments],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_every_address_make_run_prints_uses_the_port_it_serves_on():
    commands = _make_run(PORT="9123")

    assert re.search(r"runserver 127\.0\.0\.1:9123$", commands, re.M)
    assert "ensure_admin --url http://127.0.0.1:9123/admin/" in commands
    assert "intch_welcome --url http://127.0.0.1:9123/" in commands
    # Migrating sets the Sites domain that account emails use; serving uses it for links.
    assert re.search(r"SITE_URL=http://127\.0\.0\.1:9123 \S+ manage\.py migrate", commands)
    assert re.search(r"SITE_URL=http://127\.0\.0\.1:9123 \S+ manage\.py runserver", commands)
    assert ":8000" not in commands


def test_listening_on_every_interface_prints_an_address_a_browser_can_open():
    commands = _make_run(HOST="0.0.0.0", PORT="8765")  # noqa: S104

    assert re.search(r"runserver 0\.0\.0\.0:8765$", commands, re.M)
    assert "ensure_admin --url http://127.0.0.1:8765/admin/" in commands


def test_the_readme_keeps_two_commands_and_says_how_to_pick_the_port():
    readme = (ROOT / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("##", 1)[0]
    assert re.findall(r"```sh\n(.*?)```", quickstart, re.S) == ["make run\nmake test\n"]
    working = readme.split("## Working on intch", 1)[1]
    assert "PORT=" in working and "HOST=" in working
