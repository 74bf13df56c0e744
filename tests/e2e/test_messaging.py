"""Two people at once: A writes to B from a match card, B accepts, they talk live, B blocks A.

pytest-django's live_server speaks only HTTP, so these pages are served by daphne (HTTP and
WebSockets, the ASGI app as in production) in a thread of the test process: the asgi_server
fixture of tests/e2e/conftest.py.
"""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Block
from messaging.models import Conversation
from tests.factories import TagFactory, complete_profile

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LIVE_MS = 2_000  # the issue: a new message shows for the other person within 2 seconds


def _session_cookie(user, base_url):
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}


class Person:
    """One person's browser window, with what the test watches for on it."""

    def __init__(self, browser, base_url, user, viewport, label, javascript=True):
        self.context = browser.new_context(
            viewport=viewport, base_url=base_url, java_script_enabled=javascript
        )
        self.context.set_default_timeout(10_000)
        self.context.add_cookies([_session_cookie(user, base_url)])
        self.page = self.context.new_page()
        self.label = label
        self.sockets = []
        self.csp_errors = []
        self.page.on("websocket", lambda socket: self.sockets.append(socket.url))
        self.page.on(
            "console",
            lambda message: (
                self.csp_errors.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        # Blocking asks "are you sure?" first.
        self.page.on("dialog", lambda dialog: dialog.accept())

    def screenshot(self, name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"messaging-{self.label}-{name}.png"))

    def socket_opened(self, path):
        return any(url.endswith(path) for url in self.sockets)


@pytest.fixture
def people(browser, asgi_server):
    from matching.services import matches_recompute_for_user

    shared = TagFactory.create_batch(3)
    alice = complete_profile(display_name="Alice Archer", interests=shared)
    bob = complete_profile(display_name="Bob Baker", interests=shared)
    matches_recompute_for_user(user_id=alice.user_id)
    a = Person(browser, asgi_server, alice.user, {"width": 1280, "height": 900}, "a-desktop")
    b = Person(browser, asgi_server, bob.user, {"width": 390, "height": 844}, "b-phone")
    a.profile, b.profile = alice, bob
    yield a, b
    a.context.close()
    b.context.close()


def _thread_log(person):
    return person.page.locator("#message-list")


def _badge(person):
    return person.page.locator(".site-nav #unread-badge")


def test_intro_accept_live_messages_and_block(people):
    a, b = people
    start_url = reverse("messaging:start", kwargs={"profile_id": b.profile.pk})

    # B waits on the inbox; its header badge must move without a reload.
    b.page.goto(reverse("messaging:inbox"))
    b.page.get_by_role("heading", name="No conversations yet").wait_for()
    assert _badge(b).count() == 0

    # A finds B among the matches and writes an introduction from the card.
    a.page.goto(reverse("matching:list"))
    card = a.page.locator("article.match-card", has_text="Bob Baker")
    card.wait_for()
    card.get_by_role("link", name="Message Bob Baker").click()
    a.page.wait_for_url(re.compile(re.escape(start_url) + "$"))
    a.page.get_by_label("Your introduction").fill(
        "Hi Bob! We both care about the same things.\nCoffee next week?"
    )
    a.page.get_by_role("button", name="Send request").click()
    a.page.wait_for_url(re.compile(r"/messages/\d+/$"))
    a.page.get_by_text("Your request is with Bob Baker").wait_for()
    a.screenshot("request-sent")
    conversation = Conversation.objects.get()

    # B's badge says 1 at once, and the request waits in the Requests tab.
    _badge(b).filter(has_text="1").wait_for(timeout=LIVE_MS)
    assert b.socket_opened("/ws/messages/")
    b.page.get_by_role("link", name=re.compile("^Requests")).click()
    b.page.get_by_text("Coffee next week?").wait_for()
    b.screenshot("request-received")
    b.page.get_by_role("button", name="Accept Alice Archer's request").click()
    b.page.wait_for_url(re.compile(rf"/messages/{conversation.pk}/$"))

    # A's waiting page opens up by itself once B accepts.
    a.page.locator("#composer textarea").wait_for()
    thread_socket = f"/ws/messages/{conversation.pk}/"

    # A writes; Shift+Enter is a new line, Enter sends. B sees it live.
    composer = a.page.get_by_label("Message to Bob Baker")
    composer.fill("Great to connect, Bob!")
    composer.press("Shift+Enter")
    composer.type("Second line, https://example.org/agenda")
    composer.press("Enter")
    sent = _thread_log(a).locator("li.message--mine", has_text="Great to connect")
    sent.wait_for()
    assert composer.input_value() == ""
    received = _thread_log(b).locator("li.message", has_text="Great to connect")
    received.wait_for(timeout=LIVE_MS)
    assert received.locator("a[href='https://example.org/agenda']").count() == 1
    assert "Great to connect, Bob!\nSecond line" in received.inner_text()

    # B answers; A sees it live, and B sees that A has read it.
    reply = b.page.get_by_label("Message to Alice Archer")
    reply.fill("<b>Hello</b> Alice, next Tuesday works.")
    reply.press("Enter")
    _thread_log(a).locator("li.message", has_text="<b>Hello</b> Alice").wait_for(timeout=LIVE_MS)
    b.page.locator("#seen-marker").wait_for(timeout=5_000)
    assert _thread_log(a).locator("b").count() == 0  # text, never HTML
    assert a.socket_opened(thread_socket) and b.socket_opened(thread_socket)
    a.screenshot("thread")
    b.screenshot("thread")
    # Each message shows once on each side, however it arrived (reply, socket or poll).
    assert _thread_log(a).locator("li.message").count() == 3
    assert _thread_log(b).locator("li.message").count() == 3

    # B blocks A from the thread: A's thread closes and A can no longer write.
    b.page.locator(".thread__menu summary").click()
    b.page.get_by_role("button", name="Block Alice Archer").click()
    b.page.wait_for_url(re.compile(r"/messages/$"))
    assert Block.objects.filter(blocker=b.profile.user, blocked=a.profile.user).exists()
    a.page.get_by_text("This conversation is closed").wait_for(timeout=LIVE_MS)
    assert a.page.locator("#composer").count() == 0
    a.screenshot("blocked")
    assert a.page.goto(conversation.get_absolute_url()).status == 404
    assert a.page.goto(start_url).status == 404

    assert a.csp_errors == [] and b.csp_errors == []


def test_without_a_socket_the_thread_polls_and_without_javascript_forms_work(browser, asgi_server):
    from tests.factories import conversation_between

    alice = complete_profile(display_name="Alice Archer")
    bob = complete_profile(display_name="Bob Baker")
    conversation = conversation_between(alice.user, bob.user, text="Hello from Alice")
    a = Person(browser, asgi_server, alice.user, {"width": 1280, "height": 900}, "a-polling")
    b = Person(
        browser, asgi_server, bob.user, {"width": 390, "height": 844}, "b-nojs", javascript=False
    )
    # A's socket cannot connect (a proxy without WebSocket support, say).
    a.context.route_web_socket(re.compile(r".*/ws/.*"), lambda socket: socket.close())
    try:
        a.page.goto(conversation.get_absolute_url())
        a.page.locator("#poller[hx-get]").wait_for(state="attached")

        b.page.goto(conversation.get_absolute_url())
        b.page.get_by_label("Message to Alice Archer").fill("Sent with a plain form\nTwo lines")
        b.page.get_by_role("button", name="Send").click()
        b.page.wait_for_url(re.compile(rf"/messages/{conversation.pk}/#message-\d+$"))
        b.page.locator("li.message--mine", has_text="Sent with a plain form").wait_for()
        b.screenshot("sent-without-javascript")

        # A's page picks it up by polling every few seconds.
        a.page.locator("li.message", has_text="Sent with a plain form").wait_for(timeout=8_000)
        a.page.get_by_label("Message to Bob Baker").fill("Got it by polling")
        a.page.get_by_label("Message to Bob Baker").press("Enter")
        a.page.locator("li.message--mine", has_text="Got it by polling").wait_for()
        a.screenshot("polling")

        b.page.reload()
        b.page.locator("li.message", has_text="Got it by polling").wait_for()
        assert a.page.locator("li.message").count() == 3
    finally:
        a.context.close()
        b.context.close()
