"""The header badge's counts are cached per person: every change must show on the next page."""

import pytest

from accounts.services import account_delete, account_suspend, block_create, block_delete
from messaging import selectors, services
from tests.factories import complete_profile, conversation_between

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    alice, bob = complete_profile().user, complete_profile().user
    conversation = conversation_between(alice, bob)
    services.message_send(conversation=conversation, sender=bob, body="Coffee on Friday?")
    return alice, bob, conversation


def test_counts_are_cached_between_pages(pair, django_assert_num_queries):
    alice, _, _ = pair
    assert selectors.unread_counts(user=alice) == {"messages": 1, "requests": 0}

    with django_assert_num_queries(0):
        assert selectors.unread_counts(user=alice) == {"messages": 1, "requests": 0}


def test_a_new_message_and_reading_it_show_at_once(pair):
    alice, bob, conversation = pair
    assert selectors.unread_counts(user=alice)["messages"] == 1

    services.message_send(conversation=conversation, sender=bob, body="Or Monday.")
    assert selectors.unread_counts(user=alice)["messages"] == 2

    services.message_mark_read(conversation=conversation, user=alice)
    assert selectors.unread_counts(user=alice)["messages"] == 0


def test_a_new_request_shows_at_once():
    alice, carol = complete_profile().user, complete_profile().user
    assert selectors.unread_counts(user=alice) == {"messages": 0, "requests": 0}

    services.conversation_start(sender=carol, recipient=alice, text="Hello Alice!")

    assert selectors.unread_counts(user=alice)["requests"] == 1


def test_blocking_and_unblocking_change_both_badges(pair):
    alice, bob, _ = pair
    assert selectors.unread_counts(user=alice)["messages"] == 1

    block_create(blocker=bob, blocked=alice)
    assert selectors.unread_counts(user=alice)["messages"] == 0

    block_delete(blocker=bob, blocked=alice)
    assert selectors.unread_counts(user=alice)["messages"] == 1


def test_a_partner_who_deletes_their_account_leaves_the_badge(pair):
    alice, bob, _ = pair
    assert selectors.unread_counts(user=alice)["messages"] == 1

    account_delete(user=bob)

    assert selectors.unread_counts(user=alice)["messages"] == 0


def test_a_suspended_partner_leaves_the_badge(pair):
    alice, bob, _ = pair
    assert selectors.unread_counts(user=alice)["messages"] == 1

    account_suspend(user=bob)

    assert selectors.unread_counts(user=alice)["messages"] == 0


def test_contact_state_says_where_each_person_stands(db):
    contact_state_for = selectors.contact_state_for
    me, sam, ana, kim = (complete_profile().user for _ in range(4))
    assert contact_state_for(user=me, other=sam) == ""
    message = services.conversation_start(sender=me, recipient=sam, text="Hello")
    assert contact_state_for(user=me, other=sam) == "sent"
    assert contact_state_for(user=sam, other=me) == "received"
    services.conversation_decline(conversation=message.conversation, user=sam)
    assert contact_state_for(user=me, other=sam) == "declined"
    assert contact_state_for(user=sam, other=me) == "you_declined"
    conversation_between(me, ana)
    assert contact_state_for(user=me, other=ana) == "connected"
    assert contact_state_for(user=ana, other=me) == "connected"
    assert contact_state_for(user=kim, other=ana) == ""
