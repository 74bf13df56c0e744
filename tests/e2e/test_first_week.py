"""A newcomer's first week (issue 11): errors show where people look (DEBUG on too), long texts
are counted and never cut, a home page leads to what waits, a request says why to accept it,
and the admin link `make run` prints opens the admin. Phone and desktop."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from matching.models import MatchState
from matching.services import match_save
from messaging import services as messaging
from messaging.models import Conversation
from profiles.models import Tag
from tests.factories import (
    PASSWORD,
    MatchFactory,
    TagFactory,
    complete_profile,
    conversation_between,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _logged_in(page, user, live_server):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.fixture
def talking(db):
    me = complete_profile(display_name="Nora Newcomer")
    sam = complete_profile(display_name="Sam Rivera")
    return me, sam, conversation_between(sam.user, me.user)


def test_an_empty_message_cannot_be_sent_and_errors_show_in_place_with_debug_on(
    page, live_server, settings, screenshot, talking
):
    # DEBUG loads django-htmx's error handler, which used to swap the whole page for a 400.
    settings.DEBUG = True
    me, _sam, conversation = talking
    _logged_in(page, me.user, live_server)
    page.goto(conversation.get_absolute_url())
    assert page.locator('script[src*="django-htmx"]').count() == 1
    box = page.get_by_label("Message to Sam Rivera")
    send = page.locator("#composer").get_by_role("button", name="Send")

    expect(send).to_be_disabled()
    box.fill("   ")
    expect(send).to_be_disabled()
    box.press("Enter")
    box.fill("Hello Sam")
    expect(send).to_be_enabled()

    # Whatever gets through (an old page, a script) is refused above the box, page intact.
    box.fill("  \n ")
    page.evaluate("document.querySelector('#composer button').disabled = false")
    send.click()
    errors = page.locator("#composer-errors")
    expect(errors.get_by_text("Write a message first.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sam Rivera")).to_be_visible()
    screenshot("empty-refused")

    box.fill("Hello Sam, good to meet you!")
    box.press("Enter")
    log = page.get_by_role("log", name="Messages with Sam Rivera")
    expect(log.get_by_text("Hello Sam, good to meet you!")).to_be_visible()
    expect(box).to_have_value("")
    expect(errors).to_be_empty()
    expect(send).to_be_disabled()

    # Near and over the limit, a count; over it, no sending.
    box.fill("x" * 5001)
    expect(page.get_by_text("1 character too many")).to_be_visible()
    expect(send).to_be_disabled()
    screenshot("over-the-limit")
    assert conversation.messages.count() == 2


def test_a_long_intro_is_counted_refused_whole_and_sent_once_short_enough(
    page, live_server, screenshot, talking
):
    me, _, _ = talking
    ana = complete_profile(display_name="Ana Weber")
    _logged_in(page, me.user, live_server)
    page.goto(f"/messages/start/{ana.pk}/")
    box = page.get_by_label("Your introduction")
    expect(page.get_by_text("1,000 characters left")).to_be_visible()
    pasted = ("I read your profile and we have a lot in common. " * 110)[:5199] + "!"

    box.fill(pasted)  # as a paste: no maxlength cuts it
    assert len(box.input_value()) == 5200
    expect(page.get_by_text("4,200 characters too many")).to_be_visible()
    page.get_by_role("button", name="Send request").click()

    expect(page.get_by_text("This is 5,200 characters long and the limit is 1,000")).to_be_visible()
    assert page.get_by_label("Your introduction").input_value() == pasted
    assert not Conversation.objects.filter(recipient=ana.user).exists()
    screenshot("intro-refused")

    page.get_by_label("Your introduction").fill(pasted[:990])
    expect(page.get_by_text("10 characters left")).to_be_visible()
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(re.compile(r"/messages/\d+/$"))
    assert Conversation.objects.get(recipient=ana.user).last_message.body == pasted[:990].strip()


@pytest.fixture
def first_week(db):
    """Nora after a few days: a request from Sam, an unread message from Ana, Bo saved, and
    Cai new since her last visit to her matches."""
    climate = TagFactory(name="Climate tech")
    kindness = TagFactory(name="Kindness", kind=Tag.Kind.VALUE)
    nora = complete_profile(
        display_name="Nora Newcomer",
        interests=[climate, *TagFactory.create_batch(2)],
        values=[kindness],
        goals=["find_job"],
    )
    sam = complete_profile(display_name="Sam Rivera", interests=[climate], goals=["hire"])
    ana = complete_profile(display_name="Ana Weber")
    bo = complete_profile(display_name="Bo Berg")
    cai = complete_profile(display_name="Cai Chen")
    reasons = {
        "interests": [{"name": "Climate tech", "slug": climate.slug}],
        "values": [{"name": "Kindness", "slug": kindness.slug}],
        "goals": [["hire", "find_job"]],
    }
    MatchFactory(user=sam.user, candidate=nora.user, score=39, reasons=reasons)
    now = timezone.now()
    for rank, person in enumerate((cai, bo), start=1):
        MatchFactory(
            user=nora.user,
            candidate=person.user,
            rank=rank,
            score=50 - rank,
            reasons={**reasons, "goals": []},
        )
    last_visit = now - timezone.timedelta(days=2)
    MatchState.objects.create(
        user=nora.user, computed_at=now, last_seen_at=last_visit, new_since=last_visit
    )
    type(bo).objects.filter(pk=bo.pk).update(onboarded_at=now - timezone.timedelta(days=20))
    type(cai).objects.filter(pk=cai.pk).update(onboarded_at=now - timezone.timedelta(days=1))
    conversation_between(sam.user, nora.user, text="Hi Nora! Heat pumps?", accepted=False)
    talk = conversation_between(nora.user, ana.user)
    messaging.message_send(conversation=talk, sender=ana.user, body="Coffee on Friday?")
    match_save(user=nora.user, candidate=bo.user)
    return nora


def test_home_leads_to_what_waits_and_a_request_says_why(page, screenshot, first_week):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(first_week.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(re.compile(r"/home/$"))
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="Good to see you, Nora Newcomer")).to_be_visible()
    assert "nora.newcomer" not in page.content()
    assert "signed in" not in main.inner_text().lower()
    requests = page.get_by_role("region", name="1 request waiting for you")
    expect(requests.get_by_text("Sam Rivera is hiring; you are looking for a job.")).to_be_visible()
    expect(requests.get_by_text("39%")).to_be_visible()
    expect(requests.get_by_role("link", name="Climate tech")).to_be_visible()
    unread = page.get_by_role("region", name="Unread messages")
    expect(unread.get_by_text("Coffee on Friday?")).to_be_visible()
    new = page.get_by_role("region", name="1 new match since your last visit")
    expect(new.get_by_role("link", name="Cai Chen")).to_be_visible()
    expect(new.get_by_role("link", name="Bo Berg")).to_have_count(0)
    expect(
        page.get_by_role("region", name="Saved people (1)").get_by_text("Bo Berg")
    ).to_be_visible()
    expect(page.get_by_role("region", name="Complete your profile")).to_be_visible()
    screenshot("home")

    # Messages opens on the request, which says why.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Messages")
    ).click()
    page.wait_for_url(re.compile(r"/messages/requests/$"))
    card = page.locator("article.request-card", has_text="Sam Rivera")
    expect(card.get_by_text("39%")).to_be_visible()
    expect(card.get_by_role("link", name="Kindness")).to_be_visible()
    expect(card.get_by_text("Sam Rivera is hiring; you are looking for a job.")).to_be_visible()
    screenshot("request-with-reasons")
    card.get_by_role("button", name="Accept Sam Rivera's request").click()
    page.wait_for_url(re.compile(r"/messages/\d+/$"))

    # One way to say a score: the card on the matches page and the profile agree.
    page.goto("/matches/")
    expect(page.locator("#person-" + str(_pk("Cai Chen"))).get_by_text("49%")).to_be_visible()
    page.goto(f"/people/{_pk('Cai Chen')}/")
    expect(
        page.get_by_role("region", name="Why you might click").get_by_text("49%")
    ).to_be_visible()


def _pk(name):
    from profiles.models import Profile

    return Profile.objects.get(display_name=name).pk


def test_the_admin_link_make_run_prints_opens_the_admin(page, live_server, settings, tmp_path):
    settings.BASE_DIR = tmp_path  # ensure_admin keeps its password file there
    out = StringIO()
    call_command("ensure_admin", url=f"{live_server.url}/admin/", stdout=out)

    line = next(line for line in out.getvalue().splitlines() if line.startswith("Admin: "))
    url, _, credentials = line.removeprefix("Admin: ").partition(" — ")
    email, _, password = credentials.partition(" / ")
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
