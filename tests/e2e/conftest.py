"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server."""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# to set up data are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
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
def page(browser, live_server, viewport):
    name, size = viewport
    context = browser.new_context(viewport=size, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.viewport_name = name
    yield page
    context.close()


@pytest.fixture
def screenshot(page, request):
    """Save a screenshot of a key page to test-artifacts/screenshots (kept by CI)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(label):
        safe = request.node.name.replace("[", "-").replace("]", "").replace("/", "-")
        page.screenshot(path=str(ARTIFACTS / f"{safe}-{label}.png"), full_page=True)

    return take
