"""The member's home page: each section with something to act on, its empty state, its way
onward, sections added by other apps, and a fixed number of queries."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from intch import home_sections
from matching import services as matching
from matching.models import MatchState
from messaging import services as messaging
from profiles.models import Tag
from tests.factories import (
    MatchFactory,
    ProfileFactory,
    TagFactory,
    complete_profile,
    conversation_between,
)


@pytest.fixture
def me(member_client):
    return member_client.profile


def _suggest(me, people, *, last_seen=None):
    """`people` as my list, best first (88%, 87%, ...); `last_seen`: my last visit to it."""
    for rank, person in enumerate(people, start=1):
        MatchFactory(
            user=me.user,
            candidate=person.user,
            rank=rank,
            score=89 - rank,
            reasons={"interests": [{"name": "Climate tech", "slug": "climate-tech"}]},
        )
    MatchState.objects.update_or_create(
        user=me.user,
        defaults={"computed_at": timezone.now(), "last_seen_at": last_seen, "new_since": last_seen},
    )


def _section(body, key):
    match = re.search(rf'<section[^>]*id="home-{key}".*?</section>', body, re.S)
    assert match, f"no {key} section"
    return match.group(0)


def test_visitors_are_sent_to_log_in_and_members_land_here(member_client):
    from django.test import Client

    visitor = Client()
    assert visitor.get(reverse("home:index"))["Location"].startswith(reverse("account_login"))
    assert visitor.get("/").status_code == 200  # the landing page
    assert member_client.get("/")["Location"] == reverse("home:index")


def test_a_newcomer_sees_honest_empty_states_and_what_to_add(member_client, me):
    body = member_client.get(reverse("home:index")).content.decode()

    assert f"Good to see you, {me.display_name}" in body
    assert "No requests waiting." in _section(body, "requests")
    assert "You have read every message." in _section(body, "unread")
    assert "No matches yet." in _section(body, "matches")
    assert "Press Save on a match" in _section(body, "saved")
    profile = _section(body, "profile")
    assert "Add a photo" in profile and reverse("profiles:edit") in profile
    # Every section leads on.
    for key, url in (
        ("requests", reverse("messaging:requests")),
        ("unread", reverse("messaging:inbox")),
        ("matches", reverse("matching:list")),
        ("saved", reverse("matching:saved")),
        ("profile", reverse("profiles:me")),
    ):
        assert f'href="{url}' in _section(body, key), key


def test_requests_show_the_reasons_their_sender_saw(member_client, me):
    shared = TagFactory(name="Heat pumps")
    me.interests.add(shared)
    me.goal_bits = 0
    me.save()
    from profiles.services import profile_update

    profile_update(profile=me, data={"goals": ["find_job"]})
    sam = complete_profile(display_name="Sam Rivera", interests=[shared], goals=["hire"])
    MatchFactory(
        user=sam.user,
        candidate=me.user,
        score=39,
        reasons={
            "interests": [{"name": "Heat pumps", "slug": shared.slug}],
            "values": [],
            "goals": [["hire", "find_job"]],
        },
    )
    request = conversation_between(sam.user, me.user, text="Hello, shall we talk?", accepted=False)

    requests = _section(member_client.get(reverse("home:index")).content.decode(), "requests")

    assert "1 request waiting for you" in requests
    assert "Sam Rivera" in requests and "Hello, shall we talk?" in requests
    assert '<span class="match-score__value">39%</span>' in requests
    assert "Heat pumps" in requests
    # Said to me, about Sam: the sentence Sam saw ("You are hiring...") turned around.
    assert "Sam Rivera is hiring; you are looking for a job." in requests
    assert reverse("messaging:accept", kwargs={"conversation_id": request.pk}) in requests


def test_unread_conversations_and_saved_people(member_client, me):
    ana, bo = complete_profile(display_name="Ana Weber"), complete_profile(display_name="Bo Berg")
    read = conversation_between(me.user, bo.user)
    talking = conversation_between(me.user, ana.user)
    messaging.message_send(conversation=talking, sender=ana.user, body="Are you free on Tuesday?")
    matching.match_save(user=me.user, candidate=bo.user)

    body = member_client.get(reverse("home:index")).content.decode()

    unread = _section(body, "unread")
    assert "Ana Weber" in unread and "Are you free on Tuesday?" in unread
    assert read.get_absolute_url() not in unread
    assert "Bo Berg" in _section(body, "saved")


def test_new_matches_are_those_since_the_last_visit(member_client, me):
    earlier = timezone.now() - timedelta(days=3)
    old = ProfileFactory(display_name="Old Friend", onboarded_at=earlier - timedelta(days=9))
    new = ProfileFactory(display_name="New Face", onboarded_at=earlier + timedelta(days=1))
    _suggest(me, [old, new], last_seen=earlier)

    matches = _section(member_client.get(reverse("home:index")).content.decode(), "matches")

    assert "1 new match since your last visit" in matches
    assert "New Face" in matches and "Old Friend" not in matches
    assert '<span class="match-score__value">87%</span>' in matches
    assert f"{reverse('matching:list')}?sort=newest" in matches


def test_before_a_first_visit_to_matches_the_best_ones_show(member_client, me):
    people = [ProfileFactory(display_name=f"Person {n}") for n in range(6)]
    _suggest(me, people)

    matches = _section(member_client.get(reverse("home:index")).content.decode(), "matches")

    assert "Your best matches" in matches and "See all 6" in matches
    assert "Person 0" in matches and "Person 3" in matches and "Person 4" not in matches


def test_matches_and_saved_people_say_where_you_stand_and_leave_out_people_you_talk_to(
    member_client, me
):
    """As on the matches page: a request on its way shows, someone you talk to is left out."""
    asked, friend = ProfileFactory(display_name="Asked Once"), ProfileFactory(display_name="Pal")
    _suggest(me, [asked, friend])
    messaging.conversation_start(sender=me.user, recipient=asked.user, text="Coffee?")
    conversation_between(me.user, friend.user)
    matching.match_save(user=me.user, candidate=friend.user)

    body = member_client.get(reverse("home:index")).content.decode()

    matches = _section(body, "matches")
    assert "Asked Once" in matches and "Request sent, waiting for an answer" in matches
    assert "Pal" not in matches
    saved = _section(body, "saved")
    assert "Pal" in saved and "Connected: you already talk" in saved


def test_nothing_new_since_the_last_visit_says_so(member_client, me):
    earlier = timezone.now() - timedelta(days=1)
    _suggest(me, [ProfileFactory(onboarded_at=earlier - timedelta(days=5))], last_seen=earlier)

    matches = _section(member_client.get(reverse("home:index")).content.decode(), "matches")

    assert "Nobody new since your last visit." in matches


def test_sections_with_something_to_do_come_first(member_client, me):
    _suggest(me, [ProfileFactory(display_name="Top Match")])

    body = member_client.get(reverse("home:index")).content.decode()

    assert body.index('id="home-matches"') < body.index('id="home-requests"')
    # The profile stays in the side column (after the main one on phones).
    assert body.index('id="home-unread"') < body.index('id="home-profile"')


def test_when_nothing_waits_the_profile_prompts_lead_the_page(member_client):
    body = member_client.get(reverse("home:index")).content.decode()

    assert body.index('id="home-profile"') < body.index('id="home-requests"')


def test_another_app_adds_a_section_by_registering_it(member_client, monkeypatch):
    def register(build):
        # Any app's section: here one that reuses a body template of the profile section.
        monkeypatch.setitem(
            home_sections._sections,
            "events",
            home_sections.HomeSection(
                key="events",
                title="Events near you",
                template="profiles/home/_profile.html",
                build=build,
                order=5,
            ),
        )

    register(lambda *, user: None)  # nothing for this person: left out
    assert 'id="home-events"' not in member_client.get(reverse("home:index")).content.decode()

    register(
        lambda *, user: {
            "title": "2 events this week",
            "link_url": "/events/",
            "link_label": "All events",
            "percent": 40,
            "prompts": [{"label": "Tango night", "url": "/events/1/", "why": "Saturday"}],
        }
    )
    body = member_client.get(reverse("home:index")).content.decode()

    events = _section(body, "events")
    assert "2 events this week" in events and "Tango night" in events
    assert 'href="/events/"' in events
    assert body.index('id="home-events"') < body.index('id="home-requests"')


def test_a_section_in_an_unknown_column_is_refused():
    with pytest.raises(ValueError, match="column"):
        home_sections.home_section_register(
            home_sections.HomeSection(
                key="x", title="X", template="x.html", build=lambda *, user: {}, column="footer"
            )
        )


# The user, my profile (the greeting), the profile with its tag counts, the requests (people
# and last message joined), the unread conversations, the match state, the new matches with
# their count, the saved people with their count. The session and the header's counts come
# from the cache once the first visit filled it.
QUERY_BUDGET = 8


@pytest.mark.parametrize("size", [2, 8])
def test_the_page_runs_a_fixed_number_of_queries(
    member_client, me, size, django_assert_max_num_queries
):
    tag = TagFactory(name="Rowing", kind=Tag.Kind.INTEREST)
    people = [complete_profile(interests=[tag]) for _ in range(size)]
    _suggest(me, people, last_seen=timezone.now() - timedelta(days=30))
    for person in people[: size // 2]:
        conversation_between(person.user, me.user, text="Hi there", accepted=False)
    for person in people[size // 2 :]:
        talk = conversation_between(me.user, person.user)
        messaging.message_send(conversation=talk, sender=person.user, body="News!")
        matching.match_save(user=me.user, candidate=person.user)
    member_client.get(reverse("home:index"))  # warm the session and the header's counts

    with django_assert_max_num_queries(QUERY_BUDGET):
        response = member_client.get(reverse("home:index"))

    body = response.content.decode()
    assert body.count('class="card request-card"') == min(size // 2, 3)
    assert body.count("conversation-row--unread") == min(size - size // 2, 5)
