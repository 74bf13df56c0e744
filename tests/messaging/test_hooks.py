"""Messaging tells the apps built on it about conversations through its hooks."""

import pytest

from messaging import hooks, services
from tests.factories import complete_profile

pytestmark = pytest.mark.django_db


def test_conversation_changes_reach_every_registered_handler(db):
    heard = []

    def handler(*, user_ids):
        heard.append(set(user_ids))

    hooks.on_conversation_changed(handler)
    try:
        me, sam = complete_profile().user, complete_profile().user
        message = services.conversation_start(sender=me, recipient=sam, text="Hello")
        services.conversation_accept(conversation=message.conversation, user=sam)
        services.message_send(conversation=message.conversation, sender=sam, body="Hi back")
    finally:
        hooks._conversation_changed.remove(handler)
    assert heard == [{me.pk, sam.pk}, {me.pk, sam.pk}]  # the request and the answer only
