"""Reads for the matches page: filters, exclusions, pass and save, New, the Saved list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Block
from matching import selectors, services
from matching.models import Match, MatchState, Pass, Saved
from matching.selectors import MatchFilters
from profiles.models import Tag, TagAlias
from profiles.selectors import tag_people_counts
from tests.factories import (
    MatchFactory,
    ProfileFactory,
    TagFactory,
    UserFactory,
    complete_profile,
)


@pytest.fixture
def tags(db):
    return {
        "climate": TagFactory(name="Climate tech", slug="climate-tech"),
        "design": TagFactory(name="Service design", slug="service-design"),
        "honesty": TagFactory(name="Honesty", slug="honesty", kind=Tag.Kind.VALUE),
    }


@pytest.fixture
def world(tags):
    """Me, and four people suggested to me with different cities, goals, tags and scores."""
    me = complete_profile(display_name="Me")
    now = timezone.now()
    people = {
        "lisbon": ProfileFactory(
            city="Lisbon",
            country="Portugal",
            interests=[tags["climate"]],
            goals=["find_job"],
            onboarded_at=now - timedelta(days=30),
        ),
        "porto": ProfileFactory(
            city="Porto",
            country="Portugal",
            interests=[tags["design"]],
            values=[tags["honesty"]],
            goals=["hire", "meet_peers"],
            onboarded_at=now - timedelta(days=1),
        ),
        "berlin": ProfileFactory(
            city="Berlin",
            country="Germany",
            interests=[tags["climate"], tags["design"]],
            goals=["hire"],
            onboarded_at=now - timedelta(days=10),
        ),
        "london": ProfileFactory(
            city="London",
            country="United Kingdom",
            interests=[],
            values=[tags["honesty"]],
            goals=["learn"],
            onboarded_at=now - timedelta(days=3),
        ),
    }
    for rank, (key, score) in enumerate(
        [("lisbon", 90), ("porto", 70), ("berlin", 50), ("london", 30)], start=1
    ):
        Match.objects.create(
            user=me.user,
            candidate=people[key].user,
            rank=rank,
            score=score,
            similarity=score / 100,
            reasons={},
        )
    return me, people


def _names(me, people, **kwargs):
    matches = selectors.matches_for(user=me.user, **kwargs)
    by_user = {person.user_id: key for key, person in people.items()}
    return [by_user[match.candidate_id] for match in matches]


def test_best_first_by_default(world):
    me, people = world
    assert _names(me, people) == ["lisbon", "porto", "berlin", "london"]


def test_newest_profiles_first(world):
    me, people = world
    filters = MatchFilters(sort=selectors.SORT_NEWEST)
    assert _names(me, people, filters=filters) == ["porto", "london", "berlin", "lisbon"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"goal": "hire"}, ["porto", "berlin"]),
        ({"goal": "find_job"}, ["lisbon"]),
        ({"goal": "invest"}, []),
        ({"place": "portugal"}, ["lisbon", "porto"]),
        ({"place": "BERLIN"}, ["berlin"]),
        ({"min_score": 60}, ["lisbon", "porto"]),
        ({"goal": "hire", "place": "Portugal"}, ["porto"]),
        ({"goal": "hire", "min_score": 60, "place": "Germany"}, []),
    ],
)
def test_filters_combine(world, filters, expected):
    me, people = world
    assert _names(me, people, filters=MatchFilters(**filters)) == expected


def test_filter_by_interest_or_value_means_they_have_it(world, tags):
    me, people = world
    assert _names(me, people, filters=MatchFilters(tag=tags["climate"])) == ["lisbon", "berlin"]
    assert _names(me, people, filters=MatchFilters(tag=tags["honesty"])) == ["porto", "london"]
    both = MatchFilters(tag=tags["design"], goal="hire", place="Germany")
    assert _names(me, people, filters=both) == ["berlin"]


def test_passed_people_disappear_and_undo_brings_them_back_at_once(world):
    me, people = world
    services.match_pass(user=me.user, candidate=people["porto"].user)
    assert "porto" not in _names(me, people)
    # The row stays, so Undo does not wait for a recompute.
    assert Match.objects.filter(user=me.user, candidate=people["porto"].user).exists()
    assert services.match_pass_undo(user=me.user, candidate=people["porto"].user) is True
    assert _names(me, people) == ["lisbon", "porto", "berlin", "london"]


def test_a_recompute_leaves_passed_people_out(tags):
    shared = [tags["climate"], tags["design"], TagFactory()]
    me = complete_profile(interests=shared)
    other = complete_profile(interests=shared)
    services.matches_recompute_all()
    assert selectors.matches_for(user=me.user).count() == 1
    services.match_pass(user=me.user, candidate=other.user)
    services.matches_recompute_all()
    assert not Match.objects.filter(user=me.user, candidate=other.user).exists()
    # They still see me: a pass only changes my own suggestions.
    assert Match.objects.filter(user=other.user, candidate=me.user).exists()


def _recomputes_queued(callbacks):
    return [c.__qualname__ for c in callbacks].count("matches_changed_for.<locals>.enqueue")


def test_undo_after_a_recompute_queues_one(world, django_capture_on_commit_callbacks):
    me, people = world
    services.match_pass(user=me.user, candidate=people["porto"].user)
    Match.objects.filter(user=me.user, candidate=people["porto"].user).delete()
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.match_pass_undo(user=me.user, candidate=people["porto"].user) is False
    # One recompute queued on commit (the other callbacks drop cached pages).
    assert _recomputes_queued(callbacks) == 1
    assert MatchState.objects.get(user=me.user).requested_at is not None
    assert not Pass.objects.filter(user=me.user).exists()


def test_blocked_hidden_and_departed_people_are_left_out_before_any_recompute(world):
    me, people = world
    Block.objects.create(blocker=people["lisbon"].user, blocked=me.user)
    Block.objects.create(blocker=me.user, blocked=people["london"].user)
    people["porto"].discoverable = False
    people["porto"].save()
    people["berlin"].user.is_active = False
    people["berlin"].user.save()
    assert _names(me, people) == []


def test_pass_and_save_refuse_yourself(world):
    me, _ = world
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.match_pass(user=me.user, candidate=me.user)
    with pytest.raises(ValidationError):
        services.match_save(user=me.user, candidate=me.user)


def test_saving_twice_keeps_one_and_flags_the_match(world):
    me, people = world
    services.match_save(user=me.user, candidate=people["berlin"].user)
    services.match_save(user=me.user, candidate=people["berlin"].user)
    assert Saved.objects.filter(user=me.user).count() == 1
    flags = {m.candidate_id: m.is_saved for m in selectors.matches_for(user=me.user)}
    assert flags[people["berlin"].user_id] is True
    assert flags[people["lisbon"].user_id] is False


def test_saved_list_last_saved_first_without_blocked_people(world):
    me, people = world
    services.match_save(user=me.user, candidate=people["berlin"].user)
    services.match_save(user=me.user, candidate=people["london"].user)
    services.match_save(user=me.user, candidate=people["lisbon"].user)
    Saved.objects.filter(saved=people["berlin"].user).update(
        created_at=timezone.now() - timedelta(days=1)
    )
    Block.objects.create(blocker=people["lisbon"].user, blocked=me.user)
    saved = [item.saved_id for item in selectors.saved_for(user=me.user)]
    assert saved == [people["london"].user_id, people["berlin"].user_id]
    services.match_unsave(user=me.user, candidate=people["london"].user)
    assert [item.saved_id for item in selectors.saved_for(user=me.user)] == [
        people["berlin"].user_id
    ]


def test_matches_by_candidate(world):
    me, people = world
    found = selectors.matches_by_candidate(
        user=me.user, candidate_ids=[people["porto"].user_id, UserFactory().pk]
    )
    assert list(found) == [people["porto"].user_id]
    assert found[people["porto"].user_id].score == 70


def test_new_means_joined_after_the_cutoff(world):
    me, people = world
    cutoff = timezone.now() - timedelta(days=5)
    new = {
        m.candidate_id for m in selectors.matches_for(user=me.user, new_since=cutoff) if m.is_new
    }
    assert new == {people["porto"].user_id, people["london"].user_id}
    assert not any(m.is_new for m in selectors.matches_for(user=me.user))


def test_a_visit_keeps_its_cutoff_and_the_next_visit_moves_it(world):
    me, _ = world
    now = timezone.now()
    assert services.matches_mark_seen(user=me.user, state=None, now=now) is None
    state = MatchState.objects.get(user=me.user)
    assert state.last_seen_at == now
    # Twenty minutes later: the same visit, nothing was seen before it.
    assert (
        services.matches_mark_seen(user=me.user, state=state, now=now + timedelta(minutes=20))
        is None
    )
    state.refresh_from_db()
    # Two hours later: a new visit; New means "since the last page view of the visit before".
    later = now + timedelta(hours=2, minutes=20)
    assert services.matches_mark_seen(user=me.user, state=state, now=later) == now + timedelta(
        minutes=20
    )
    state.refresh_from_db()
    assert state.new_since == now + timedelta(minutes=20)
    assert state.last_seen_at == later


def test_a_refresh_within_a_minute_writes_nothing(world, django_assert_num_queries):
    me, _ = world
    now = timezone.now()
    state = MatchState.objects.create(user=me.user, last_seen_at=now, new_since=now)
    with django_assert_num_queries(0):
        services.matches_mark_seen(user=me.user, state=state, now=now + timedelta(seconds=30))


def test_match_card_for_includes_a_passed_person(world):
    me, people = world
    services.match_pass(user=me.user, candidate=people["porto"].user)
    card = selectors.match_card_for(user=me.user, candidate=people["porto"].user)
    assert card.score == 70 and card.is_saved is False


def test_places_of_my_matches(world):
    me, _ = world
    assert selectors.match_places_for(user=me.user) == [
        "Berlin",
        "Germany",
        "Lisbon",
        "London",
        "Porto",
        "Portugal",
        "United Kingdom",
    ]


def test_pass_get_only_while_the_pass_stands(world):
    me, people = world
    porto = people["porto"]
    assert selectors.pass_get(user=me.user, profile_id=porto.pk) is None
    services.match_pass(user=me.user, candidate=porto.user)
    assert selectors.pass_get(user=me.user, profile_id=porto.pk) == porto


def test_filter_tag_lookup_by_slug_name_or_alias(tags):
    TagAlias.objects.create(normalized_name="cleantech", tag=tags["climate"])
    TagFactory(name="Secret", slug="secret", status=Tag.Status.PENDING)
    assert selectors.filter_tag_lookup(text="climate-tech") == (tags["climate"], [])
    assert selectors.filter_tag_lookup(text="  CLIMATE   Tech ") == (tags["climate"], [])
    assert selectors.filter_tag_lookup(text="CleanTech") == (tags["climate"], [])
    assert selectors.filter_tag_lookup(text="secret") == (None, [])
    assert selectors.filter_tag_lookup(text="nothing like it") == (None, [])
    assert selectors.filter_tag_lookup(text="   ") == (None, [])


def test_filter_tag_lookup_suggests_near_names_in_one_query(tags, django_assert_num_queries):
    tag_people_counts()  # popularity is cached for minutes: one query, now and then
    with django_assert_num_queries(1):
        tag, suggestions = selectors.filter_tag_lookup(text="clim")
    assert tag is None
    assert suggestions == [tags["climate"]]


def test_an_exact_name_wins_over_many_near_ones(db):
    for n in range(40):
        TagFactory(name=f"Applied design {n}")
    design = TagFactory(name="Design", slug="design-2")
    assert selectors.filter_tag_lookup(text="design") == (design, [])


def test_filter_tag_suggestions_prefix_first_both_kinds(tags):
    TagFactory(name="Honest feedback", slug="honest-feedback")
    TagFactory(name="Dishonesty studies", slug="dishonesty-studies")
    names = [tag.name for tag in selectors.filter_tag_suggestions(query="hones")]
    assert names == ["Honesty", "Honest feedback", "Dishonesty studies"]
    assert selectors.filter_tag_suggestions(query="") == []


def test_a_page_counts_in_the_same_query(world, django_assert_num_queries):
    me, _ = world
    with django_assert_num_queries(1):
        page = selectors.match_page(user=me.user, number=2, size=3)
    assert page.number == 2 and page.paginator.count == 4 and page.paginator.num_pages == 2
    assert len(page.object_list) == 1 and page.has_previous() and not page.has_next()


def test_a_page_past_the_end_is_the_last_and_an_empty_list_is_page_one(world):
    me, _ = world
    page = selectors.match_page(user=me.user, number=99, size=3)
    assert page.number == 2 and len(page.object_list) == 1
    empty = selectors.match_page(user=me.user, filters=MatchFilters(goal="invest"), number=5)
    assert empty.number == 1 and list(empty.object_list) == [] and empty.paginator.count == 0


# --- The reasons a request carries (registered with messaging.hooks) ----------------------


def _match(owner, candidate, *, score, goals):
    return MatchFactory(
        user=owner.user,
        candidate=candidate.user,
        score=score,
        reasons={
            "interests": [{"name": "Climate tech", "slug": "climate-tech"}],
            "values": [],
            "goals": goals,
        },
    )


def test_a_request_carries_what_its_sender_saw(tags):
    alice, bob = complete_profile(), complete_profile()
    _match(alice, bob, score=42, goals=[["hire", "find_job"]])
    _match(bob, alice, score=41, goals=[["find_job", "hire"]])

    reasons = selectors.request_reasons(sender=alice.user, recipient=bob.user)

    assert reasons == {
        "score": 42,
        "interests": [{"name": "Climate tech", "slug": "climate-tech"}],
        "values": [],
        "goals": [["hire", "find_job"]],
    }


def test_without_the_senders_match_the_recipients_is_turned_around(tags):
    alice, bob = complete_profile(), complete_profile()
    _match(bob, alice, score=41, goals=[["find_job", "hire"]])

    reasons = selectors.request_reasons(sender=alice.user, recipient=bob.user)

    assert reasons["score"] == 41
    assert reasons["goals"] == [["hire", "find_job"]]  # still the sender's goal first


def test_without_any_match_the_profiles_say_what_they_share_rarest_first(tags):
    rare = TagFactory(name="Carbon capture", slug="carbon-capture")
    common = tags["climate"]
    for _ in range(3):
        ProfileFactory(interests=[common])
    alice = complete_profile(interests=[common, rare], values=[tags["honesty"]], goals=["hire"])
    bob = complete_profile(
        interests=[common, rare, tags["design"]], values=[tags["honesty"]], goals=["find_job"]
    )

    reasons = selectors.request_reasons(sender=alice.user, recipient=bob.user)

    assert reasons == {
        "score": None,  # scores rank whole lists; none was computed for this pair
        "interests": [
            {"name": "Carbon capture", "slug": "carbon-capture"},
            {"name": "Climate tech", "slug": "climate-tech"},
        ],
        "values": [{"name": "Honesty", "slug": "honesty"}],
        "goals": [["hire", "find_job"]],
    }


def test_two_people_with_nothing_in_common_carry_no_reasons(tags):
    alice = complete_profile(interests=[tags["climate"]], values=[], goals=["learn"])
    bob = complete_profile(interests=[tags["design"]], values=[], goals=["learn"])

    assert selectors.request_reasons(sender=alice.user, recipient=bob.user) is None
