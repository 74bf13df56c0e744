"""Every URL that names an object, tried by a logged-in stranger and by a visitor.

The answer is a 404 (or a login redirect for visitors), never another person's data; the
table is tests/security/routes.py, and a new URL with a parameter fails until it is in it.
"""

import pytest
from django.test import Client
from django.urls import reverse

from messaging.consumers import CLOSE_NOT_FOUND, CLOSE_UNAUTHORIZED
from tests.security.checks import (
    ADMIN_LOGIN_PATH,
    db_state,
    http_routes,
    login_redirect,
    state_changes,
)
from tests.security.conftest import leaks
from tests.security.routes import (
    INVALID_LINK,
    LOGIN,
    MEDIA,
    OBJECT_ROUTES,
    OWN_ONLY,
    REFUSED,
    SOCKET_ROUTES,
    admin_paths,
    path_for,
)

pytestmark = pytest.mark.django_db

# Whatever the stranger posts, in case a view reads it.
POSTED = {
    "body": "stranger was here",
    "text": "stranger was here",
    "reason": "spam",
    "details": "stranger was here",
    "message_id": "1",
    "password1": "stranger-new-password-1",
    "password2": "stranger-new-password-1",
}
# Recomputed matches are derived data: unblocking or passing queues a recompute.
DERIVED = {"matching.Match", "matching.MatchState", "matching.MatchRun", "matching.MatchRunChunk"}


def _object_routes():
    return {key for key, route, has_params in http_routes() if has_params}


def _non_admin(keys):
    return {key for key in keys if not key.startswith("admin:") and not key.startswith("admin/")}


def _outcome_ok(expected, response):
    status = response.status_code
    if expected == REFUSED:
        return status in (400, 404, 405)
    if expected == LOGIN:
        return login_redirect(response)
    if expected == INVALID_LINK:
        return status in (200, 404, 405)
    if expected == OWN_ONLY:
        return status < 500
    raise AssertionError(expected)


def _probe(client, who, expected, key, label, kwargs, failures):
    path = path_for(key, kwargs)
    for method in ("get", "post"):
        response = getattr(client, method)(path, POSTED if method == "post" else None)
        if not _outcome_ok(expected, response):
            answer = f"{response.status_code} {response.get('Location', '')}"
            failures.append(f"{who} {method.upper()} {path} ({label}): {answer}")
        if found := leaks(response):
            failures.append(f"{who} {method.upper()} {path} ({label}) shows {found}")


def test_every_object_url_is_in_the_table():
    """A new URL with a parameter must say here who may reach what through it."""
    in_urls = _non_admin(_object_routes())
    assert in_urls - set(OBJECT_ROUTES) == set(), "add these URLs to tests/security/routes.py"
    assert set(OBJECT_ROUTES) - in_urls == set(), "these URLs are gone: drop them from the table"


def test_every_socket_route_is_in_the_table():
    from messaging.routing import websocket_urlpatterns

    assert {str(pattern.pattern) for pattern in websocket_urlpatterns} == set(SOCKET_ROUTES)


def test_the_table_names_objects_the_owner_can_reach(world, member_client):
    """The owner's own parameters work, so the stranger's 404s below are refusals."""
    failures = []
    for key, route in OBJECT_ROUTES.items():
        if route.own is None:
            continue
        path = path_for(key, route.own(world))
        response = member_client.get(path)
        if response.status_code == 404 or response.status_code >= 500:
            failures.append(f"{path}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_a_stranger_reaches_nobody_elses_objects(world, stranger_client):
    before = db_state()
    failures = []
    for key, route in OBJECT_ROUTES.items():
        for label, kwargs in route.others(world):
            _probe(stranger_client, "stranger", route.stranger, key, label, kwargs, failures)

    assert not failures, "\n".join(failures)
    assert set(state_changes(before, db_state())) <= DERIVED


def test_a_visitor_reaches_no_object(world):
    client = Client()  # the `client` fixture is the owner's (member_client)
    before = db_state()
    failures = []
    for key, route in OBJECT_ROUTES.items():
        probes = route.others(world)
        if route.own is not None and not route.link_is_permission:
            probes.append(("the owner's own", route.own(world)))
        for label, kwargs in probes:
            expected = route.visitor
            if key == MEDIA and label == "the owner's own":
                continue  # a visible person's current picture is public
            _probe(client, "visitor", expected, key, label, kwargs, failures)

    assert not failures, "\n".join(failures)
    assert set(state_changes(before, db_state())) <= DERIVED


def test_a_visitor_can_see_a_visible_persons_current_picture_only(world):
    client = Client()
    current = client.get(path_for(MEDIA, {"path": world.owner.avatar.name}))
    replaced = client.get(path_for(MEDIA, {"path": world.replaced_avatar}))

    assert current.status_code == 200
    assert current["Content-Type"] == "image/webp"
    assert replaced.status_code == 404


def test_the_owner_sees_her_private_things_so_the_checks_above_mean_something(world, member_client):
    pages = [
        reverse("messaging:thread", kwargs={"conversation_id": world.conversation.pk}),
        reverse("messaging:requests"),
        reverse("profiles:edit_interests"),
        reverse("profiles:settings"),
    ]
    seen = set()
    for path in pages:
        seen.update(leaks(member_client.get(path)))
    assert {"private-message-q7", "private-request-q7", "private tag q7"} <= seen


def test_a_strangers_public_view_of_the_owner_shows_nothing_private(world, stranger_client):
    """The owner's profile is public; her email, proposals, messages and blocks are not."""
    pages = [
        world.owner.get_absolute_url(),
        reverse("profiles:tag_detail", kwargs={"slug": world.approved_tag.slug}),
        reverse("messaging:start", kwargs={"profile_id": world.owner.pk}),
        reverse("messaging:report_person", kwargs={"profile_id": world.owner.pk}),
        reverse("messaging:inbox"),
        reverse("messaging:requests"),
        reverse("matching:list"),
        reverse("matching:saved"),
        reverse("profiles:settings"),
        reverse("profiles:export"),
        reverse("messaging:counts"),
        reverse("search:people") + "?q=Olivia",
    ]
    for path in pages:
        response = stranger_client.get(path)
        assert response.status_code in (200, 302), path
        assert leaks(response) == [], path
    assert "Olivia Owner" in stranger_client.get(world.owner.get_absolute_url()).content.decode()


# --- The admin: staff only ---------------------------------------------------------------------


def test_the_admin_is_for_staff_only(world, stranger_client):
    client = Client()
    paths = admin_paths(world)
    assert len(paths) > 50
    # An admin action, should a view take it: suspend the person the owner reported.
    data = {"action": "suspend", "_selected_action": [world.report.pk]}
    before = db_state()
    failures = []
    for who, person in (("stranger", stranger_client), ("visitor", client)):
        for path in paths:
            if path.rstrip("/") in ("/admin/login", "/admin/logout"):
                continue
            for method in ("get", "post"):
                response = getattr(person, method)(path, data if method == "post" else None)
                if not login_redirect(response, ADMIN_LOGIN_PATH):
                    failures.append(f"{who} {method.upper()} {path}: {response.status_code}")
                if found := leaks(response):
                    failures.append(f"{who} {method.upper()} {path} shows {found}")
    assert not failures, "\n".join(failures)
    assert state_changes(before, db_state()) == []


def test_moderators_see_the_report_so_the_admin_check_means_something(world, staff_client):
    from django.contrib.admin.utils import quote

    page = staff_client.get(reverse("admin:messaging_report_change", args=[quote(world.report.pk)]))
    assert page.status_code == 200
    assert "private-report-q7" in leaks(page)


# --- The live socket ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_socket_refuses_visitors_and_strangers():
    from channels.db import database_sync_to_async

    from messaging import services
    from tests.factories import complete_profile, conversation_between
    from tests.messaging.test_consumers import _run, _session, _socket

    owner = complete_profile(display_name="Olivia Owner").user
    partner = complete_profile(display_name="Pat Partner").user
    stranger = complete_profile(display_name="Stan Stranger").user
    conversation = conversation_between(partner, owner)
    sessions = {"owner": _session(owner), "stranger": _session(stranger)}
    thread = f"/ws/messages/{conversation.pk}/"

    async def scenario():
        for path in ("/ws/messages/", thread):
            assert (await _socket(path).connect()) == (False, CLOSE_UNAUTHORIZED), path
        assert (await _socket(thread, sessions["stranger"]).connect()) == (False, CLOSE_NOT_FOUND)
        # A page on another site cannot open a socket with the person's cookie (socket CSRF).
        evil = _socket(thread, sessions["owner"], origin=b"https://evil.example")
        assert not (await evil.connect())[0]

        # The stranger's own header socket hears nothing of the owner's conversation, and
        # cannot mark it read.
        own = _socket("/ws/messages/", sessions["stranger"])
        assert (await own.connect())[0]
        assert (await own.receive_json_from())["type"] == "counts"
        await own.send_json_to({"type": "read", "message_id": conversation.last_message_id})
        await database_sync_to_async(services.message_send)(
            conversation=conversation, sender=partner, body="private-message-q7"
        )
        assert await own.receive_nothing(timeout=0.5)
        await own.disconnect()

    _run(scenario)
    owner_side = conversation.participants.get(user=owner)
    assert owner_side.last_read_message_id < conversation.messages.last().pk
