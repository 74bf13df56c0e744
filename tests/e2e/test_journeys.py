"""Whole journeys through intch in a real browser, each on a phone and a desktop window.

1. A newcomer signs up, verifies the email, onboards, reads why someone matches, writes to them.
2. That person logs in, accepts the request, and the two talk live.
3. An admin approves a proposed tag and merges duplicates; people see it on profiles and matches.
4. A person blocks another: each vanishes from the other's matches, profile pages and messages.
5. A person downloads their data and deletes their account: no login, gone everywhere.

Pages are served by daphne (the ASGI app, WebSockets included, as in production). Celery tasks
run in-process in both modes (tasks_inline), so recomputes are done when a request returns.
Only the people the journey meets are made with factories; the person on the journey clicks.
"""

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from matching.services import matches_recompute_all
from messaging.models import Conversation
from messaging.services import message_send
from profiles.models import Tag
from tests.e2e.nav import nav_link
from tests.factories import (
    PASSWORD,
    CategoryFactory,
    TagFactory,
    UserFactory,
    complete_profile,
    conversation_between,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIVE_MS = 2_000  # a new message shows for the other person within 2 seconds


@pytest.fixture(autouse=True)
def _tasks_in_process(tasks_inline):
    """Recomputes and notifications run when queued, in both modes, so pages are up to date."""


@pytest.fixture
def page(open_window, asgi_server):
    return open_window(asgi_server)


@pytest.fixture
def other_window(open_window, asgi_server):
    """A second person's window, same size as the first, with cookies of its own."""
    return lambda: open_window(asgi_server)


# --- What a person does -------------------------------------------------------------------


def _log_in(page, email):
    page.goto("/accounts/login/")
    _fill_log_in_form(page, email)
    page.wait_for_url(re.compile(r"/home/$"))


def _fill_log_in_form(page, email, password=PASSWORD):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()


def _open_matches(page):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Matches").click()
    page.wait_for_url(re.compile(r"/matches/$"))
    expect(page.get_by_role("heading", name="Your matches")).to_be_visible()


def _show_people_you_talk_to(page):
    """The matches page leaves out people you already talk to; this brings them back."""
    page.get_by_role("link", name=re.compile("^show them")).click()
    page.wait_for_url(re.compile(r"contacts=include"))


def _open_messages(page):
    """Messages in the header: the conversations, or the requests while some wait."""
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Messages")
    ).click()
    page.wait_for_url(re.compile(r"/messages/(requests/)?$"))


def _card(page, name):
    return page.locator("article.match-card").filter(
        has=page.get_by_role("heading", name=re.compile(rf"^{re.escape(name)}\b"))
    )


def _cards(page):
    return page.locator("article.match-card")


def _conversation_rows(page):
    return page.locator("#conversation-list .conversation-row")


def _is_gone(page, url):
    """The page at `url` is a 404 that says so, as for a person who never existed."""
    response = page.goto(url)
    assert response.status == 404, (url, response.status)
    expect(page.get_by_role("heading", name="We could not find that page")).to_be_visible()


# --- 1. Newcomer: sign up, verify, onboard, read the reasons, write an intro --------------


@pytest.fixture
def taxonomy_and_sam(db):
    """The taxonomy a newcomer picks from, and Sam, who shares a lot with what they pick."""
    climate = CategoryFactory(name="Climate")
    design = CategoryFactory(name="Design")
    interests = {
        name: TagFactory(name=name, category=category)
        for name, category in (
            ("Carbon capture", climate),
            ("Heat pumps", climate),
            ("Rewilding", climate),
            ("Typography", design),
            ("Service design", design),
        )
    }
    curiosity = TagFactory(name="Curiosity", kind=Tag.Kind.VALUE, category=None)
    TagFactory(name="Candour", kind=Tag.Kind.VALUE, category=None)
    sam = complete_profile(
        display_name="Sam Rivera",
        headline="Carbon removal engineer",
        interests=[interests["Carbon capture"], interests["Heat pumps"], interests["Typography"]],
        values=[curiosity],
        goals=["find_job"],
    )
    # Someone who shares nothing with the newcomer, so "suggested" means something.
    complete_profile(display_name="Pat Quinn", goals=["learn"])
    matches_recompute_all(reason="e2e journeys")
    return sam


def _browse_and_pick(page, category, name):
    """Open a category under "Browse by category" and add one of its tags."""
    group = (
        page.get_by_role("region", name="Browse by category")
        .locator("details")
        .filter(has=page.locator("summary", has_text=category))
    )
    # The chip reads "+ Carbon capture": the plus comes from the style sheet.
    chip = group.get_by_role("button", name=re.compile(rf"{re.escape(name)}$"))
    if group.get_attribute("open") is None:
        group.locator("summary").click()
    chip.click()
    expect(page.locator(".tag-picker__selected").get_by_text(name, exact=True)).to_be_visible()
    # Each pick redraws the picker; the categories that were open open again once it settles.
    expect(group).to_have_attribute("open", "")


def _pick_by_typing(page, letters, name):
    search = page.get_by_role("searchbox")
    search.click()
    search.press_sequentially(letters, delay=40)
    page.locator("#tag-suggestions").get_by_role("button", name=re.compile(re.escape(name))).click()
    expect(page.locator(".tag-picker__selected").get_by_text(name, exact=True)).to_be_visible()


def test_newcomer_signs_up_onboards_and_writes_to_a_match(
    page, screenshot, taxonomy_and_sam, mailoutbox
):
    sam = taxonomy_and_sam
    email = f"noor-{page.viewport_name}@example.com"
    password = "correct-horse-battery-staple-9"

    # Sign up from the landing page.
    page.goto("/")
    screenshot("landing")
    page.get_by_role("link", name=re.compile("sign up", re.I)).first.click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label(re.compile(r"Password \(again\)|Confirm", re.I)).fill(password)
    page.get_by_role("button", name=re.compile("sign up", re.I)).click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # Verify the address with the link from the email: one click in this browser.
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [email]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body).group(0)
    page.goto("/" + link.split("/", 3)[3])

    # Onboarding, step 1: about you.
    page.wait_for_url(re.compile(r"/profile/onboarding/basics/$"))
    page.get_by_label("Your name").fill("Noor Haddad")
    page.get_by_label("Headline").fill("Hiring engineers for a heat-pump start-up")
    page.get_by_label("City").fill("Rotterdam")
    page.get_by_role("button", name="Continue").click()

    # Step 2: a photo, which is optional (tests/e2e/test_onboarding.py adds one).
    page.wait_for_url(re.compile(r"/onboarding/photo/$"))
    page.get_by_role("button", name="Skip for now").click()

    # Step 3: interests, by browsing the categories.
    page.wait_for_url(re.compile(r"/onboarding/interests/$"))
    _browse_and_pick(page, "Climate", "Carbon capture")
    _browse_and_pick(page, "Climate", "Heat pumps")
    _browse_and_pick(page, "Design", "Typography")
    expect(page.get_by_text("3 of 3–30")).to_be_visible()
    screenshot("interests")
    page.get_by_role("button", name="Continue").click()

    # Step 4: values, by typing.
    page.wait_for_url(re.compile(r"/onboarding/values/$"))
    _pick_by_typing(page, "curi", "Curiosity")
    page.get_by_role("button", name="Continue").click()

    # Step 5: goals.
    page.wait_for_url(re.compile(r"/onboarding/goals/$"))
    page.get_by_label("Hire", exact=True).check()
    screenshot("goals")
    page.get_by_role("button", name="Finish").click()
    page.wait_for_url(re.compile(r"/home/$"))
    expect(page.get_by_text("Welcome to intch!")).to_be_visible()
    page.goto("/profile/")
    main = page.get_by_role("main")
    for name in ("Noor Haddad", "Carbon capture", "Heat pumps", "Typography", "Curiosity"):
        expect(main.get_by_text(name, exact=True).first).to_be_visible()

    # Matches: Sam, with the reasons why; not the person who shares nothing.
    _open_matches(page)
    card = _card(page, "Sam Rivera")
    expect(card).to_be_visible()
    expect(_cards(page)).to_have_count(1)
    expect(card.get_by_text("You both care about")).to_be_visible()
    shared = card.get_by_role("list", name="Shared interests and values")
    for name in ("Carbon capture", "Heat pumps", "Typography", "Curiosity"):
        expect(shared.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(card.get_by_text("You are hiring; Sam Rivera is looking for a job.")).to_be_visible()
    expect(card.get_by_text(re.compile(r"^\d+%$"))).to_be_visible()
    screenshot("matches")

    # Write an introduction from the card's Message link.
    card.get_by_role("link", name="Message Sam Rivera").click()
    page.wait_for_url(re.compile(rf"/messages/start/{sam.pk}/$"))
    expect(page.get_by_role("heading", name="Introduce yourself to Sam Rivera")).to_be_visible()
    page.get_by_label("Your introduction").fill(
        "Hi Sam! Carbon capture and heat pumps: we should talk. Coffee in Rotterdam?"
    )
    screenshot("intro")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(re.compile(r"/messages/\d+/$"))
    expect(page.get_by_text("Your request is with Sam Rivera.")).to_be_visible()
    expect(
        page.get_by_role("log", name="Messages with Sam Rivera").get_by_text("Coffee in Rotterdam?")
    ).to_be_visible()
    screenshot("request-sent")

    conversation = Conversation.objects.get()
    assert conversation.recipient_id == sam.user_id
    assert conversation.status == Conversation.Status.PENDING


# --- 2. The other person accepts, and the two talk live ------------------------------------


@pytest.fixture
def intro_waiting(db):
    """Noor's introduction waits in Sam's requests."""
    shared = TagFactory.create_batch(3)
    curiosity = TagFactory(name="Curiosity", kind=Tag.Kind.VALUE)
    noor = complete_profile(
        display_name="Noor Haddad", interests=shared, values=[curiosity], goals=["hire"]
    )
    sam = complete_profile(
        display_name="Sam Rivera", interests=shared, values=[curiosity], goals=["find_job"]
    )
    matches_recompute_all(reason="e2e journeys")
    conversation = conversation_between(
        noor.user, sam.user, text="Hi Sam! Coffee in Rotterdam next week?", accepted=False
    )
    return noor, sam, conversation


def test_recipient_accepts_the_request_and_both_talk_live(
    page, other_window, screenshot, intro_waiting
):
    noor, sam, conversation = intro_waiting
    sam_page, noor_page = page, other_window()

    # Noor waits on her request; the page opens up by itself once Sam accepts.
    _log_in(noor_page, noor.user.email)
    _open_messages(noor_page)
    noor_page.get_by_role("navigation", name="Messages").get_by_role(
        "link", name=re.compile("^Requests")
    ).click()
    noor_page.get_by_role("region", name="Requests you sent").get_by_role(
        "link", name=re.compile("Sam Rivera")
    ).click()
    noor_page.wait_for_url(re.compile(rf"/messages/{conversation.pk}/$"))
    expect(noor_page.get_by_text("Your request is with Sam Rivera.")).to_be_visible()
    expect(noor_page.get_by_label("Message to Sam Rivera")).to_have_count(0)

    # Sam logs in and sees the badge on Messages.
    _log_in(sam_page, sam.user.email)
    nav = sam_page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Messages 1 unread")).to_be_visible()
    screenshot("badge")
    # With a request waiting, Messages opens on the requests.
    _open_messages(sam_page)
    sam_page.wait_for_url(re.compile(r"/messages/requests/$"))
    requests_tab = sam_page.get_by_role("navigation", name="Messages").get_by_role(
        "link", name=re.compile("^Requests")
    )
    expect(requests_tab).to_have_accessible_name("Requests 1 waiting")
    expect(requests_tab).to_have_attribute("aria-current", "page")
    request_card = sam_page.locator("article.request-card", has_text="Noor Haddad")
    expect(request_card.get_by_text("Coffee in Rotterdam next week?")).to_be_visible()
    screenshot("request")

    request_card.get_by_role("button", name="Accept Noor Haddad's request").click()
    sam_page.wait_for_url(re.compile(rf"/messages/{conversation.pk}/$"))
    expect(nav.get_by_role("link", name="Messages", exact=True)).to_be_visible()

    # Noor's waiting page turned into a conversation without a reload.
    noor_composer = noor_page.get_by_label("Message to Sam Rivera")
    expect(noor_composer).to_be_visible(timeout=5_000)
    expect(noor_page.get_by_text("Your request is with Sam Rivera.")).to_be_hidden()

    # Sam writes; Noor sees it live. Noor answers; Sam sees it live.
    sam_composer = sam_page.get_by_label("Message to Noor Haddad")
    sam_composer.fill("Hi Noor, gladly! Tuesday at ten?")
    sam_composer.press("Enter")
    sam_log = sam_page.get_by_role("log", name="Messages with Noor Haddad")
    noor_log = noor_page.get_by_role("log", name="Messages with Sam Rivera")
    expect(sam_log.get_by_text("Tuesday at ten?")).to_be_visible()
    expect(noor_log.get_by_text("Tuesday at ten?")).to_be_visible(timeout=LIVE_MS)

    noor_composer.fill("Tuesday at ten works. See you at the station café.")
    noor_composer.press("Enter")
    expect(noor_log.get_by_text("See you at the station café.")).to_be_visible()
    expect(sam_log.get_by_text("See you at the station café.")).to_be_visible(timeout=LIVE_MS)
    # Sam has the thread open: Noor's answer counts as read, the badge stays away.
    expect(nav.get_by_role("link", name="Messages", exact=True)).to_be_visible()

    # The intro and both messages, once each, on both sides.
    expect(sam_log.locator("li.message")).to_have_count(3)
    expect(noor_log.locator("li.message")).to_have_count(3)
    screenshot("thread-sam")
    screenshot("thread-noor", noor_page)


# --- 3. Admin: approve a proposed tag, merge duplicates; people see the result --------------


@pytest.fixture
def curation(db):
    """Dana proposed a tag; Erin has a duplicate of one of Dana's tags, and so shares nothing
    with Dana until the duplicates are merged. Finn shares an interest with Erin."""
    ux = TagFactory(name="UX design")
    duplicate = TagFactory(name="User experience design")
    chess = TagFactory(name="Chess")
    dana = complete_profile(
        display_name="Dana Okafor",
        interests=[ux, TagFactory(name="Pottery"), TagFactory(name="Sailing")],
        goals=["learn"],
    )
    proposed = Tag.objects.create(
        name="Sustainable fashion",
        slug="sustainable-fashion",
        kind=Tag.Kind.INTEREST,
        status=Tag.Status.PENDING,
        proposed_by=dana.user,
    )
    dana.interests.add(proposed)
    erin = complete_profile(
        display_name="Erin Walsh",
        interests=[duplicate, chess, TagFactory(name="Jazz")],
        goals=["learn"],
    )
    complete_profile(
        display_name="Finn Larsen", interests=[chess, TagFactory(), TagFactory()], goals=["learn"]
    )
    matches_recompute_all(reason="e2e journeys")
    admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    return {"admin": admin, "dana": dana, "erin": erin}


def _select_in_changelist(page, tag_name, action):
    page.get_by_role("checkbox", name=f"Select this object for an action - {tag_name}").check()
    page.get_by_label("Action:").select_option(label=action)
    page.get_by_role("button", name="Go").click()


def test_admin_approves_and_merges_tags_and_people_see_it(page, other_window, screenshot, curation):
    dana, erin = curation["dana"], curation["erin"]
    erin_page = other_window()

    # Before: Erin's suggestions hold Finn, not Dana; her profile has the duplicate tag.
    _log_in(erin_page, erin.user.email)
    erin_page.goto("/profile/")
    expect(erin_page.get_by_role("main").get_by_text("User experience design")).to_be_visible()
    _open_matches(erin_page)
    expect(_card(erin_page, "Finn Larsen")).to_be_visible()
    expect(_card(erin_page, "Dana Okafor")).to_have_count(0)
    erin_page.goto(dana.get_absolute_url())
    expect(erin_page.get_by_text("Sustainable fashion")).to_have_count(0)  # pending: hers only

    # The admin logs in through /admin/, which goes through the site's log-in page.
    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    _fill_log_in_form(page, curation["admin"].email)
    page.wait_for_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.get_by_role("table", name="People and taxonomy").get_by_role(
        "link", name="Tags", exact=True
    ).click()
    page.wait_for_url(re.compile(r"/admin/profiles/tag/$"))

    # Approve the proposed tag.
    page.get_by_role("link", name="Pending review", exact=True).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    screenshot("admin-pending")
    _select_in_changelist(page, "Sustainable fashion", "Approve selected tags")
    expect(page.get_by_text("Approved 1 tag.")).to_be_visible()

    # Merge the duplicate into the tag people already use.
    page.get_by_role("link", name=re.compile("Clear all filters")).click()
    page.get_by_role("textbox", name="Search").fill("design")
    page.get_by_role("textbox", name="Search").press("Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    _select_in_changelist(page, "User experience design", "Merge selected tags into…")
    expect(page.get_by_role("heading", name="Merge 1 tag")).to_be_visible()
    page.get_by_label("Merge into").select_option(label="UX design (Technology)")
    screenshot("admin-merge")
    page.get_by_role("button", name="Merge").click()
    expect(
        page.get_by_text(
            "Merged “User experience design” into “UX design”: 1 tagging moved; "
            "the old name is an alias now."
        )
    ).to_be_visible()
    expect(page.get_by_role("link", name="User experience design")).to_have_count(0)
    screenshot("admin-merged")

    # Erin's profile shows the merged tag; her matches now hold Dana, because of it.
    nav_link(erin_page, "Profile").click()
    erin_main = erin_page.get_by_role("main")
    expect(erin_main.get_by_role("link", name="UX design", exact=True)).to_be_visible()
    expect(erin_main.get_by_text("User experience design")).to_have_count(0)
    screenshot("profile-erin", erin_page)
    _open_matches(erin_page)
    dana_card = _card(erin_page, "Dana Okafor")
    expect(dana_card.get_by_role("link", name="UX design", exact=True)).to_be_visible()
    expect(_card(erin_page, "Finn Larsen")).to_be_visible()
    screenshot("matches-erin", erin_page)

    # Dana's approved proposal is on her profile for everyone, and has its own page now.
    dana_card.get_by_role("link", name="Dana Okafor", exact=True).click()
    erin_main = erin_page.get_by_role("main")
    expect(erin_main.get_by_role("link", name="Sustainable fashion")).to_be_visible()
    why = erin_page.get_by_role("region", name="Why you might click")
    expect(why.get_by_role("link", name="UX design", exact=True)).to_be_visible()

    # Dana sees both on her own profile: no "pending review" any more.
    dana_page = other_window()
    _log_in(dana_page, dana.user.email)
    dana_page.goto("/profile/")
    dana_main = dana_page.get_by_role("main")
    expect(dana_main.get_by_role("link", name="Sustainable fashion")).to_be_visible()
    expect(dana_main.get_by_text("pending review")).to_have_count(0)
    expect(dana_main.get_by_role("link", name="UX design", exact=True)).to_be_visible()
    _open_matches(dana_page)
    expect(_card(dana_page, "Erin Walsh").get_by_role("link", name="UX design")).to_be_visible()
    screenshot("matches-dana", dana_page)


# --- 4. Blocking ------------------------------------------------------------------------------


@pytest.fixture
def alex_blake_casey(db):
    """Alex and Blake match and have talked; Casey matches both and stays."""
    shared = TagFactory.create_batch(3)
    alex = complete_profile(display_name="Alex Morgan", interests=shared)
    blake = complete_profile(display_name="Blake Jones", interests=shared)
    casey = complete_profile(display_name="Casey Lee", interests=[*shared[:2], TagFactory()])
    conversation = conversation_between(blake.user, alex.user, text="Hi Alex, shall we talk?")
    conversation_between(casey.user, alex.user, text="Hello from Casey")
    matches_recompute_all(reason="e2e journeys")
    return alex, blake, conversation


def test_blocking_hides_both_people_from_each_other(
    page, other_window, screenshot, alex_blake_casey
):
    alex, blake, conversation = alex_blake_casey
    page.on("dialog", lambda dialog: dialog.accept())  # "Block Blake? …"

    # Before: Blake is in Alex's matches and messages.
    _log_in(page, alex.user.email)
    _open_matches(page)
    _show_people_you_talk_to(page)
    expect(_card(page, "Blake Jones")).to_be_visible()
    expect(_card(page, "Casey Lee")).to_be_visible()
    _open_messages(page)
    expect(_conversation_rows(page).filter(has_text="Blake Jones")).to_have_count(1)

    # Alex blocks Blake from Blake's profile.
    _open_matches(page)
    _show_people_you_talk_to(page)
    _card(page, "Blake Jones").get_by_role("link", name="Blake Jones", exact=True).click()
    page.wait_for_url(re.compile(rf"/people/{blake.pk}/$"))
    screenshot("profile-before-block")
    page.get_by_role("button", name="Block Blake Jones").click()
    page.wait_for_url(re.compile(r"/home/$"))
    expect(
        page.get_by_text("You blocked Blake Jones. You won't see each other anywhere on intch.")
    ).to_be_visible()

    # Alex: Blake is gone from matches, messages and the profile page.
    _open_matches(page)
    _show_people_you_talk_to(page)
    expect(_card(page, "Casey Lee")).to_be_visible()
    expect(_card(page, "Blake Jones")).to_have_count(0)
    screenshot("matches-after-block")
    _open_messages(page)
    expect(_conversation_rows(page).filter(has_text="Casey Lee")).to_have_count(1)
    expect(_conversation_rows(page).filter(has_text="Blake Jones")).to_have_count(0)
    screenshot("messages-after-block")
    _is_gone(page, blake.get_absolute_url())
    _is_gone(page, conversation.get_absolute_url())
    _is_gone(page, reverse("messaging:start", kwargs={"profile_id": blake.pk}))
    nav_link(page, "Settings").click()
    expect(
        page.get_by_role("region", name="Blocked people").get_by_role(
            "button", name="Unblock Blake Jones"
        )
    ).to_be_visible()

    # Blake: Alex is gone from matches, messages and the profile page too.
    blake_page = other_window()
    _log_in(blake_page, blake.user.email)
    _open_matches(blake_page)
    _show_people_you_talk_to(blake_page)
    expect(_card(blake_page, "Casey Lee")).to_be_visible()
    expect(_card(blake_page, "Alex Morgan")).to_have_count(0)
    screenshot("matches-blocked-person", blake_page)
    _open_messages(blake_page)
    expect(blake_page.get_by_text("Alex Morgan")).to_have_count(0)
    _is_gone(blake_page, alex.get_absolute_url())
    _is_gone(blake_page, conversation.get_absolute_url())
    _is_gone(blake_page, reverse("messaging:start", kwargs={"profile_id": alex.pk}))
    screenshot("profile-404", blake_page)


# --- 5. Download my data, delete my account ---------------------------------------------------


@pytest.fixture
def robin_and_sasha(db):
    """Robin and Sasha match and have talked."""
    shared = TagFactory.create_batch(3)
    curiosity = TagFactory(name="Curiosity", kind=Tag.Kind.VALUE)
    robin = complete_profile(
        display_name="Robin Vos",
        headline="Urban planner",
        interests=shared,
        values=[curiosity],
        goals=["find_mentor"],
    )
    sasha = complete_profile(
        display_name="Sasha Novak",
        interests=shared,
        values=[curiosity],
        goals=["mentor_others"],
    )
    conversation = conversation_between(robin.user, sasha.user, text="Hi Sasha, mentor me?")
    message_send(conversation=conversation, sender=sasha.user, body="Happy to. Thursday?")
    matches_recompute_all(reason="e2e journeys")
    return robin, sasha, conversation


def test_download_my_data_then_delete_my_account(
    page, other_window, screenshot, robin_and_sasha, tmp_path
):
    robin, sasha, conversation = robin_and_sasha
    sasha_page = other_window()

    # Before: Sasha sees Robin in her matches (they talk) and messages.
    _log_in(sasha_page, sasha.user.email)
    _open_matches(sasha_page)
    _show_people_you_talk_to(sasha_page)
    expect(_card(sasha_page, "Robin Vos")).to_be_visible()

    # Robin downloads their data from Settings.
    _log_in(page, robin.user.email)
    nav_link(page, "Settings").click()
    page.wait_for_url(re.compile(r"/settings/$"))
    screenshot("settings")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").first.click()
    download = download_info.value
    assert re.fullmatch(r"intch-export-\d{8}\.json", download.suggested_filename)
    saved = Path(tmp_path) / download.suggested_filename
    download.save_as(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["account"]["email"] == robin.user.email
    assert data["profile"]["display_name"] == "Robin Vos"
    assert data["profile"]["headline"] == "Urban planner"
    assert sorted(tag["name"] for tag in data["profile"]["interests"]) == sorted(
        tag.name for tag in robin.interests.all()
    )
    assert [tag["name"] for tag in data["profile"]["values"]] == ["Curiosity"]
    assert data["profile"]["goals"] == ["find_mentor"]
    assert [match["profile_id"] for match in data["matches"]] == [sasha.pk]
    [talk] = data["conversations"]
    assert talk["with"] == {"profile_id": sasha.pk, "name": "Sasha Novak"}
    assert [(m["from_me"], m["body"]) for m in talk["messages"]] == [
        (True, "Hi Sasha, mentor me?"),
        (False, "Happy to. Thursday?"),
    ]

    # Robin deletes the account; a wrong password is refused first.
    page.get_by_role("link", name="Delete my account…").click()
    page.wait_for_url(re.compile(r"/settings/delete/$"))
    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_label(re.compile("I understand this deletes")).check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("That password is not right.")).to_be_visible()
    screenshot("delete-refused")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label(re.compile("I understand this deletes")).check()
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
    expect(
        page.get_by_text("Your account and everything in it are deleted. Goodbye!")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    screenshot("deleted")

    # Robin can no longer log in.
    page.get_by_role("link", name="Log in").click()
    _fill_log_in_form(page, robin.user.email)
    expect(page.get_by_text(re.compile("not correct", re.I))).to_be_visible()
    assert "/accounts/login/" in page.url
    screenshot("login-refused")

    # Sasha: Robin is nowhere: not in matches, not in messages, no profile, no conversation.
    sasha_page.reload()
    expect(_card(sasha_page, "Robin Vos")).to_have_count(0)
    screenshot("matches-other", sasha_page)
    _open_messages(sasha_page)
    expect(sasha_page.get_by_text("Robin Vos")).to_have_count(0)
    expect(sasha_page.get_by_role("heading", name="No conversations yet")).to_be_visible()
    _is_gone(sasha_page, robin.get_absolute_url())
    _is_gone(sasha_page, conversation.get_absolute_url())
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
