"""CSRF on every POST, and no state change on any GET (every URL of intch/urls.py)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from messaging.models import Message
from tests.factories import PASSWORD
from tests.security.checks import db_state, state_changes
from tests.security.conftest import leaks
from tests.security.routes import OBJECT_ROUTES, admin_paths, app_paths

pytestmark = pytest.mark.django_db

# Views that take a POST without a CSRF token, and why that is safe.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: mail clients POST with no session; the signed token in
    # the link is the permission, and all it does is turn emails off.
    "messaging:unsubscribe",
    # allauth's Google "One Tap" endpoint: Google posts a signed ID token, and allauth checks
    # its own double-submit g_csrf_token cookie instead.
    "google_login_by_token",
}


def _exempt(key):
    return key in CSRF_EXEMPT


def _every_path(world):
    return [*app_paths(world), *(("admin", path) for path in admin_paths(world))]


def test_the_csrf_exemptions_are_the_known_ones():
    from django.urls import get_resolver

    exempt = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                inner = ":".join(part for part in (namespace, pattern.namespace) if part)
                walk(pattern.url_patterns, inner)
            elif getattr(pattern.callback, "csrf_exempt", False):
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                exempt.add(name or str(pattern.pattern))

    walk(get_resolver().url_patterns)
    assert exempt == CSRF_EXEMPT


@pytest.mark.parametrize("who", ["member", "visitor"])
def test_every_post_without_a_csrf_token_is_refused(world, who):
    strict = Client(enforce_csrf_checks=True)
    if who == "member":
        strict.force_login(world.owner.user)
    before = db_state()
    failures = []
    for key, path in _every_path(world):
        if _exempt(key):
            continue
        # htmx requests carry the token in the form too: the header is no way around it.
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}) if key != "admin" else ({},):
            response = strict.post(path, {"body": "x", "reason": "spam"}, **headers)
            if response.status_code != 403:
                failures.append(f"POST {path} {headers}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert state_changes(before, db_state()) == []


def test_a_post_with_the_token_goes_through(world):
    """The 403s above come from the missing token: the same form with it is accepted."""
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.owner.user)
    thread = reverse("messaging:thread", kwargs={"conversation_id": world.conversation.pk})
    page = strict.get(thread).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    send = reverse("messaging:send", kwargs={"conversation_id": world.conversation.pk})

    refused = strict.post(send, {"body": "Without a token"})
    sent = strict.post(send, {"body": "With a token", "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert sent.status_code == 302
    assert list(Message.objects.filter(body__startswith="With").values_list("body", flat=True)) == [
        "With a token"
    ]


def test_a_cross_site_form_is_refused_even_with_a_token_from_another_session(world):
    attacker = Client(enforce_csrf_checks=True)
    attacker.get(reverse("account_login"))
    stolen = attacker.cookies["csrftoken"].value
    victim = Client(enforce_csrf_checks=True)
    victim.force_login(world.owner.user)
    victim.get(reverse("profiles:settings"))

    response = victim.post(
        reverse("profiles:settings_notifications"), {"csrfmiddlewaretoken": stolen}
    )

    assert response.status_code == 403
    world.owner.refresh_from_db()
    assert world.owner.discoverable is True


# --- GET changes nothing ------------------------------------------------------------------------


def _gets_change_nothing(client, paths):
    """GET every path; the failures (server errors, writes), each write traced to its URL."""
    before = db_state()
    failures = []
    for key, path in paths:
        response = client.get(path)
        if response.status_code >= 500:
            failures.append(f"GET {path} ({key}): {response.status_code}")
    if state_changes(before, db_state()):
        # Something wrote: find which GET (slow, so only when a write happened).
        for key, path in paths:
            before = db_state()
            client.get(path)
            if changed := state_changes(before, db_state()):
                failures.append(f"GET {path} ({key}) changed {changed}")
    return failures


def test_no_get_changes_anything_for_the_owner(world, member_client):
    """Every URL, with the owner's own objects: forms show, actions answer 405, links confirm.

    Reading a thread moves the reader's own read marker and the matches page notes the visit
    (checks.VOLATILE); nothing else changes.
    """
    failures = _gets_change_nothing(member_client, app_paths(world))

    assert not failures, "\n".join(failures)
    assert "_auth_user_id" in member_client.session, "a GET logged the owner out"
    world.second_email.refresh_from_db()
    assert world.second_email.verified is False
    world.owner.user.refresh_from_db()
    assert world.owner.user.check_password(PASSWORD), "a GET changed the password"


def test_no_get_changes_anything_for_a_visitor(world):
    failures = _gets_change_nothing(Client(raise_request_exception=False), app_paths(world))

    assert not failures, "\n".join(failures)


def test_no_admin_get_changes_anything(world, staff_client):
    """intch's admin pages (the libraries' own admin pages are Django's and allauth's)."""
    ours = ("/admin/profiles/", "/admin/matching/", "/admin/messaging/")
    paths = [
        ("admin", path)
        for path in admin_paths(world)
        if path.startswith(ours) or path.count("/") <= 3  # and the site-wide pages
    ]

    failures = _gets_change_nothing(staff_client, paths)

    assert not failures, "\n".join(failures)
    assert "_auth_user_id" in staff_client.session


def test_every_url_answers_a_visitor_without_a_server_error(world):
    """A visitor probing any URL, either method, gets a page, a redirect or a 4xx."""
    visitor = Client(raise_request_exception=False)
    failures = []
    for key, path in app_paths(world):
        if key in OBJECT_ROUTES and OBJECT_ROUTES[key].link_is_permission:
            continue  # the owner's own emailed links (forged ones: test_object_access)
        for method in ("get", "post"):
            response = getattr(visitor, method)(path)
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {path}: {response.status_code}")
            if found := leaks(response):
                failures.append(f"{method.upper()} {path} shows {found}")
    assert not failures, "\n".join(failures)
