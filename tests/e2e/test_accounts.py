"""A visitor signs up, confirms the email with one click, logs out, logs in, and is refused a
wrong password; every page and email speaks intch's one voice."""

import re

import pytest
from django.core import mail

from tests.e2e.nav import nav_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple-9"
# allauth's own words, which intch's must replace everywhere.
ALLAUTH_WORDS = re.compile(r"Sign In|Sign Up|Sign Out|Remember Me|Successfully signed in")


def _assert_one_voice(page):
    text = page.locator("body").inner_text()
    assert not ALLAUTH_WORDS.search(text), ALLAUTH_WORDS.search(text).group(0)


def test_sign_up_confirm_on_one_click_log_out_log_in_and_wrong_password(
    page, screenshot, tasks_inline
):
    """The emails leave in this process (the outbox's task runs in-process), so the test reads
    them; tests/intch/test_outbox.py sends through a real worker."""
    email = f"newcomer-{page.viewport_name}@mail.test"
    page.goto("/")
    screenshot("landing")
    page.get_by_role("link", name=re.compile("sign up", re.I)).first.click()
    page.get_by_role("heading", name="Sign up").wait_for()
    _assert_one_voice(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label(re.compile("Password \\(again\\)|Confirm", re.I)).fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    page.get_by_role("heading", name="Check your email").wait_for()
    screenshot("verify-sent")

    confirmation = mail.outbox[-1]
    assert confirmation.subject == "Confirm your email address to finish signing up for intch"
    html = confirmation.alternatives[0][0]
    for part in (confirmation.subject, confirmation.body, html):
        assert "example.com" not in part
    assert "Confirm my email address" in html
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", confirmation.body).group(0)
    # One click in the browser that signed up: confirmed and logged in, straight to onboarding.
    page.goto("/" + link.split("/", 3)[3])
    page.wait_for_url(re.compile(r"/profile/onboarding/"))
    screenshot("onboarding")

    nav_link(page, "Log out").click()
    if "/accounts/logout/" in page.url:
        page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out.").wait_for()
    page.goto("/accounts/login/")
    page.get_by_role("heading", name="Log in").wait_for()
    _assert_one_voice(page)
    assert page.get_by_label("Keep me logged in on this device").is_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text(re.compile("not correct", re.I)).wait_for()
    assert page.get_by_label("Email").input_value() == email
    screenshot("wrong-password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/profile/onboarding/"))
    _assert_one_voice(page)
    assert "/accounts/login" not in page.url
