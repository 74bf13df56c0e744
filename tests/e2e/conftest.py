"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server,
or against daphne (the ASGI app, WebSockets included) where pages must update live."""

import os
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("INTCH_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"Browser tests are required but {CHROMIUM} is missing.")
    skip = pytest.mark.skip(
        reason=f"Chromium not installed ({CHROMIUM}); apt-get install -y chromium"
    )
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def browser():
    """One browser per test module.

    Playwright's sync API keeps an event loop running in this thread while it is open, so
    Django would refuse the (synchronous, safe) ORM calls these tests make to set up and check
    data. Django's async-safety check is lifted for exactly that long; closing the browser
    stops the loop, so every other test, the WebSocket consumer's included, runs with the
    check on.
    """
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(params=["desktop", "phone"])
def viewport(request):
    sizes = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
    return request.param, sizes[request.param]


@pytest.fixture
def open_window(browser, viewport):
    """Open a browser window of the test's size on `base_url`, with cookies of its own.

    Call it again for a second person in the same test; every window closes after the test.
    """
    name, size = viewport
    contexts = []

    def open_(base_url):
        context = browser.new_context(viewport=size, base_url=base_url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        window = context.new_page()
        window.viewport_name = name
        return window

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_window, live_server):
    return open_window(live_server.url)


@pytest.fixture
def page_without_js(browser, live_server, viewport):
    """A window of the test's size with JavaScript off: every page must work as plain HTML."""
    name, size = viewport
    context = browser.new_context(
        viewport=size, base_url=live_server.url, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.viewport_name = name
    yield page
    context.close()


@pytest.fixture
def screenshot(page, request):
    """Save a screenshot of a key page to test-artifacts/screenshots (kept by CI).

    screenshot("label") shoots the test's page; screenshot("label", window) another window.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(label, window=None):
        safe = request.node.name.replace("[", "-").replace("]", "").replace("/", "-")
        (window or page).screenshot(path=str(ARTIFACTS / f"{safe}-{label}.png"), full_page=True)

    return take


@pytest.fixture(scope="session")
def asgi_server():
    """The ASGI app under daphne on a free port, for the whole session (Twisted runs once).

    pytest-django's live_server speaks only HTTP; pages that update live need WebSockets.
    """
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from intch.asgi import application

    server = Server(
        application=ASGIStaticFilesHandler(application),
        endpoints=build_endpoint_description_strings(host="127.0.0.1", port=0),
        signal_handlers=False,
        verbosity=0,
    )
    thread = threading.Thread(target=server.run, name="daphne-e2e", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.listening_addresses and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.listening_addresses:
        pytest.fail("daphne did not start listening within 15 s")
    host, port = server.listening_addresses[0]
    yield f"http://{host}:{port}"
    from twisted.internet import reactor

    reactor.callFromThread(reactor.stop)
    thread.join(timeout=10)
    _close_connections_of_other_threads()


def _close_connections_of_other_threads():
    """Close the database connections that server threads left open.

    Under ASGI, Django renders error pages (our 404s) on the event loop's thread pool and never
    closes what they opened there; left open, they keep the test database from being dropped.
    """
    import gc

    from django.db.backends.base.base import BaseDatabaseWrapper

    for wrapper in gc.get_objects():
        if (
            issubclass(type(wrapper), BaseDatabaseWrapper)
            and wrapper.connection is not None
            and wrapper._thread_ident != threading.get_ident()
        ):
            wrapper.inc_thread_sharing()
            try:
                wrapper.close()
            finally:
                wrapper.dec_thread_sharing()
