"""A new person completes onboarding by typing into the tag search and lands on their home."""

import re

import pytest

from profiles.models import Tag
from tests.factories import PASSWORD, TagFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.wait_for_url(re.compile(r"/profile/onboarding/basics/"))


def _pick_by_typing(page, letters, name):
    search = page.get_by_role("searchbox")
    search.click()
    search.press_sequentially(letters, delay=60)  # typed like a person, key by key
    page.get_by_role("button", name=re.compile(re.escape(name))).first.click()
    page.locator(".tag-picker__selected").get_by_text(name).wait_for()


def test_onboarding_by_typing_into_the_tag_search(page, screenshot):
    for name in ("Climate tech", "Open source", "Typography", "Carbon capture"):
        TagFactory(name=name)
    TagFactory(name="Curiosity", kind=Tag.Kind.VALUE)
    user = UserFactory(email=f"onboard-{page.viewport_name}@example.com")
    _log_in(page, user.email)

    page.get_by_label("Your name").fill("Noor Haddad")
    page.get_by_label("Headline").fill("Design engineer at a climate start-up")
    page.get_by_label("City").fill("Rotterdam")
    page.get_by_role("button", name=re.compile("continue", re.I)).click()

    page.wait_for_url(re.compile(r"/onboarding/interests/"))
    _pick_by_typing(page, "clim", "Climate tech")
    _pick_by_typing(page, "open", "Open source")
    _pick_by_typing(page, "typo", "Typography")
    screenshot("interests")
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(r"/onboarding/values/"))
    _pick_by_typing(page, "curi", "Curiosity")
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(r"/onboarding/goals/"))
    page.get_by_label("Find a mentor").check()
    page.get_by_role("button", name=re.compile("finish|continue|done", re.I)).click()

    page.wait_for_url(re.compile(r"/home/$"))
    page.get_by_role("heading", name="Good to see you, Noor Haddad").wait_for()
    screenshot("home")
    page.get_by_role("link", name="View your profile").click()
    page.wait_for_url(re.compile(r"/profile/$"))
    screenshot("profile")
    main = page.locator("main")
    for name in ("Noor Haddad", "Climate tech", "Open source", "Typography", "Curiosity"):
        assert main.get_by_text(name, exact=True).first.is_visible(), name
    assert "Carbon capture" not in main.inner_text()
