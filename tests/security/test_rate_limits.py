"""Rate limits under a burst: nothing past the limit is saved or sent, and people are told.

Log in, sign up and password reset are allauth's limits (kept in the cache, so shared by every
web process through Redis in services mode); intros and messages use intch/ratelimit.py, whose
clock these tests step themselves (`stepped_clock`), so they pass at any wall-clock time.
"""

import threading
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from messaging import services
from messaging.models import Conversation, Message
from tests.factories import PASSWORD, UserFactory, complete_profile, conversation_between

pytestmark = pytest.mark.django_db

User = get_user_model()
STRONG = "correct-horse-battery-staple-9"
TOO_MANY = "too many"


def _says_too_many(response):
    return TOO_MANY in response.content.decode().lower()


def _logged_in(client):
    return "_auth_user_id" in client.session


# --- allauth: log in, sign up, password reset ---------------------------------------------------


def test_a_burst_of_wrong_passwords_locks_the_account_even_for_the_right_one(db):
    """allauth: 5 failures per address in 5 minutes."""
    UserFactory(email="target@example.com")
    client = Client()
    url = reverse("account_login")

    failures = [
        client.post(url, {"login": "target@example.com", "password": f"guess-{n}"})
        for n in range(5)
    ]
    locked = client.post(url, {"login": "target@example.com", "password": PASSWORD})

    assert all(b"not correct" in response.content for response in failures)
    assert locked.status_code in (200, 429)
    assert _says_too_many(locked)
    assert not _logged_in(client)
    # Another person's address is not locked by it.
    UserFactory(email="other@example.com")
    elsewhere = Client(REMOTE_ADDR="10.0.0.2")
    elsewhere.post(url, {"login": "other@example.com", "password": PASSWORD})
    assert _logged_in(elsewhere)


def test_a_burst_of_logins_from_one_address_is_refused(db):
    """allauth: 10 failed logins a minute per IP, 30 login posts a minute per IP."""
    UserFactory(email="real@example.com")
    client = Client()
    url = reverse("account_login")

    responses = [
        client.post(url, {"login": f"nobody{n}@example.com", "password": "wrong-password"})
        for n in range(31)
    ]
    after = client.post(url, {"login": "real@example.com", "password": PASSWORD})

    assert all(_says_too_many(response) for response in responses[10:])
    assert responses[-1].status_code == 429
    assert after.status_code == 429 and _says_too_many(after)
    assert "wait a few minutes" in after.content.decode()
    assert not _logged_in(client)


def test_a_burst_of_sign_ups_makes_no_account_past_the_limit(db, committed):
    """allauth: 20 sign-ups a minute per IP; a made-up X-Forwarded-For does not reset it."""
    client = Client()
    url = reverse("account_signup")

    with committed():
        responses = [
            client.post(
                url,
                {"email": f"new{n}@example.com", "password1": STRONG, "password2": STRONG},
                HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
            )
            for n in range(25)
        ]

    assert [response.status_code for response in responses[:20]] == [302] * 20
    assert [response.status_code for response in responses[20:]] == [429] * 5
    assert all(_says_too_many(response) for response in responses[20:])
    assert User.objects.filter(email__startswith="new").count() == 20
    assert len(mail.outbox) == 20
    assert not User.objects.filter(email__in=[f"new{n}@example.com" for n in range(20, 25)])


def test_a_burst_of_password_resets_for_one_address_sends_five_emails(db, committed):
    """allauth: 5 reset requests a minute per address."""
    UserFactory(email="forgot@example.com")
    client = Client()

    with committed():
        responses = [
            client.post(reverse("account_reset_password"), {"email": "forgot@example.com"})
            for _ in range(8)
        ]

    assert [response.status_code for response in responses] == [302] * 5 + [429] * 3
    assert _says_too_many(responses[-1])
    assert len(mail.outbox) == 5


def test_a_burst_of_password_resets_from_one_address_is_refused(db, committed):
    """allauth: 20 reset requests a minute per IP, whatever the addresses."""
    client = Client()

    with committed():
        responses = [
            client.post(reverse("account_reset_password"), {"email": f"someone{n}@example.com"})
            for n in range(24)
        ]

    assert [response.status_code for response in responses][20:] == [429] * 4
    assert len(mail.outbox) <= 20


# --- intros per day and messages per minute ---------------------------------------------------


@pytest.fixture
def pushed(monkeypatch):
    """Live pushes, recorded instead of sent."""
    events = []
    monkeypatch.setattr(
        services.live, "push", lambda *, user_ids, event: events.append((tuple(user_ids), event))
    )
    return events


def _kinds(events, kind):
    return [event for _, event in events if event.get("kind") == kind]


def _intro(client, person, text):
    return client.post(
        reverse("messaging:start", kwargs={"profile_id": person.pk}),
        {"text": text, "client_token": str(uuid.uuid4())},
    )


def test_a_burst_of_intros_stops_at_the_daily_limit(
    settings,
    member_client,
    pushed,
    tasks_inline,
    django_capture_on_commit_callbacks,
    stepped_clock,
):
    settings.MESSAGING_INTRO_REQUESTS_PER_DAY = 3
    people = [complete_profile() for _ in range(6)]

    with django_capture_on_commit_callbacks(execute=True):
        responses = []
        for n, person in enumerate(people[:5]):
            responses.append(_intro(member_client, person, f"Hello {n}, shall we talk?"))
            stepped_clock.step(0.1)  # the last two go out after midnight: still refused

    assert [response.status_code for response in responses] == [302] * 3 + [429] * 2
    page = responses[-1].content.decode()
    assert "You have sent 3 new requests in the last 24 hours" in page
    assert "You can send the next one in about 24 hours" in page
    assert "Hello 4, shall we talk?" in responses[-1].content.decode(), "the text is kept"
    me = member_client.profile.user
    assert Conversation.objects.filter(initiator=me).count() == 3
    assert Message.objects.filter(sender=me).count() == 3
    assert len(_kinds(pushed, "message")) == 3
    told = {address for email in mail.outbox for address in email.to}
    assert told <= {person.user.email for person in people[:3]}
    assert not told & {person.user.email for person in people[3:]}
    # A day after the first one, the next request goes out.
    stepped_clock.step(24 * 60 * 60 - 0.4)
    assert _intro(member_client, people[5], "A day later").status_code == 302


def test_a_burst_of_messages_stops_at_the_per_minute_limit(
    settings, member_client, pushed, django_capture_on_commit_callbacks, stepped_clock
):
    """Five messages in the last 0.2 s of a minute, then more in the next one: refused.

    Fixed clock windows let this burst through twice (10 messages in one second); the
    sliding window lets the sixth go only a minute after the first.
    """
    settings.MESSAGING_MESSAGES_PER_MINUTE = 5
    partner = complete_profile()
    conversation = conversation_between(partner.user, member_client.profile.user)
    pushed.clear()
    send = reverse("messaging:send", kwargs={"conversation_id": conversation.pk})
    me = member_client.profile.user

    def post(body, **headers):
        response = member_client.post(
            send, {"body": body, "client_token": str(uuid.uuid4())}, **headers
        )
        stepped_clock.step(0.03)
        return response

    first_sent = stepped_clock.now
    with django_capture_on_commit_callbacks(execute=True):
        plain = [post(f"Message {n}") for n in range(5)]  # :59.80 to :59.92
        stepped_clock.step(0.2)  # the wall clock's minute turns
        plain += [post(f"Message {n}") for n in range(5, 7)]
        htmx = post("One more", HTTP_HX_REQUEST="true")

    assert [response.status_code for response in plain] == [302] * 5 + [429] * 2
    assert "Please wait 1 minute before sending the next one" in plain[-1].content.decode()
    assert "Message 6" in plain[-1].content.decode(), "the text is kept"
    # Under htmx the refusal shows above the message box (intch/htmx.py: a 200 aimed there).
    assert (htmx.status_code, htmx["HX-Retarget"]) == (200, "#composer-errors")
    assert "Please wait" in htmx.content.decode()
    assert Message.objects.filter(sender=me).count() == 5
    assert len(_kinds(pushed, "message")) == 5
    # The other person is not limited by it.
    services.message_send(conversation=conversation, sender=partner.user, body="My turn")
    # A minute after the first message, one more goes; the rest of the minute is still full.
    stepped_clock.now = first_sent + 60.01
    later = [
        member_client.post(send, {"body": body, "client_token": str(uuid.uuid4())}).status_code
        for body in ("Later", "Later again")
    ]
    assert later == [302, 429]


def test_the_counter_holds_under_a_concurrent_burst(settings):
    """Many requests at the same moment: exactly `limit` get through (an atomic limit)."""
    limit, attempts = 10, 40
    allowed, refused = [], []
    start = threading.Barrier(8)

    def worker(share):
        start.wait()
        for _ in range(share):
            try:
                services.rules.rate_limit(
                    user_id=4242, action="burst", limit=limit, period_seconds=60, message="Wait."
                )
            except ValidationError as error:
                assert error.code == services.RATE_LIMITED  # noqa: PT017 (threads count outcomes)
                refused.append(1)
            else:
                allowed.append(1)

    threads = [threading.Thread(target=worker, args=(attempts // 8,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert (len(allowed), len(refused)) == (limit, attempts - limit)
