"""Every page at phone width (390 × 844) and on a desktop: nothing wider than the screen, the
header on one line, the page's main action in the first screenful, and a screenshot of each
(test-artifacts/screenshots). Then the header's Menu, the folded matches filters and the tag
picker's Save bar, on their own.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from matching.services import matches_recompute_all
from messaging import services as messaging
from profiles.models import Tag
from tests.e2e.nav import nav_link, open_filters
from tests.factories import (
    CategoryFactory,
    TagFactory,
    complete_profile,
    conversation_between,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db):
    """A member with matches, a conversation, a request waiting, and people to find."""
    climate = CategoryFactory(name="Climate & sustainability")
    tags = [
        TagFactory(name=name, category=climate)
        for name in ("Climate tech", "Carbon capture", "Heat pumps", "Grid storage")
    ]
    tags += [TagFactory(name=f"Long interest name number {n}") for n in range(30)]
    curiosity = TagFactory(name="Curiosity", kind=Tag.Kind.VALUE)
    me = complete_profile(
        display_name="Alexandra Montgomery-Vasquez",
        headline="Principal product engineer at a very long company name indeed",
        city="Rotterdam",
        interests=tags[:4] + tags[4:20],
        values=[curiosity],
        goals=["hire", "meet_peers"],
    )
    sam = complete_profile(
        display_name="Sam Rivera",
        headline="Carbon removal engineer",
        city="Lisbon",
        interests=tags[:3],
        values=[curiosity],
        goals=["find_job"],
    )
    kim = complete_profile(display_name="Kim Park", interests=tags[1:4], values=[curiosity])
    jon = complete_profile(display_name="Jon Berg", interests=tags[:2] + tags[3:4])
    for n in range(6):
        complete_profile(display_name=f"Person Number{n}", interests=tags[:3])
    conversation = conversation_between(sam.user, me.user)
    messaging.message_send(conversation=conversation, sender=sam.user, body="Coffee on Friday?")
    request = messaging.conversation_start(sender=kim.user, recipient=me.user, text="Hello!")
    matches_recompute_all(reason="e2e")
    return {
        "me": me,
        "sam": sam,
        "kim": kim,
        "jon": jon,
        "tag": tags[0],
        "conversation": conversation,
        "request": request.conversation,
    }


def _logged_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def _member_pages(w):
    """(label, path, the page's main action) for every page a member opens."""
    first_card_action = lambda p: p.locator("article.match-card").first.locator(".btn--primary")  # noqa: E731
    return [
        ("home", "/home/", lambda p: p.get_by_role("button", name=re.compile("^Accept")).first),
        ("matches", "/matches/", first_card_action),
        ("matches-all", "/matches/?contacts=include", first_card_action),
        ("saved", "/matches/saved/", lambda p: p.get_by_role("link", name="See your matches")),
        ("search", "/search/", lambda p: p.get_by_label(re.compile("^Name, headline"))),
        (
            "search-results",
            "/search/?q=person",
            lambda p: p.locator(".search-result").first.get_by_role(
                "link", name=re.compile("^Message")
            ),
        ),
        ("profile", "/profile/", lambda p: p.get_by_role("link", name="Edit profile")),
        ("profile-edit", "/profile/edit/", lambda p: p.get_by_label("Your name")),
        ("interests", "/profile/edit/interests/", lambda p: p.get_by_label("Search interests")),
        ("values", "/profile/edit/values/", lambda p: p.get_by_label("Search values")),
        ("onboarding-basics", "/profile/onboarding/basics/", lambda p: p.get_by_label("Your name")),
        (
            "onboarding-photo",
            "/profile/onboarding/photo/",
            lambda p: p.get_by_label("Your photo", exact=True),
        ),
        (
            "onboarding-goals",
            "/profile/onboarding/goals/",
            lambda p: p.get_by_label("Hire", exact=True),
        ),
        (
            "person",
            w["sam"].get_absolute_url(),
            lambda p: p.get_by_role("link", name=re.compile("^Open conversation")),
        ),
        (
            "person-new",
            w["jon"].get_absolute_url(),
            lambda p: p.locator("main").get_by_role("link", name=re.compile("^Message ")),
        ),
        ("tags", "/tags/", lambda p: p.get_by_label("Find an interest")),
        ("tags-values", "/tags/?kind=value", lambda p: p.get_by_label("Find a value")),
        (
            "tags-search",
            "/tags/?q=clim",
            lambda p: p.get_by_role("link", name=re.compile("^Climate tech")),
        ),
        (
            "tag",
            w["tag"].get_absolute_url(),
            lambda p: p.locator(".person-card").first.get_by_role("link"),
        ),
        ("settings", "/settings/", lambda p: p.get_by_label(re.compile("^Show me in other"))),
        ("delete-account", "/settings/delete/", lambda p: p.get_by_label("Your password")),
        (
            "messages",
            "/messages/",
            lambda p: p.locator("main").get_by_role("link", name=re.compile("Sam Rivera")).first,
        ),
        (
            "requests",
            "/messages/requests/",
            lambda p: p.get_by_role("button", name=re.compile("^Accept")),
        ),
        (
            "thread",
            w["conversation"].get_absolute_url(),
            lambda p: p.get_by_label(re.compile("^Message to Sam")),
        ),
        (
            "intro",
            f"/messages/start/{w['jon'].pk}/",
            lambda p: p.locator("main textarea").first,
        ),
        (
            "report",
            f"/messages/report/person/{w['jon'].pk}/",
            lambda p: p.locator("main input[type=radio], main select").first,
        ),
        ("not-found", "/no-such-page/", lambda p: p.locator("main a").first),
    ]


VISITOR_PAGES = [
    (
        "landing",
        "/",
        lambda p: p.locator("main").get_by_role("link", name=re.compile("sign up", re.I)).first,
    ),
    (
        "log-in",
        "/accounts/login/",
        lambda p: p.get_by_role("button", name=re.compile("sign in|log in", re.I)),
    ),
    ("sign-up", "/accounts/signup/", lambda p: p.get_by_label("Email")),
    ("password-reset", "/accounts/password/reset/", lambda p: p.get_by_label(re.compile("Email"))),
]


def _check(page, screenshot, label, path, main_action):
    response = page.goto(path)
    assert response is not None and response.status in (200, 404), (label, response.status)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{label}: {width[0]} px wide on a {width[1]} px screen"
    header = page.locator(".site-header__inner").bounding_box()
    assert header["height"] <= 72, f"{label}: the header is {header['height']} px high"
    action = main_action(page)
    expect(action).to_be_visible()
    box = action.bounding_box()
    height = page.evaluate("window.innerHeight")
    assert box["y"] + box["height"] <= height, f"{label}: the main action is below the fold"
    screenshot(label)


def test_every_member_page_fits_the_screen(page, live_server, screenshot, world):
    _logged_in(page, live_server, world["me"].user)
    for label, path, main_action in _member_pages(world):
        _check(page, screenshot, label, path, main_action)


def test_every_visitor_page_fits_the_screen(page, screenshot, db):
    for label, path, main_action in VISITOR_PAGES:
        _check(page, screenshot, label, path, main_action)


def test_the_header_menu_holds_the_other_links(page, live_server, world):
    _logged_in(page, live_server, world["me"].user)
    page.goto("/matches/")
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Home", "Matches", "Search"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(nav.get_by_role("link", name=re.compile("^Messages"))).to_be_visible()
    menu = nav.locator("summary", has_text="Menu")
    if page.viewport_name == "phone":
        expect(menu).to_be_visible()
        expect(nav.get_by_role("link", name="Settings")).to_be_hidden()
        menu.click()
        expect(nav.get_by_role("link", name="Settings")).to_be_visible()
        page.keyboard.press("Escape")
        expect(nav.get_by_role("link", name="Settings")).to_be_hidden()
    else:
        expect(menu).to_be_hidden()
    nav_link(page, "Settings").click()
    page.wait_for_url(re.compile(r"/settings/$"))
    nav_link(page, "Log out").click()
    page.wait_for_url(re.compile(r"/$|/accounts/logout/"))


def test_on_a_phone_the_filters_fold_and_the_first_match_shows(page, live_server, world):
    _logged_in(page, live_server, world["me"].user)
    page.goto("/matches/?min_score=1")
    fold = page.locator("details#match-filters")
    expect(fold.locator("summary")).to_contain_text("Filters (1 in use)")
    expect(page.get_by_role("link", name=re.compile("1% or more"))).to_be_visible()
    first = page.locator("article.match-card").first
    box = first.bounding_box()
    assert box["y"] < page.evaluate("window.innerHeight") / 2
    if page.viewport_name == "phone":
        expect(page.get_by_label("Interest or value")).to_be_hidden()
    open_filters(page)
    expect(page.get_by_label("Interest or value")).to_be_visible()


def test_the_save_bar_never_covers_tag_suggestions(page, live_server, world):
    """Suggestions open under the search box, down to where the sticky Save bar sits."""
    _logged_in(page, live_server, world["me"].user)
    page.goto("/profile/edit/interests/")
    search = page.get_by_label("Search interests")
    search.click()
    search.press_sequentially("long interest", delay=30)
    chips = page.locator("#tag-suggestions button.chip")
    expect(chips.first).to_be_visible()
    boxes = [chips.nth(index).bounding_box() for index in range(chips.count())]
    seen = 0
    for index, box in enumerate(boxes):
        middle = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
        if not 0 < middle[1] < page.evaluate("window.innerHeight"):
            continue
        seen += 1
        covered = page.evaluate(
            "([x, y]) => !document.elementFromPoint(x, y).closest('#tag-suggestions')", middle
        )
        assert not covered, f"suggestion {index} is covered"
    assert seen
