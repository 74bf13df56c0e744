"""The matches page, the Saved list and the Pass / Save / Undo actions, with and without htmx."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Block
from accounts.services import block_create
from matching import services
from matching.models import Match, MatchState, Pass, Saved
from messaging import services as messaging
from profiles.models import Tag
from profiles.services import profile_tags_set, profile_update
from tests.factories import (
    ProfileFactory,
    TagFactory,
    UserFactory,
    complete_profile,
    conversation_between,
)

HTMX = {"HTTP_HX_REQUEST": "true"}
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def tags(db):
    climate = TagFactory(name="Climate tech", slug="climate-tech")
    rare = TagFactory(name="Carbon capture", slug="carbon-capture")
    common = TagFactory.create_batch(2)
    honesty = TagFactory(name="Honesty", slug="honesty", kind=Tag.Kind.VALUE)
    return {"climate": climate, "rare": rare, "common": common, "honesty": honesty}


def _reasons(*names, values=(), goals=()):
    return {
        "interests": [{"name": name, "slug": name.lower().replace(" ", "-")} for name in names],
        "values": [{"name": name, "slug": name.lower()} for name in values],
        "goals": [list(pair) for pair in goals],
    }


def _suggest(me, people, *, computed=True):
    """Store `people` as `me`'s list, best first (scores 90, 89, ...)."""
    now = timezone.now()
    Match.objects.bulk_create(
        [
            Match(
                user=me.user,
                candidate=person.user,
                rank=rank,
                score=max(1, 91 - rank),
                similarity=0.5,
                reasons=_reasons("Climate tech", "Topic a", values=["Honesty"]),
                computed_at=now,
            )
            for rank, person in enumerate(people, start=1)
        ]
    )
    if computed:
        MatchState.objects.update_or_create(user=me.user, defaults={"computed_at": now})


@pytest.fixture
def me(member_client):
    return member_client.profile


@pytest.fixture
def sam(me, tags):
    return complete_profile(
        display_name="Sam Rivera",
        headline="Climate founder",
        city="Lisbon",
        country="Portugal",
        interests=[tags["climate"], tags["rare"], *tags["common"]],
        values=[tags["honesty"]],
        goals=["find_job"],
    )


@pytest.fixture
def listed(me, sam, tags):
    """Sam (Lisbon, climate tech, wants a job) and Ana (Berlin, no climate), both suggested."""
    ana = complete_profile(
        display_name="Ana Weber",
        city="Berlin",
        country="Germany",
        interests=tags["common"] + [TagFactory()],
        goals=["hire"],
    )
    Match.objects.create(
        user=me.user,
        candidate=sam.user,
        rank=1,
        score=82,
        similarity=0.8,
        reasons=_reasons(
            "Carbon capture",
            "Climate tech",
            "Topic b",
            "Topic c",
            "Topic d",
            "Topic e",
            "Topic f",
            values=["Honesty", "Curiosity"],
            goals=[("hire", "find_job")],
        ),
    )
    Match.objects.create(
        user=me.user, candidate=ana.user, rank=2, score=41, similarity=0.4, reasons=_reasons("X")
    )
    MatchState.objects.create(user=me.user, computed_at=timezone.now())
    return {"sam": sam, "ana": ana}


def _page(client, **params):
    response = client.get(reverse("matching:list"), params)
    assert response.status_code == 200
    return response.content.decode()


# --- The page ---------------------------------------------------------------------------------


def test_an_incomplete_profile_is_sent_to_onboarding_with_a_friendly_word(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("matching:list"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("profiles:onboarding"))
    assert "Matches are based on your interests" in response.content.decode()


def test_cards_show_score_reasons_and_goal_sentence_best_first(member_client, listed):
    page = _page(member_client)
    assert page.index("Sam Rivera") < page.index("Ana Weber")
    assert "82%" in page
    assert 'value="82"' in page  # the bar
    assert "Lisbon, Portugal" in page
    assert "Climate founder" in page
    assert "You are hiring; Sam Rivera is looking for a job." in page
    # 7 interests + 2 values: 6 shown, rarest first, the rest folded.
    assert page.index("Carbon capture") < page.index("Climate tech")
    assert "+3 more" in page
    assert reverse("profiles:tag_detail", args=["carbon-capture"]) in page
    sam = listed["sam"]
    assert reverse("messaging:start", kwargs={"profile_id": sam.pk}) in page
    assert sam.get_absolute_url() in page


def test_filters_combine_and_live_in_the_url(member_client, listed, tags):
    page = _page(member_client, goal="find_job", tag="climate-tech", place="lisbon", min_score=50)
    assert "Sam Rivera" in page
    assert "Ana Weber" not in page
    page = _page(member_client, goal="find_job", place="Berlin")
    assert "Nobody matches these filters" in page
    assert "Clear filters" in page
    page = _page(member_client, place="germany")
    assert "Ana Weber" in page and "Sam Rivera" not in page


def test_a_tag_typed_by_name_resolves_and_links_keep_it_by_slug(member_client, listed, me):
    """Typed as "CLIMATE TECH", kept as tag=climate-tech in the links to page 2."""
    others = [ProfileFactory(interests=[listed["sam"].interests.first()]) for _ in range(21)]
    Match.objects.bulk_create(
        [
            Match(user=me.user, candidate=p.user, rank=10 + i, score=30, similarity=0.1, reasons={})
            for i, p in enumerate(others)
        ]
    )
    tag = listed["sam"].interests.first()
    page = _page(member_client, tag=tag.name.upper(), sort="newest")
    assert f"tag={tag.slug}" in page
    assert "sort=newest" in page
    assert "page=2" in page
    assert f'value="{tag.name}"' in page


def test_unknown_tag_is_explained_with_suggestions_and_ignored(member_client, listed):
    page = _page(member_client, tag="climate")
    assert "We do not know an interest or value called “climate”" in page
    assert "tag=climate-tech" in page  # did you mean
    assert "Sam Rivera" in page and "Ana Weber" in page


@pytest.mark.parametrize(
    "params",
    [
        {"goal": "world-domination"},
        {"sort": "random"},
        {"min_score": "lots"},
        {"min_score": "-5"},
        {"min_score": "500"},
        {"page": "-1"},
        {"page": "0"},
        {"page": "99999"},
        {"page": "abc"},
        {"page": "9" * 40},
        {"tag": "no-such-tag"},
        {"tag": "x" * 500},
        {"place": "y" * 500},
        {"tag": XSS, "goal": XSS, "sort": XSS, "min_score": XSS, "page": XSS},
        {"passed": "123456789"},
        {"passed": XSS},
    ],
)
def test_bad_input_gives_a_clear_page_never_an_error(member_client, listed, params):
    page = _page(member_client, **params)
    assert "Sam Rivera" in page
    assert "<script>alert" not in page
    assert "<img src=x" not in page


def test_html_in_the_query_string_is_escaped_in_the_form_and_errors(member_client, listed):
    page = _page(member_client, tag=XSS, place="<b>Lisbon</b>")
    assert "&lt;script&gt;" in page
    assert "<b>Lisbon</b>" not in page


def test_pagination_keeps_filters_and_a_page_past_the_end_shows_the_last(member_client, me, tags):
    people = [ProfileFactory(interests=[tags["climate"]], city="Porto") for _ in range(25)]
    _suggest(me, people)
    page = _page(member_client, place="Porto")
    assert "place=Porto&amp;page=2" in page
    last = _page(member_client, place="Porto", page=7)
    assert "Page 2 of 2" in last


def test_being_computed_shows_a_notice_that_refreshes(member_client, me):
    MatchState.objects.create(user=me.user, requested_at=timezone.now())
    page = _page(member_client)
    assert "Finding your people" in page
    assert reverse("matching:status") in page
    assert 'http-equiv="refresh"' in page  # without JavaScript


def test_a_person_never_asked_for_gets_a_recompute_queued(
    member_client, me, django_capture_on_commit_callbacks, tasks_inline
):
    other = complete_profile(interests=list(me.interests.all()), values=list(me.values.all()))
    assert not MatchState.objects.filter(user=me.user).exists()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert "Finding your people" in _page(member_client)
    recomputes = [c.__qualname__ for c in queued].count("matches_changed_for.<locals>.enqueue")
    assert recomputes == 1
    assert MatchState.objects.get(user=me.user).requested_at is not None
    # The queued task ran (in-process here), and the page now shows the match.
    assert other.name in _page(member_client)


def test_no_matches_at_all_says_so_and_points_to_interests(member_client, me):
    MatchState.objects.create(user=me.user, computed_at=timezone.now())
    page = _page(member_client)
    assert "No matches yet" in page
    assert reverse("profiles:edit_interests") in page


def test_status_polling(member_client, me):
    url = reverse("matching:status")
    state = MatchState.objects.create(user=me.user, requested_at=timezone.now())
    assert member_client.get(url, **HTMX).status_code == 204
    state.computed_at = timezone.now()
    state.save()
    refresh = member_client.get(url, {"then": "refresh"}, **HTMX)
    assert refresh["HX-Refresh"] == "true"
    ready = member_client.get(url, HTTP_HX_CURRENT_URL="http://testserver/matches/?x=1", **HTMX)
    assert "ready" in ready.content.decode()
    assert "/matches/?x=1" in ready.content.decode()
    assert member_client.get(url).status_code == 302


def test_new_marks_people_who_joined_since_the_last_visit(member_client, me, listed):
    sam = listed["sam"]
    earlier = timezone.now() - timedelta(days=2)
    sam.onboarded_at = timezone.now() - timedelta(hours=3)
    sam.save()
    listed["ana"].onboarded_at = earlier - timedelta(days=1)
    listed["ana"].save()
    MatchState.objects.filter(user=me.user).update(last_seen_at=earlier)
    first = _page(member_client)
    assert first.count("since your last visit") == 1
    # Page 2, a refresh: the same visit, still New.
    assert _page(member_client).count("since your last visit") == 1
    # The next visit: nothing new since.
    MatchState.objects.filter(user=me.user).update(last_seen_at=timezone.now() - timedelta(hours=2))
    _page(member_client)
    assert "since your last visit" not in _page(member_client)


def test_tag_type_ahead_links_keep_the_other_filters(member_client, listed):
    response = member_client.get(
        reverse("matching:tag_options"), {"tag": "clim", "place": "Lisbon"}, **HTMX
    )
    body = response.content.decode()
    assert "Climate tech" in body
    assert "place=Lisbon" in body and "tag=climate-tech" in body
    assert (
        "No interest or value matches"
        in member_client.get(reverse("matching:tag_options"), {"tag": "zzzz"}).content.decode()
    )


def test_cards_sit_in_one_form_with_one_token_and_the_way_back(member_client, listed):
    page = _page(member_client, place="Lisbon")
    form = page.split('class="match-list-form"')[1].split("</form>")[0]
    assert form.count('name="csrfmiddlewaretoken"') == 1
    assert 'name="next" value="/matches/?place=Lisbon"' in form
    sam = listed["sam"]
    assert f'formaction="/matches/people/{sam.pk}/pass/"' in form
    assert f'hx-post="/matches/people/{sam.pk}/save/"' in form


def test_cached_pages_follow_every_change(member_client, listed, me, tags):
    sam = listed["sam"]
    assert "Climate founder" in _page(member_client)
    assert "Climate founder" in _page(member_client)  # now from the page cache
    profile_update(profile=sam, data={"headline": "Now at a bigger start-up"})
    page = _page(member_client)
    assert "Now at a bigger start-up" in page and "Climate founder" not in page
    services.match_save(user=me.user, candidate=sam.user)
    assert 'aria-pressed="true"' in _page(member_client)
    # A recompute replaces the made-up list of the fixture with the engine's own.
    profile_tags_set(profile=me, interests=[tags["climate"], tags["rare"], *tags["common"]])
    services.matches_recompute_for_user(user_id=me.user.pk)
    score = Match.objects.get(user=me.user, candidate=sam.user).score
    assert score != 82
    assert f"{score}%" in _page(member_client) and "82%" not in _page(member_client)
    block_create(blocker=sam.user, blocked=me.user)
    assert "Now at a bigger start-up" not in _page(member_client)


def test_a_cached_page_never_serves_another_person(member_client, stranger_client, listed):
    assert "Climate founder" in _page(member_client)
    assert "Climate founder" in _page(member_client)
    assert "Climate founder" not in _page(stranger_client)


# --- Actions ----------------------------------------------------------------------------------


def _post(client, name, person, htmx=False, next_url="/matches/?place=Lisbon"):
    url = reverse(f"matching:{name}", kwargs={"profile_id": person.pk})
    return client.post(url, {"next": next_url}, **(HTMX if htmx else {}))


def test_pass_without_js_redirects_back_with_undo_and_undo_restores(member_client, listed):
    sam = listed["sam"]
    response = _post(member_client, "pass", sam)
    assert response.status_code == 302
    assert response["Location"] == f"/matches/?place=Lisbon&passed={sam.pk}"
    page = _page(member_client, passed=sam.pk)
    assert "You passed on <strong>Sam Rivera</strong>" in page
    assert reverse("matching:pass_undo", kwargs={"profile_id": sam.pk}) in page
    assert f'id="person-{sam.pk}"' not in page

    response = _post(member_client, "pass_undo", sam, next_url=f"/matches/?passed={sam.pk}")
    assert response["Location"] == "/matches/"
    page = member_client.get(response["Location"]).content.decode()
    assert "Sam Rivera is back in your suggestions." in page
    assert f'id="person-{sam.pk}"' in page


def test_pass_with_htmx_swaps_the_card_and_undo_brings_it_back(member_client, listed):
    sam = listed["sam"]
    response = _post(member_client, "pass", sam, htmx=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="person-{sam.pk}"' in body and "Undo" in body
    assert f'id="pass-{sam.pk}"' in body  # focus stays on the pressed button
    assert Pass.objects.filter(passed=sam.user).exists()
    assert "Sam Rivera" not in _page(member_client).split("match-results")[1]

    response = _post(member_client, "pass_undo", sam, htmx=True)
    body = response.content.decode()
    assert "82%" in body and "Carbon capture" in body
    assert f'hx-post="/matches/people/{sam.pk}/pass/"' in body


def test_undo_after_a_recompute_queues_another(member_client, listed, me, monkeypatch):
    sam = listed["sam"]
    queued = []
    monkeypatch.setattr(services, "matches_changed_for", lambda user_id: queued.append(user_id))
    _post(member_client, "pass", sam, htmx=True)
    Match.objects.filter(user=me.user, candidate=sam.user).delete()  # a recompute ran
    body = _post(member_client, "pass_undo", sam, htmx=True).content.decode()
    assert "will be back in your suggestions once they are updated" in body
    assert queued == [me.user_id]


def test_save_shows_under_saved_and_unsave_removes(member_client, listed, me):
    sam = listed["sam"]
    response = _post(member_client, "save", sam)
    assert response["Location"] == "/matches/?place=Lisbon"
    assert Saved.objects.filter(user=me.user, saved=sam.user).exists()
    saved_page = member_client.get(reverse("matching:saved")).content.decode()
    assert "Sam Rivera" in saved_page and "82%" in saved_page
    assert "Ana Weber" not in saved_page
    assert 'aria-pressed="true"' in _page(member_client)

    body = _post(member_client, "unsave", sam, htmx=True).content.decode()
    assert 'aria-pressed="false"' in body and f'id="save-{sam.pk}"' in body
    assert "Nobody saved yet" in member_client.get(reverse("matching:saved")).content.decode()


def test_save_with_htmx_answers_with_the_saved_card(member_client, listed):
    body = _post(member_client, "save", listed["ana"], htmx=True).content.decode()
    assert 'aria-pressed="true"' in body
    assert reverse("matching:unsave", kwargs={"profile_id": listed["ana"].pk}) in body


def test_a_saved_person_no_longer_suggested_still_shows(member_client, me, tags):
    other = complete_profile(display_name="Old Friend")
    services.match_save(user=me.user, candidate=other.user)
    page = member_client.get(reverse("matching:saved")).content.decode()
    assert "Old Friend" in page and "Not among your current suggestions" in page


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""]
)
def test_next_must_be_ours(member_client, listed, next_url):
    response = _post(member_client, "save", listed["sam"], next_url=next_url)
    assert response["Location"] == reverse("matching:list")


def test_actions_on_hidden_blocked_or_absent_people_are_404(member_client, me, listed):
    ana = listed["ana"]
    ana.discoverable = False
    ana.save()
    assert _post(member_client, "pass", ana).status_code == 404
    Block.objects.create(blocker=listed["sam"].user, blocked=me.user)
    assert _post(member_client, "save", listed["sam"]).status_code == 404
    missing = reverse("matching:save", kwargs={"profile_id": 999999})
    assert member_client.post(missing).status_code == 404


def test_actions_need_post_and_a_login(client, member_client, listed):
    url = reverse("matching:pass", kwargs={"profile_id": listed["sam"].pk})
    assert member_client.get(url).status_code == 405
    client.logout()
    assert client.post(url)["Location"].startswith(reverse("account_login"))


def test_passing_on_yourself_is_refused_kindly(member_client, me):
    # htmx: the card says why, in place (a 4xx would show nothing, or in DEBUG wipe the page).
    response = _post(member_client, "pass", me, htmx=True)
    assert response.status_code == 200
    assert 'role="alert">That is you.</p>' in response.content.decode()
    response = _post(member_client, "pass", me)
    assert response.status_code == 302


def test_a_person_gone_since_the_page_opened_turns_into_a_note_under_htmx(
    member_client, me, listed
):
    sam = listed["sam"]
    Block.objects.create(blocker=sam.user, blocked=me.user)

    response = _post(member_client, "save", sam, htmx=True)

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#person-{sam.pk}"
    assert "This person is no longer available." in response.content.decode()
    assert _post(member_client, "save", sam).status_code == 404


def test_the_profile_page_seen_from_matches_shows_the_same_reasons(member_client, listed):
    sam = listed["sam"]
    body = member_client.get(sam.get_absolute_url()).content.decode()
    for reason in ("Carbon capture", "Climate tech", "Honesty", "You are hiring; Sam Rivera"):
        assert reason in body


# --- Query count ------------------------------------------------------------------------------

# user, own profile with its tag counts, match state, [tag lookup], the page with its count
# (a window), [past the end: a count and the last page], [the person just passed on], [last
# seen, at most once a minute]. The session, the places and the header's unread counts come
# from the cache once the first visit has filled it.
QUERY_BUDGET = 9


@pytest.mark.parametrize("size", [5, 50])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"goal": "meet_peers", "tag": "climate-tech", "place": "Porto", "min_score": 10},
        {"tag": "Climate Tech", "sort": "newest", "page": 2},
        {"tag": "nonexistent", "passed": "1"},
    ],
)
def test_the_page_runs_a_fixed_number_of_queries(
    member_client, me, tags, size, params, django_assert_max_num_queries, settings
):
    people = [
        ProfileFactory(interests=[tags["climate"]], values=[tags["honesty"]], city="Porto")
        for _ in range(size)
    ]
    _suggest(me, people)
    for person in people[:3]:
        services.match_save(user=me.user, candidate=person.user)
    services.match_pass(user=me.user, candidate=people[-1].user)
    member_client.get(reverse("matching:list"))  # warm the session and the state
    # A new visit, so the page also writes last_seen_at and new_since.
    MatchState.objects.filter(user=me.user).update(last_seen_at=timezone.now() - timedelta(hours=2))
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = member_client.get(reverse("matching:list"), params)
    assert response.status_code == 200
    if not params:
        assert response.content.decode().count('class="card match-card"') == min(size - 1, 20)


@pytest.mark.parametrize("size", [3, 25])
def test_the_saved_list_runs_a_fixed_number_of_queries(
    member_client, me, tags, size, django_assert_max_num_queries
):
    people = [ProfileFactory(interests=[tags["climate"]]) for _ in range(size)]
    _suggest(me, people[::2])
    for person in people:
        services.match_save(user=me.user, candidate=person.user)
    # user, saved page with its count, their matches (session and header counts: cached)
    member_client.get(reverse("matching:saved"))
    with django_assert_max_num_queries(4):
        response = member_client.get(reverse("matching:saved"))
    assert response.content.decode().count('class="card match-card"') == min(size, 20)


# --- People you already talk to ---------------------------------------------------------------


def _card_of(page, person):
    start = page.index(f'id="person-{person.pk}"')
    return page[start : page.index("</article>", start)]


def test_people_you_talk_to_leave_the_list_and_a_filter_brings_them_back(member_client, listed, me):
    sam, ana = listed["sam"], listed["ana"]
    conversation_between(me.user, sam.user)

    page = _page(member_client)
    assert f'id="person-{sam.pk}"' not in page and f'id="person-{ana.pk}"' in page
    assert "People you already talk to are left out" in page
    assert "contacts=include" in page

    page = _page(member_client, contacts="include")
    card = _card_of(page, sam)
    assert "Connected: you already talk" in card
    assert "Open conversation<span" in card and ">Message<" not in card
    assert f'id="person-{ana.pk}"' in page
    assert "With people you talk to" in page  # a chip that removes the filter

    page = _page(member_client, contacts="only")
    assert f'id="person-{sam.pk}"' in page and f'id="person-{ana.pk}"' not in page

    page = _page(member_client, contacts="<b>bogus</b>")
    assert "We do not know that choice, so we leave them out." in page
    assert f'id="person-{sam.pk}"' not in page


def test_cards_show_where_you_stand_and_cached_pages_follow(member_client, listed, me):
    """Every change of a conversation drops the cached pages of both people (the hook)."""
    sam, ana = listed["sam"], listed["ana"]
    assert ">Message<" in _card_of(_page(member_client), sam)
    assert ">Message<" in _card_of(_page(member_client), sam)  # now from the page cache

    message = messaging.conversation_start(sender=me.user, recipient=sam.user, text="Hello!")
    card = _card_of(_page(member_client), sam)
    assert "Request sent, waiting for an answer" in card and "View request<span" in card

    messaging.conversation_decline(conversation=message.conversation, user=sam.user)
    card = _card_of(_page(member_client), sam)
    assert "Declined your request" in card and "btn--primary" not in card

    request = messaging.conversation_start(sender=ana.user, recipient=me.user, text="Hi!")
    card = _card_of(_page(member_client), ana)
    assert "Wants to connect with you" in card and "Answer request<span" in card

    messaging.conversation_accept(conversation=request.conversation, user=me.user)
    page = _page(member_client)
    assert f'id="person-{ana.pk}"' not in page
    assert "Open conversation<span" in _card_of(_page(member_client, contacts="only"), ana)


def test_a_swapped_card_keeps_its_state(member_client, listed, me):
    sam = listed["sam"]
    conversation_between(me.user, sam.user, accepted=False)
    body = _post(member_client, "save", sam, htmx=True).content.decode()
    assert "Request sent, waiting for an answer" in body
    Match.objects.filter(user=me.user, candidate=sam.user).delete()  # saved, not suggested
    body = _post(member_client, "unsave", sam, htmx=True).content.decode()
    assert "Request sent, waiting for an answer" in body


def test_the_saved_list_shows_where_you_stand(member_client, listed, me):
    sam = listed["sam"]
    services.match_save(user=me.user, candidate=sam.user)
    conversation_between(me.user, sam.user)
    card = _card_of(member_client.get(reverse("matching:saved")).content.decode(), sam)
    assert "Connected: you already talk" in card and "Open conversation<span" in card


@pytest.mark.parametrize("params", [{}, {"contacts": "include"}, {"contacts": "only"}])
def test_conversation_states_cost_no_extra_query(
    member_client, me, tags, params, django_assert_max_num_queries
):
    people = [ProfileFactory(interests=[tags["climate"]]) for _ in range(12)]
    _suggest(me, people)
    for person in people[:3]:
        conversation_between(me.user, person.user)
    conversation_between(people[3].user, me.user, accepted=False)
    conversation_between(me.user, people[4].user, accepted=False)
    member_client.get(reverse("matching:list"), params)
    services.match_pages_forget(user_ids=[me.user.pk])
    with django_assert_max_num_queries(QUERY_BUDGET):
        page = member_client.get(reverse("matching:list"), params).content.decode()
    shown = page.count('class="card match-card"')
    assert shown == {"": 9, "include": 12, "only": 3}[params.get("contacts", "")]
