"""Matching services against the database: loading, exclusions, lists, runs, queueing."""

import pytest
from django.db import transaction

from accounts.services import block_create
from matching import services
from matching.models import Match, MatchRun, MatchState, Pass
from profiles.models import Tag
from tests.factories import ProfileFactory, TagFactory, complete_profile


def _list(user):
    return list(
        Match.objects.filter(user=user).order_by("rank").values_list("candidate", flat=True)
    )


@pytest.fixture
def common_tags(db):
    return TagFactory.create_batch(4)


@pytest.fixture
def crowd(db, common_tags):
    """Twelve people who all share the common tags, so common tags carry little weight."""
    value = TagFactory(kind=Tag.Kind.VALUE)
    return [complete_profile(interests=common_tags[:3], values=[value]) for _ in range(12)]


def test_a_shared_rare_interest_outranks_a_shared_common_one(crowd, common_tags):
    rare = TagFactory(name="Quantum computing")
    me = complete_profile(interests=[rare, common_tags[3], *TagFactory.create_batch(2)])
    rare_friend = complete_profile(interests=[rare, *TagFactory.create_batch(2)])
    common_friend = complete_profile(interests=[common_tags[3], *TagFactory.create_batch(2)])
    for person in crowd[:6]:
        person.interests.add(common_tags[3])
    services.matches_recompute_all(reason="test")
    ranking = _list(me.user)
    assert ranking.index(rare_friend.user_id) < ranking.index(common_friend.user_id)


def test_each_match_keeps_its_reasons_rarest_first(crowd, common_tags):
    rare = TagFactory(name="Carbon capture")
    me = complete_profile(interests=[rare, *common_tags[:2]], goals=["hire"])
    other = complete_profile(interests=[rare, *common_tags[:2]], goals=["find_job"])
    services.matches_recompute_all(reason="test")
    match = Match.objects.get(user=me.user, candidate=other.user)
    names = [tag["name"] for tag in match.reasons["interests"]]
    assert names[0] == "Carbon capture"
    assert set(names) == {"Carbon capture", common_tags[0].name, common_tags[1].name}
    assert match.reasons["goals"] == [["hire", "find_job"]]
    assert 0 < match.score <= 100


def test_stored_reasons_are_the_engines_reasons_named(db):
    """The write path builds reasons as JSON text itself; it must say what the engine says."""
    import random

    from matching import engine

    rng = random.Random(7)
    interests = TagFactory.create_batch(12)
    values = TagFactory.create_batch(4, kind=Tag.Kind.VALUE)
    goals = ["hire", "find_job", "find_mentor", "mentor_others", "meet_peers", "invest"]
    for _ in range(15):
        complete_profile(
            interests=rng.sample(interests, rng.randint(3, 8)),
            values=rng.sample(values, rng.randint(1, 3)),
            goals=rng.sample(goals, rng.randint(1, 2)),
        )
    services.matches_recompute_all(reason="test")

    population = services.population_load()
    checked = 0
    for match in Match.objects.all():
        row, col = population.row_of(match.user_id), population.row_of(match.candidate_id)
        expected = engine.pair_reasons(population.prepared, row, col)
        named = [population.tags[int(population.tag_ids[c])] for c in expected["tags"]]
        assert match.reasons == {
            "interests": [{"name": n, "slug": s} for n, s, kind in named if kind != "value"],
            "values": [{"name": n, "slug": s} for n, s, kind in named if kind == "value"],
            "goals": [list(pair) for pair in expected["goals"]],
        }
        checked += 1
    assert checked > 100


def test_complementary_goals_lift_a_match(db):
    tags = TagFactory.create_batch(3)
    me = complete_profile(interests=tags, goals=["find_mentor"])
    mentor = complete_profile(interests=tags, goals=["mentor_others"])
    peer = complete_profile(interests=tags, goals=["learn"])
    services.matches_recompute_all(reason="test")
    assert _list(me.user)[0] == mentor.user_id
    mentor_score = Match.objects.get(user=me.user, candidate=mentor.user).score
    peer_score = Match.objects.get(user=me.user, candidate=peer.user).score
    assert mentor_score > peer_score


@pytest.mark.parametrize("hide", ["not_discoverable", "inactive", "not_onboarded"])
def test_hidden_inactive_and_unfinished_people_are_never_suggested(db, hide):
    tags = TagFactory.create_batch(3)
    me = complete_profile(interests=tags)
    hidden = complete_profile(interests=tags)
    if hide == "not_discoverable":
        hidden.discoverable = False
        hidden.save()
    elif hide == "inactive":
        hidden.user.is_active = False
        hidden.user.save()
    else:
        hidden.onboarded_at = None
        hidden.save()
    services.matches_recompute_all(reason="test")
    assert hidden.user_id not in _list(me.user)
    assert me.user_id not in _list(me.user)


@pytest.mark.parametrize("direction", ["i_blocked", "they_blocked"])
def test_blocked_people_are_never_suggested_either_way(db, direction):
    tags = TagFactory.create_batch(3)
    me, other = complete_profile(interests=tags), complete_profile(interests=tags)
    blocker, blocked = (me, other) if direction == "i_blocked" else (other, me)
    block_create(blocker=blocker.user, blocked=blocked.user)
    services.matches_recompute_all(reason="test")
    assert other.user_id not in _list(me.user)
    assert me.user_id not in _list(other.user)


def test_passed_people_are_not_suggested_again(db):
    tags = TagFactory.create_batch(3)
    me, other = complete_profile(interests=tags), complete_profile(interests=tags)
    Pass.objects.create(user=me.user, passed=other.user)
    services.matches_recompute_all(reason="test")
    assert other.user_id not in _list(me.user)
    assert me.user_id in _list(other.user)


def test_a_newcomer_enters_the_lists_of_people_they_now_beat(db, settings):
    settings.MATCHING_K = 2
    rare = TagFactory(name="Tide pools")
    tags = TagFactory.create_batch(3)
    me = complete_profile(interests=[rare, *tags])
    weak = [complete_profile(interests=[tags[0], *TagFactory.create_batch(2)]) for _ in range(3)]
    services.matches_recompute_all(reason="test")
    assert len(_list(me.user)) == 2
    newcomer = complete_profile(interests=[rare, *tags])
    services.matches_recompute_for_user(user_id=newcomer.user_id)
    assert _list(me.user)[0] == newcomer.user_id
    assert len(_list(me.user)) == 2
    assert _list(newcomer.user)[0] == me.user_id
    assert all(len(_list(person.user)) <= 2 for person in weak)


def test_a_person_who_hides_leaves_every_list(db):
    tags = TagFactory.create_batch(3)
    people = [complete_profile(interests=tags) for _ in range(4)]
    services.matches_recompute_all(reason="test")
    leaver = people[0]
    assert Match.objects.filter(candidate=leaver.user).count() == 3
    leaver.discoverable = False
    leaver.save()
    services.matches_recompute_for_user(user_id=leaver.user_id)
    assert not Match.objects.filter(candidate=leaver.user).exists()


def test_a_deleted_person_leaves_every_list(db):
    tags = TagFactory.create_batch(3)
    people = [complete_profile(interests=tags) for _ in range(3)]
    services.matches_recompute_all(reason="test")
    gone_id = people[0].user_id
    people[0].user.delete()
    services.matches_recompute_for_user(user_id=gone_id)
    assert not Match.objects.filter(candidate_id=gone_id).exists()


def test_pending_tags_count_for_nobody(db):
    pending = TagFactory(status=Tag.Status.PENDING)
    me = complete_profile(interests=[pending, *TagFactory.create_batch(2)])
    other = complete_profile(interests=[pending, *TagFactory.create_batch(2)])
    services.matches_recompute_all(reason="test")
    assert other.user_id not in _list(me.user)


def test_a_run_in_many_chunks_gives_the_same_lists_as_one(db, settings):
    tags = TagFactory.create_batch(6)
    people = [
        complete_profile(interests=[tags[i % 6], tags[(i + 1) % 6], tags[(i + 3) % 6]])
        for i in range(9)
    ]
    services.matches_recompute_all(reason="one chunk")
    one = {p.user_id: _list(p.user) for p in people}
    settings.MATCHING_CHUNK_SIZE = 2
    run = services.matches_recompute_all(reason="five chunks")
    assert run.chunks_total == 5
    assert {p.user_id: _list(p.user) for p in people} == one
    assert run.status == MatchRun.Status.SUCCEEDED
    assert run.people == 9
    assert run.matches_written == Match.objects.count()
    assert run.finished_at is not None


def test_a_chunk_delivered_twice_is_done_once(db, settings):
    tags = TagFactory.create_batch(3)
    for _ in range(4):
        complete_profile(interests=tags)
    settings.MATCHING_CHUNK_SIZE = 2
    run = services.match_run_start(reason="test")
    first = services.match_run_chunk(run_id=run.pk, number=0)
    services.match_run_chunk(run_id=run.pk, number=0)
    run.refresh_from_db()
    assert run.chunks_done == 1
    assert run.matches_written == first
    assert run.status == MatchRun.Status.RUNNING
    services.match_run_chunk(run_id=run.pk, number=1)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.SUCCEEDED


def test_edits_within_the_coalescing_window_queue_one_run(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    from matching import tasks

    queued = []
    monkeypatch.setattr(
        tasks.recompute_user_matches_task,
        "apply_async",
        lambda args, countdown: queued.append((args, countdown)),
    )
    profile = ProfileFactory()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            services.matches_changed_for(user_id=profile.user_id)
    assert queued == [([profile.user_id], services.coalesce_seconds())]
    assert MatchState.objects.get(user=profile.user).is_pending
    services.matches_queued_clear(user_id=profile.user_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.matches_changed_for(user_id=profile.user_id)
    assert len(queued) == 2


def test_the_recompute_task_clears_the_pending_state(db, tasks_inline):
    from matching.tasks import recompute_user_matches_task

    tags = TagFactory.create_batch(3)
    me, other = complete_profile(interests=tags), complete_profile(interests=tags)
    MatchState.objects.create(user=me.user, requested_at=me.created_at)
    recompute_user_matches_task.delay(me.user_id)
    state = MatchState.objects.get(user=me.user)
    assert not state.is_pending
    assert _list(me.user) == [other.user_id]


def test_a_task_that_hits_a_database_error_is_retried(db, tasks_inline, monkeypatch):
    from django.db import OperationalError

    from matching.tasks import recompute_user_matches_task

    calls = []
    real = services.matches_recompute_for_user

    def flaky(*, user_id):
        calls.append(user_id)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(user_id=user_id)

    monkeypatch.setattr(services, "matches_recompute_for_user", flaky)
    profile = complete_profile()
    result = recompute_user_matches_task.apply(args=[profile.user_id], throw=False)
    assert result.successful()
    assert len(calls) == 2
