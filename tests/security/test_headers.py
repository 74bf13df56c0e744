"""Content-Security-Policy and the security headers, on pages, downloads and error pages.

`manage.py check --deploy` under production settings runs in CI (.ci/run), so HTTPS, HSTS
and secure cookies are checked there rather than here.
"""

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.checks import html_problems

pytestmark = pytest.mark.django_db

SAFE_REFERRER_POLICIES = {
    "same-origin",
    "no-referrer",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
UNSAFE_SCRIPT_SOURCES = {
    "'unsafe-inline'",
    "'unsafe-eval'",
    "*",
    "data:",
    "http:",
    "https:",
    "blob:",
}


def _policy(response):
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def _header_problems(response):
    problems = []
    if "Content-Security-Policy" not in response:
        return ["no Content-Security-Policy"]
    policy = _policy(response)
    scripts = policy.get("script-src", policy.get("default-src"))
    if not scripts:
        problems.append("no script-src nor default-src")
    elif scripts & UNSAFE_SCRIPT_SOURCES:
        problems.append(f"script-src allows {scripts & UNSAFE_SCRIPT_SOURCES}")
    if policy.get("object-src") != {"'none'"}:
        problems.append(f"object-src {policy.get('object-src')}")
    if policy.get("frame-ancestors") != {"'none'"}:
        problems.append(f"frame-ancestors {policy.get('frame-ancestors')}")
    if not policy.get("base-uri"):
        problems.append("no base-uri")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options {response.get('X-Content-Type-Options')}")
    if response.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options {response.get('X-Frame-Options')}")
    if response.get("Referrer-Policy") not in SAFE_REFERRER_POLICIES:
        problems.append(f"Referrer-Policy {response.get('Referrer-Policy')}")
    if response.get("Cross-Origin-Opener-Policy") != "same-origin":
        problems.append(f"Cross-Origin-Opener-Policy {response.get('Cross-Origin-Opener-Policy')}")
    if response.get("Content-Type", "").startswith("text/html"):
        problems += html_problems(response.content.decode())
    return problems


def _check(responses):
    failures = []
    for label, expected_status, response in responses:
        if response.status_code != expected_status:
            failures.append(f"{label}: status {response.status_code}, not {expected_status}")
        failures += [f"{label}: {problem}" for problem in _header_problems(response)]
    assert not failures, "\n".join(failures)


def test_pages_and_downloads_carry_the_policy_and_headers(world, member_client, staff_client):
    visitor = Client()
    thread = reverse("messaging:thread", kwargs={"conversation_id": world.conversation.pk})
    _check(
        [
            ("landing", 200, visitor.get("/")),
            ("log in", 200, visitor.get(reverse("account_login"))),
            ("sign up", 200, visitor.get(reverse("account_signup"))),
            ("home", 200, member_client.get(reverse("home:index"))),
            ("own profile", 200, member_client.get(reverse("profiles:me"))),
            ("profile edit", 200, member_client.get(reverse("profiles:edit"))),
            ("another profile", 200, member_client.get(world.partner.get_absolute_url())),
            ("matches", 200, member_client.get(reverse("matching:list"))),
            ("people search", 200, member_client.get(reverse("search:people"), {"q": "a"})),
            (
                "onboarding photo step",
                200,
                member_client.get(reverse("profiles:onboarding_step", args=["photo"])),
            ),
            ("inbox", 200, member_client.get(reverse("messaging:inbox"))),
            ("thread", 200, member_client.get(thread)),
            ("htmx partial", 200, member_client.get(thread + "poll/", HTTP_HX_REQUEST="true")),
            ("counts (JSON)", 200, member_client.get(reverse("messaging:counts"))),
            ("export (JSON download)", 200, member_client.get(reverse("profiles:export"))),
            ("health check", 200, visitor.get(reverse("healthz"))),
            ("avatar", 200, visitor.get("/media/" + world.owner.avatar.name)),
            ("admin", 200, staff_client.get(reverse("admin:index"))),
            ("2FA settings", 200, member_client.get(reverse("mfa_index"))),
        ]
    )


def test_error_pages_carry_the_policy_and_headers(world, member_client, monkeypatch):
    strict = Client(enforce_csrf_checks=True)
    broken = Client(raise_request_exception=False)
    broken.force_login(world.owner.user)
    monkeypatch.setattr(
        "profiles.views.selectors.profile_tags",
        lambda **kwargs: (_ for _ in ()).throw(RuntimeError("boom")),
    )
    staff_without_rights = Client()
    world.stranger.user.is_staff = True
    world.stranger.user.save(update_fields=["is_staff"])
    staff_without_rights.force_login(world.stranger.user)

    _check(
        [
            ("404", 404, member_client.get("/no-such-page/")),
            ("404 of an object", 404, member_client.get(world.hidden.get_absolute_url())),
            ("403 CSRF", 403, strict.post(reverse("account_login"), {"login": "a@b.c"})),
            (
                "403 permission",
                403,
                staff_without_rights.get(reverse("admin:profiles_tag_export_json")),
            ),
            ("400", 400, Client().get("/media/avatars/../../../etc/passwd")),
            ("405", 405, member_client.get(reverse("matching:save", args=[world.partner.pk]))),
            ("500", 500, broken.get(reverse("profiles:me"))),
        ]
    )


def test_a_rate_limited_page_carries_the_policy_and_headers(db):
    visitor = Client()
    for _ in range(20):
        visitor.post(reverse("account_signup"), {})  # allauth: 20 sign-up posts a minute per IP
    _check([("429", 429, visitor.post(reverse("account_signup"), {}))])


def test_session_and_csrf_cookies_are_not_readable_by_script_or_sent_cross_site(world):
    from tests.factories import PASSWORD

    visitor = Client()
    visitor.get(reverse("account_login"))
    visitor.post(reverse("account_login"), {"login": world.owner.user.email, "password": PASSWORD})

    session = visitor.cookies["sessionid"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    assert visitor.cookies["csrftoken"]["samesite"] == "Lax"
