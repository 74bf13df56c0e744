"""Every write path drops the cache entries it makes stale (intch/caches.py, docs/architecture.md).

One small world (Alice is in Sam's matches, talks with Pat; Bo shares her interests; Stan
shares nothing with anyone) has a cached header count and a cached matches-page token for
each person. Each write path below runs as in the embedded default (its transaction commits,
tasks run in-process) and must drop the entries of the people whose pages it changed, and
only theirs. The walk also checks the declarations: every event a family says drops it did
drop it on some path.
"""

from dataclasses import dataclass

import pytest
from django.urls import reverse

from accounts import services as accounts
from intch import caches, events
from matching import caches as matching_caches
from matching import services as matching
from matching.models import Match
from messaging import caches as messaging_caches
from messaging import services as messaging
from profiles import services as profiles
from profiles.models import Tag
from tests.admin_forms import profile_form, tag_form
from tests.factories import TagFactory, complete_profile, conversation_between
from tests.security.conftest import png_upload

PAGES = matching_caches.PAGE_GENERATION
COUNTS = messaging_caches.UNREAD_COUNTS
PRIMED = "primed"


@dataclass
class World:
    alice: object
    sam: object
    pat: object
    bo: object
    stan: object
    shared: list
    conversation: object

    def people(self):
        return {name: getattr(self, name).user_id for name in ("alice", "sam", "pat", "bo", "stan")}


@pytest.fixture
def world(db, committed):
    shared = TagFactory.create_batch(3)
    alice = complete_profile(display_name="Alice", interests=shared)
    sam = complete_profile(display_name="Sam", interests=shared)
    bo = complete_profile(display_name="Bo", interests=shared)
    pat = complete_profile(display_name="Pat")
    stan = complete_profile(display_name="Stan")
    with committed():
        matching.matches_recompute_all(reason="test")
        conversation = conversation_between(pat.user, alice.user)
    assert Match.objects.filter(user=sam.user, candidate=alice.user).exists()
    assert not Match.objects.filter(candidate=stan.user).exists()
    return World(alice, sam, pat, bo, stan, shared, conversation)


def _post(client, url, data):
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


# name -> (the write, {family: the people whose entries it must drop}, whom it must not touch,
#          the event it announces, or None for a write its own app handles)
WRITE_PATHS = {
    "a person renames themselves": (
        lambda w, admin: profiles.profile_update(
            profile=w.alice, data={"display_name": "Alice Renamed"}
        ),
        {PAGES: {"alice", "sam"}},
        {"stan", "pat"},
        events.ProfileChanged,
    ),
    "staff rename a person in the admin": (
        lambda w, admin: _post(
            admin,
            reverse("admin:profiles_profile_change", args=[w.alice.pk]),
            profile_form(w.alice, display_name="Alice By Staff"),
        ),
        {PAGES: {"alice", "sam"}},
        {"stan", "pat"},
        events.ProfileChanged,
    ),
    "a person hides their profile": (
        lambda w, admin: profiles.profile_update(profile=w.alice, data={"discoverable": False}),
        {PAGES: {"alice", "sam"}},
        {"stan"},
        events.ProfileChanged,
    ),
    "a person changes their picture": (
        lambda w, admin: profiles.profile_avatar_set(profile=w.alice, uploaded=png_upload()),
        {PAGES: {"alice", "sam"}},
        {"stan", "pat"},
        events.ProfileChanged,
    ),
    "a person changes their interests": (
        lambda w, admin: profiles.profile_tags_set(
            profile=w.alice, interests=[*w.shared[:2], TagFactory()]
        ),
        {PAGES: {"alice", "sam"}},
        {"stan"},
        events.ProfileChanged,
    ),
    "a person blocks another": (
        lambda w, admin: accounts.block_create(blocker=w.alice.user, blocked=w.pat.user),
        {PAGES: {"alice", "sam", "pat"}, COUNTS: {"alice", "pat"}},
        {"stan"},
        events.BlockChanged,
    ),
    "staff lift a block in the admin": (
        lambda w, admin: _post(
            admin,
            reverse(
                "admin:accounts_block_delete",
                args=[accounts.block_create(blocker=w.alice.user, blocked=w.stan.user).pk],
            ),
            {"post": "yes"},
        ),
        {PAGES: {"alice", "sam", "stan"}, COUNTS: {"alice", "stan"}},
        {"pat"},
        events.BlockChanged,
    ),
    "a moderator suspends a person": (
        lambda w, admin: accounts.account_suspend(user=w.alice.user),
        {PAGES: {"alice", "sam"}, COUNTS: {"alice", "pat"}},
        {"stan"},
        events.AccountSuspended,
    ),
    "staff suspend a person in the admin": (
        lambda w, admin: _post(
            admin,
            reverse("admin:accounts_user_changelist"),
            {"action": "suspend", "_selected_action": [w.alice.user_id]},
        ),
        {PAGES: {"alice", "sam"}, COUNTS: {"alice", "pat"}},
        {"stan"},
        events.AccountSuspended,
    ),
    "staff reactivate a person in the admin": (
        lambda w, admin: (
            accounts.account_suspend(user=w.alice.user),
            _prime(w),
            _post(
                admin,
                reverse("admin:accounts_user_changelist"),
                {"action": "reactivate", "_selected_action": [w.alice.user_id]},
            ),
        ),
        {PAGES: {"alice", "sam"}, COUNTS: {"alice", "pat"}},
        {"stan"},
        events.AccountReactivated,
    ),
    "a person deletes their account": (
        lambda w, admin: accounts.account_delete(user=w.alice.user),
        {PAGES: {"alice", "sam"}, COUNTS: {"alice", "pat"}},
        {"stan"},
        events.AccountDeleted,
    ),
    "a person sends a request": (
        lambda w, admin: messaging.conversation_start(
            sender=w.bo.user, recipient=w.alice.user, text="Hello"
        ),
        {PAGES: {"alice", "bo"}, COUNTS: {"alice", "bo"}},
        {"stan", "pat"},
        events.ConversationChanged,
    ),
    "a person declines a request": (
        lambda w, admin: messaging.conversation_decline(
            conversation=messaging.conversation_start(
                sender=w.bo.user, recipient=w.alice.user, text="Hello"
            ).conversation,
            user=w.alice.user,
        ),
        {PAGES: {"alice", "bo"}, COUNTS: {"alice", "bo"}},
        {"stan", "pat"},
        events.ConversationChanged,
    ),
    "a person sends a message": (
        lambda w, admin: messaging.message_send(
            conversation=w.conversation, sender=w.pat.user, body="Hi"
        ),
        {COUNTS: {"alice", "pat"}},
        {"stan", "sam"},
        None,
    ),
    "a person reads a conversation": (
        lambda w, admin: (
            messaging.message_send(conversation=w.conversation, sender=w.pat.user, body="Hi"),
            _prime(w),
            messaging.message_mark_read(conversation=w.conversation, user=w.alice.user),
        ),
        {COUNTS: {"alice", "pat"}},
        {"stan", "sam"},
        None,
    ),
    "a person passes on a match": (
        lambda w, admin: matching.match_pass(user=w.sam.user, candidate=w.alice.user),
        {PAGES: {"sam"}},
        {"stan", "alice"},
        None,
    ),
    "staff approve a tag": (
        lambda w, admin: _post(
            admin,
            reverse("admin:profiles_tag_changelist"),
            {"action": "approve_tags", "_selected_action": [_pending_tag_of(w.alice).pk]},
        ),
        {PAGES: {"alice", "sam"}},
        {"stan"},
        events.TagsChanged,
    ),
    "staff rename a tag": (
        lambda w, admin: _post(
            admin,
            reverse("admin:profiles_tag_change", args=[w.shared[0].pk]),
            tag_form(w.shared[0], name="Renamed topic", slug="renamed-topic"),
        ),
        {PAGES: {"alice", "sam", "bo"}},
        set(),
        events.TagRenamed,
    ),
    "staff merge tags": (
        lambda w, admin: admin.post(
            reverse("admin:profiles_tag_changelist"),
            {
                "action": "merge_tags",
                "_selected_action": [w.shared[0].pk],
                "post": "yes",
                "target": TagFactory().pk,
            },
        ),
        {PAGES: {"alice", "sam", "bo"}},
        set(),
        events.TagsChanged,
    ),
    "staff delete a tag": (
        lambda w, admin: _post(
            admin, reverse("admin:profiles_tag_delete", args=[w.shared[0].pk]), {"post": "yes"}
        ),
        {PAGES: {"alice", "sam", "bo"}},
        set(),
        events.TagsChanged,
    ),
}


def _pending_tag_of(profile):
    tag = TagFactory(status=Tag.Status.PENDING, proposed_by=profile.user)
    profile.interests.add(tag)
    return tag


def _prime(world):
    for user_id in world.people().values():
        PAGES.set(PRIMED, user_id=user_id)
        COUNTS.set(PRIMED, user_id=user_id)


def _dropped(world, family):
    return {name for name, user_id in world.people().items() if family.get(user_id=user_id) is None}


@pytest.mark.parametrize("path", list(WRITE_PATHS))
def test_each_write_path_drops_what_it_made_stale(world, admin_client, committed, path):
    write, expected, untouched, event_type = WRITE_PATHS[path]
    _prime(world)

    with committed(), events.recorded() as announced:
        write(world, admin_client)

    if event_type is not None:
        assert event_type in {type(event) for event in announced}, f"{path} announced nothing"
    for family, people in expected.items():
        dropped = _dropped(world, family)
        assert people <= dropped, f"{path}: {family.name} of {people - dropped} kept"
        assert not (dropped & untouched), f"{path}: {family.name} of {dropped & untouched}"
    for family in (PAGES, COUNTS):
        if family not in expected:
            assert not (_dropped(world, family) & untouched)


def test_every_declared_drop_is_walked_above():
    """Each event a family says drops it has a write path above that announces it and
    checks the drop (a family may also be dropped by its own app's writes: also_dropped)."""
    walked = {
        (family, event_type)
        for _, expected, _, event_type in WRITE_PATHS.values()
        for family in expected
        if event_type is not None
    }
    declared = {(family, event) for family in (PAGES, COUNTS) for event in family.dropped_by}
    assert declared - walked == set(), "add a write path that announces it"


def test_every_family_says_what_drops_it_and_has_a_unique_key():
    declared = caches.families()
    assert len(declared) >= 9
    assert len({family.key for family in declared}) == len(declared)
    for family in declared:
        assert family.dropped_by or family.also_dropped or family.stale_ok, family.name
        assert all(issubclass(event, events.Event) for event in family.dropped_by)


def test_a_family_drops_an_entry_now_and_again_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        COUNTS.set(PRIMED, user_id=1)
        COUNTS.forget_people([1])
        assert COUNTS.get(user_id=1) is None
        COUNTS.set("computed from the old data meanwhile", user_id=1)
    assert COUNTS.get(user_id=1) is None
