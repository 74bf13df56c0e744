"""Accounts: blocking, suspending, reactivating and deleting, and what the apps do about it."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Block, User
from accounts.selectors import blocked_either_way
from matching import services as matching
from matching.models import Match
from messaging import selectors as messaging_selectors
from messaging import services as messaging
from search.selectors import people_search
from tests.factories import TagFactory, complete_profile, conversation_between

pytestmark = pytest.mark.django_db


def test_an_account_is_made_and_found_by_its_email_address():
    user = User.objects.create_user(email="Nora@Mail.Test", password="a-long-password-42")

    assert user.email == "Nora@mail.test"  # the domain is folded, the local part kept
    assert user.check_password("a-long-password-42")
    assert user.email_name == "Nora"
    assert "username" not in {field.name for field in User._meta.get_fields()}
    with pytest.raises(ValueError, match="email address"):
        User.objects.create_user(email="", password="x")


def test_a_superuser_is_staff_with_every_permission():
    admin = User.objects.create_superuser(email="admin@intch.local", password="x" * 12)

    assert admin.is_staff and admin.is_superuser


def test_blocking_is_either_way_and_undone_by_the_blocker():
    alice, bob = complete_profile().user, complete_profile().user

    services.block_create(blocker=alice, blocked=bob)
    assert blocked_either_way(first=bob, second=alice)
    services.block_delete(blocker=alice, blocked=bob)

    assert not Block.objects.exists()
    with pytest.raises(ValidationError, match="yourself"):
        services.block_create(blocker=alice, blocked=alice)


@pytest.fixture
def pair(tasks_inline, django_capture_on_commit_callbacks):
    """Sam and Ana share interests, are each other's match, and talk."""
    shared = TagFactory.create_batch(3)
    sam = complete_profile(display_name="Sam Quill", interests=shared)
    ana = complete_profile(display_name="Ana Weber", interests=shared)
    with django_capture_on_commit_callbacks(execute=True):
        matching.matches_recompute_all(reason="test")
    conversation = conversation_between(sam.user, ana.user)
    return sam, ana, conversation


def _seen_by_ana(sam, ana):
    """Where Sam shows for Ana: (in her matches, in her inbox, found by search)."""
    in_matches = Match.objects.filter(user=ana.user, candidate=sam.user).exists()
    in_inbox = messaging_selectors.inbox_for(user=ana.user).filter(initiator=sam.user).exists()
    found = people_search(viewer=ana.user, query="quill")
    return in_matches, in_inbox, [person.pk for person in found.object_list] == [sam.pk]


def test_a_suspended_person_leaves_and_a_reactivated_one_is_back_everywhere(
    pair, django_capture_on_commit_callbacks
):
    sam, ana, _ = pair
    assert _seen_by_ana(sam, ana) == (True, True, True)

    with django_capture_on_commit_callbacks(execute=True):
        services.account_suspend(user=sam.user)
    assert _seen_by_ana(sam, ana) == (False, False, False)

    with django_capture_on_commit_callbacks(execute=True):
        services.account_reactivate(user=sam.user)
    sam.user.refresh_from_db()
    assert sam.user.is_active
    assert _seen_by_ana(sam, ana) == (True, True, True)
    # And the other way: Sam's own list is back too.
    assert Match.objects.filter(user=sam.user, candidate=ana.user).exists()


def test_suspending_closes_the_persons_open_reports_and_reactivating_keeps_them_closed(pair):
    sam, ana, _ = pair
    report = messaging.report_create(reporter=ana.user, reported=sam.user, reason="spam")

    services.account_suspend(user=sam.user, moderator=ana.user)
    services.account_reactivate(user=sam.user, moderator=ana.user)

    report.refresh_from_db()
    assert (report.status, report.resolved_by_id) == ("suspended", ana.user_id)


def test_the_header_counts_of_partners_follow_a_suspension_and_a_reactivation(pair):
    sam, ana, conversation = pair
    messaging.message_send(conversation=conversation, sender=sam.user, body="Hello again")
    assert messaging_selectors.unread_counts(user=ana.user)["messages"] == 1

    services.account_suspend(user=sam.user)
    assert messaging_selectors.unread_counts(user=ana.user)["messages"] == 0

    services.account_reactivate(user=sam.user)
    assert messaging_selectors.unread_counts(user=ana.user)["messages"] == 1


def test_deleting_an_account_takes_the_person_out_of_everyone_elses_pages(pair):
    sam, ana, conversation = pair
    messaging.message_send(conversation=conversation, sender=sam.user, body="Bye")
    assert messaging_selectors.unread_counts(user=ana.user)["messages"] == 1

    services.account_delete(user=sam.user)

    assert not User.objects.filter(pk=sam.user_id).exists()
    assert messaging_selectors.unread_counts(user=ana.user)["messages"] == 0
    assert _seen_by_ana(sam, ana) == (False, False, False)
