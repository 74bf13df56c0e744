"""Finding people and interests: people search from the header (live and without
JavaScript), and the interests browser ranking "clim" the way people mean it."""

import re

import pytest
from playwright.sync_api import expect

from profiles.models import Tag
from profiles.services import profile_update
from tests.factories import PASSWORD, CategoryFactory, TagFactory, complete_profile

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    climate = CategoryFactory(name="Climate & sustainability")
    climate_tech = TagFactory(name="Climate tech", category=climate)
    climbing = TagFactory(name="Climbing", category=CategoryFactory(name="Sports & wellbeing"))
    carbon = TagFactory(name="Carbon capture", category=climate)
    curiosity = TagFactory(name="Curiosity", kind=Tag.Kind.VALUE)
    me = complete_profile(display_name="Alex Morgan", interests=[climate_tech, carbon, climbing])
    sam = complete_profile(
        display_name="Sam Rivera",
        headline="Carbon removal engineer",
        company="Tidewater",
        city="Lisbon",
        interests=[climate_tech, carbon, TagFactory()],
        values=[curiosity],
    )
    complete_profile(
        display_name="Kim Park", city="Lisbon", interests=[climate_tech, carbon, TagFactory()]
    )
    complete_profile(display_name="Jon Berg", interests=[climbing, TagFactory(), TagFactory()])
    hidden = complete_profile(display_name="Sam Hidden", company="Tidewater")
    profile_update(profile=hidden, data={"discoverable": False})
    return {"me": me, "sam": sam}


def _log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.wait_for_url(lambda url: "/accounts/login" not in url)


def test_people_search_from_the_header_updates_as_you_type(page, screenshot, people):
    _log_in(page, people["me"].user.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    page.wait_for_url(re.compile(r"/search/$"))
    box = page.get_by_role("searchbox")
    box.click()
    box.press_sequentially("tidew", delay=40)
    results = page.locator("#search-results")
    expect(results.get_by_role("heading", name="1 person for “tidew”")).to_be_visible()
    expect(results.get_by_role("link", name="Sam Rivera", exact=True)).to_be_visible()
    expect(results.get_by_text("Sam Hidden")).to_have_count(0)
    assert "q=tidew" in page.url  # the address follows, for Back and sharing
    box.fill("lisbon carbon")
    expect(results.get_by_role("heading", name="2 people for “lisbon carbon”")).to_be_visible()
    screenshot("people")
    box.fill("nobody-here")
    expect(results.get_by_role("heading", name="Nobody matches “nobody-here”")).to_be_visible()
    box.fill("Sam Rivera")
    results.get_by_role("link", name="Sam Rivera", exact=True).click()
    page.wait_for_url(re.compile(rf"/people/{people['sam'].pk}/$"))


def test_without_javascript_search_and_browse_are_plain_forms(page_without_js, people):
    page = page_without_js
    _log_in(page, people["me"].user.email)
    page.goto("/search/")
    page.get_by_role("searchbox").fill("carbon lisbon")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=carbon\+lisbon"))
    expect(page.get_by_role("heading", name="2 people for “carbon lisbon”")).to_be_visible()

    page.goto("/tags/")
    page.get_by_role("searchbox").fill("clim")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=clim"))
    expect(page.get_by_text("2 interests for “clim”")).to_be_visible()


def test_browsing_interests_ranks_popular_prefix_matches_first(page, screenshot, people):
    _log_in(page, people["me"].user.email)
    page.goto("/tags/")
    # Folded categories, each with how many interests it holds.
    climate = page.locator("details", has_text="Climate & sustainability")
    expect(climate.locator("summary")).to_contain_text("2 interests")
    expect(climate.get_by_role("link", name=re.compile("^Carbon capture"))).to_be_hidden()
    climate.locator("summary").click()
    expect(climate.get_by_role("link", name=re.compile("^Carbon capture"))).to_be_visible()

    box = page.get_by_role("searchbox")
    box.click()
    box.press_sequentially("clim", delay=60)
    results = page.locator("#tag-browse-results")
    expect(results.get_by_text("2 interests for “clim”")).to_be_visible()
    links = results.get_by_role("link")
    expect(links.first).to_have_text(re.compile(r"^Climate tech\s+3"))  # 3 people
    expect(links.nth(1)).to_have_text(re.compile(r"^Climbing\s+2"))
    screenshot("browse-clim")
    links.first.click()
    page.wait_for_url(re.compile(r"/tags/climate-tech/$"))
    expect(page.get_by_role("heading", name="People into Climate tech")).to_be_visible()
