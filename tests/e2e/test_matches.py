"""A member sees their matches with reasons, filters by an interest, passes on one (and takes
it back), and saves one to find it under Saved."""

import re

import pytest
from playwright.sync_api import expect

from matching.services import matches_recompute_all
from messaging.services import conversation_accept, conversation_start
from profiles.models import Tag
from tests.e2e.nav import open_filters
from tests.factories import PASSWORD, TagFactory, complete_profile

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    climate = TagFactory(name="Climate tech")
    carbon = TagFactory(name="Carbon capture")
    source = TagFactory(name="Open source")
    typography = TagFactory(name="Typography")
    curiosity = TagFactory(name="Curiosity", kind=Tag.Kind.VALUE)
    me = complete_profile(
        display_name="Alex Morgan",
        interests=[climate, carbon, source, typography],
        values=[curiosity],
        goals=["hire"],
    )
    sam = complete_profile(
        display_name="Sam Rivera",
        headline="Carbon removal engineer",
        city="Lisbon",
        country="Portugal",
        interests=[climate, carbon, source],
        values=[curiosity],
        goals=["find_job"],
    )
    jon = complete_profile(
        display_name="Jon Berg",
        headline="Type designer",
        interests=[source, typography, TagFactory()],
        values=[curiosity],
    )
    kim = complete_profile(display_name="Kim Park", interests=[climate, typography, TagFactory()])
    matches_recompute_all(reason="e2e")
    return {"me": me, "sam": sam, "jon": jon, "kim": kim}


def _log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.wait_for_url(re.compile(r"/home/$"))


def _card(page, name):
    return page.locator("article.match-card").filter(
        has=page.get_by_role("heading", name=re.compile(name))
    )


def test_matches_filter_pass_undo_and_save(page, screenshot, people):
    _log_in(page, people["me"].user.email)
    page.get_by_role("link", name="Matches").first.click()
    page.wait_for_url(re.compile(r"/matches/$"))

    # Matches with their reasons, best first.
    sam = _card(page, "Sam Rivera")
    expect(sam).to_be_visible()
    expect(sam.get_by_text("You are hiring; Sam Rivera is looking for a job.")).to_be_visible()
    expect(sam.get_by_role("link", name="Carbon capture")).to_be_visible()
    expect(sam.get_by_text(re.compile(r"\d+%"))).to_be_visible()
    expect(sam.get_by_role("link", name="Message Sam Rivera")).to_have_attribute(
        "href", re.compile(rf"/messages/start/{people['sam'].pk}/$")
    )
    expect(page.locator("article.match-card")).to_have_count(3)
    screenshot("matches")

    # Filter by an interest, picked from the type-ahead.
    open_filters(page)
    search = page.get_by_label("Interest or value")
    search.click()
    search.press_sequentially("carb", delay=60)
    page.locator("#filter-tag-options").get_by_role("link", name="Carbon capture").click()
    page.wait_for_url(re.compile(r"tag=carbon-capture"))
    expect(page.locator("article.match-card")).to_have_count(1)
    expect(_card(page, "Sam Rivera")).to_be_visible()
    open_filters(page)
    expect(page.get_by_label("Interest or value")).to_have_value("Carbon capture")
    screenshot("filtered")
    page.get_by_role("link", name="Clear filters").first.click()
    expect(page.locator("article.match-card")).to_have_count(3)

    # Pass: the card gives way to a note with Undo; Undo brings the card back.
    _card(page, "Jon Berg").get_by_role("button", name="Pass on Jon Berg").click()
    expect(page.get_by_text("You passed on")).to_be_visible()
    expect(page.get_by_role("heading", name="Jon Berg")).to_have_count(0)
    screenshot("passed")
    page.get_by_role("button", name=re.compile("Undo")).click()
    expect(_card(page, "Jon Berg").get_by_role("button", name="Pass on Jon Berg")).to_be_visible()
    page.reload()
    expect(_card(page, "Jon Berg")).to_be_visible()

    # Save: the button turns into "Saved", and the person is under Saved.
    _card(page, "Sam Rivera").get_by_role("button", name="Save Sam Rivera").click()
    expect(
        _card(page, "Sam Rivera").get_by_role("button", name=re.compile("^Saved"))
    ).to_have_attribute("aria-pressed", "true")
    page.get_by_role("link", name="Saved", exact=True).click()
    page.wait_for_url(re.compile(r"/matches/saved/$"))
    expect(_card(page, "Sam Rivera")).to_be_visible()
    expect(page.locator("article.match-card")).to_have_count(1)
    screenshot("saved")


def test_without_javascript_actions_are_plain_forms(page_without_js, people):
    page = page_without_js
    _log_in(page, people["me"].user.email)
    page.goto("/matches/?sort=newest")

    _card(page, "Jon Berg").get_by_role("button", name="Pass on Jon Berg").click()
    page.wait_for_url(re.compile(r"sort=newest.*passed="))
    expect(page.get_by_role("heading", name="Jon Berg")).to_have_count(0)
    page.get_by_role("button", name=re.compile("Undo passing on Jon Berg")).click()
    expect(page.get_by_text("Jon Berg is back in your suggestions.")).to_be_visible()
    expect(_card(page, "Jon Berg")).to_be_visible()
    assert "sort=newest" in page.url and "passed=" not in page.url

    _card(page, "Kim Park").get_by_role("button", name="Save Kim Park").click()
    expect(page.get_by_text("Saved Kim Park.")).to_be_visible()
    page.goto("/matches/saved/")
    expect(_card(page, "Kim Park")).to_be_visible()


def test_cards_follow_what_you_already_did(page, screenshot, people):
    """Write to Sam from the card: the card says the request is on its way. Once Jon and you
    talk, Jon leaves the list; the filter brings him back with "Open conversation"."""
    me, jon = people["me"], people["jon"]
    conversation_accept(
        conversation=conversation_start(
            sender=jon.user, recipient=me.user, text="Hi!"
        ).conversation,
        user=me.user,
    )
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(me.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    page.goto("/matches/")
    expect(_card(page, "Jon Berg")).to_have_count(0)
    expect(page.locator("article.match-card")).to_have_count(2)

    _card(page, "Sam Rivera").get_by_role("link", name="Message Sam Rivera").click()
    page.get_by_label("Your introduction").fill("We both work on carbon capture. Coffee?")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(re.compile(r"/messages/\d+/"))
    page.goto("/matches/")
    sam = _card(page, "Sam Rivera")
    expect(sam.get_by_text("Request sent, waiting for an answer")).to_be_visible()
    expect(sam.get_by_role("link", name="View request to Sam Rivera")).to_be_visible()
    screenshot("request-sent")

    page.get_by_role("link", name="show them too").click()
    page.wait_for_url(re.compile(r"contacts=include"))
    jon_card = _card(page, "Jon Berg")
    expect(jon_card.get_by_text("Connected: you already talk")).to_be_visible()
    jon_card.get_by_role("link", name="Open conversation with Jon Berg").click()
    page.wait_for_url(re.compile(r"/messages/\d+/$"))
    expect(page.get_by_label(re.compile("^Message to Jon Berg"))).to_be_visible()
