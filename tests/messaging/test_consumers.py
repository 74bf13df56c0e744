"""The live socket, through the real ASGI stack (session auth, origin check, channel layer)."""

import threading

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from accounts.services import account_suspend
from messaging import services
from messaging.consumers import CLOSE_NOT_FOUND
from tests.factories import complete_profile, conversation_between

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 3


@pytest.fixture
def people():
    alice = complete_profile(display_name="Alice Archer").user
    bob = complete_profile(display_name="Bob Baker").user
    return alice, bob


@pytest.fixture
def sessions(people):
    alice, bob = people
    return {"alice": _session(alice), "bob": _session(bob)}


def _session(user):
    """A session cookie for `user` (made before the async part: logging in is synchronous)."""
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def _socket(path, session=None, origin=b"http://testserver"):
    from intch.asgi import application

    headers = [(b"host", b"testserver"), (b"origin", origin)]
    if session is not None:
        headers.append((b"cookie", session))
    return WebsocketCommunicator(application, path, headers=headers)


async def _receive(communicator, kind):
    """The next event of `kind`, skipping others (counts arrive after every event)."""
    while True:
        event = await communicator.receive_json_from(timeout=TIMEOUT)
        if event["type"] == kind:
            return event


def _run(scenario):
    """Run an async scenario on its own thread and event loop.

    The browser tests leave Playwright's loop running on the main thread for the session, so
    async_to_sync cannot run there; the scenario's database work happens on this thread too.
    """
    failure = []

    async def wrapped():
        layer = get_channel_layer()
        if isinstance(layer, InMemoryChannelLayer):
            # Its queues belong to the loops of earlier tests. (Redis keeps one pool per loop.)
            await layer.flush()
        await scenario()

    def target():
        try:
            async_to_sync(wrapped)()
        except BaseException as error:  # re-raised on the test's thread below
            failure.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the socket scenario did not finish within 60 s"
    if failure:
        raise failure[0]


def test_a_new_message_reaches_the_other_persons_open_thread(people, sessions):
    alice, bob = people
    conversation = conversation_between(alice, bob)

    async def scenario():
        socket = _socket(f"/ws/messages/{conversation.pk}/", sessions["bob"])
        connected, _ = await socket.connect()
        assert connected
        assert (await _receive(socket, "counts"))["messages"] == 0

        await database_sync_to_async(services.message_send)(
            conversation=conversation, sender=alice, body="Live <b>now</b>!\nSecond line"
        )

        event = await _receive(socket, "message")
        assert event["conversation_id"] == conversation.pk
        assert event["mine"] is False
        assert "Live &lt;b&gt;now&lt;/b&gt;!<br>Second line" in event["html"]
        assert (await _receive(socket, "counts"))["messages"] == 1

        # The page shows it, so it says it was read; the badge goes back to zero.
        await socket.send_json_to({"type": "read", "message_id": event["message_id"]})
        assert (await _receive(socket, "counts"))["messages"] == 0
        await socket.disconnect()

    _run(scenario)


def test_the_sender_sees_seen_when_the_other_reads(people, sessions):
    alice, bob = people
    conversation = conversation_between(alice, bob)
    message = services.message_send(conversation=conversation, sender=alice, body="Read me")

    async def scenario():
        socket = _socket(f"/ws/messages/{conversation.pk}/", sessions["alice"])
        assert (await socket.connect())[0]

        await database_sync_to_async(services.message_mark_read)(
            conversation=conversation, user=bob
        )

        assert (await _receive(socket, "seen"))["message_id"] == message.pk
        await socket.disconnect()

    _run(scenario)


def test_the_header_socket_updates_the_badge_on_any_page(people, sessions):
    alice, bob = people

    async def scenario():
        socket = _socket("/ws/messages/", sessions["bob"])
        assert (await socket.connect())[0]
        assert (await _receive(socket, "counts"))["total"] == 0

        await database_sync_to_async(services.conversation_start)(
            sender=alice, recipient=bob, text="May I ask you something?"
        )

        counts = await _receive(socket, "counts")
        assert (counts["requests"], counts["total"]) == (1, 1)
        await socket.disconnect()

    _run(scenario)


def test_blocking_closes_the_thread_on_both_sides(people, sessions):
    alice, bob = people
    conversation = conversation_between(alice, bob)

    async def scenario():
        socket = _socket(f"/ws/messages/{conversation.pk}/", sessions["alice"])
        assert (await socket.connect())[0]

        await database_sync_to_async(services.conversation_block)(
            conversation=conversation, user=bob
        )

        assert (await _receive(socket, "closed"))["conversation_id"] == conversation.pk
        await socket.disconnect()

    _run(scenario)


def test_others_cannot_open_a_conversations_socket(people, sessions):
    alice, bob = people
    sessions["stranger"] = _session(complete_profile().user)
    conversation = conversation_between(alice, bob)

    async def scenario():
        for session in (sessions["stranger"], None):
            socket = _socket(f"/ws/messages/{conversation.pk}/", session)
            connected, _code = await socket.connect()
            assert not connected
        socket = _socket(f"/ws/messages/{conversation.pk}/", sessions["stranger"])
        assert (await socket.connect()) == (False, CLOSE_NOT_FOUND)
        missing = _socket("/ws/messages/987654/", sessions["alice"])
        assert (await missing.connect()) == (False, CLOSE_NOT_FOUND)

    _run(scenario)


def test_a_blocked_conversation_refuses_the_socket(people, sessions):
    alice, bob = people
    conversation = conversation_between(alice, bob)
    services.conversation_block(conversation=conversation, user=alice)

    async def scenario():
        for session in sessions.values():
            socket = _socket(f"/ws/messages/{conversation.pk}/", session)
            assert (await socket.connect()) == (False, CLOSE_NOT_FOUND)

    _run(scenario)


def test_sockets_from_other_sites_are_refused(people, sessions):
    _alice, _ = people

    async def scenario():
        socket = _socket("/ws/messages/", sessions["alice"], origin=b"https://evil.example")
        connected, _ = await socket.connect()
        assert not connected

    _run(scenario)


def test_a_suspended_persons_sockets_close(people, sessions):
    alice, _bob = people

    async def scenario():
        socket = _socket("/ws/messages/", sessions["alice"])
        assert (await socket.connect())[0]
        await _receive(socket, "counts")

        await database_sync_to_async(account_suspend)(user=alice)

        output = await socket.receive_output(timeout=TIMEOUT)
        assert output["type"] == "websocket.close"

    _run(scenario)


def test_the_heartbeat_marks_the_person_active(people, sessions):
    from django.core.cache import cache

    from accounts.selectors import person_is_active

    alice, _ = people

    async def scenario():
        socket = _socket("/ws/messages/", sessions["alice"])
        assert (await socket.connect())[0]
        await database_sync_to_async(cache.clear)()

        await socket.send_json_to({"type": "ping"})

        await _receive(socket, "pong")
        assert await database_sync_to_async(person_is_active)(user_id=alice.pk)
        await socket.disconnect()

    _run(scenario)
