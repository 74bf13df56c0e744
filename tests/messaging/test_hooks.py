"""Messaging asks the apps built on it through its hooks: requests keep the reasons their
sender saw, from providers those apps register (matching does; a provider that fails never
stops a request). It tells them of conversations that start or change state through the
domain events (intch.events.ConversationChanged), which matching handles."""

from datetime import timedelta

import pytest
from django.utils import timezone

from intch import events
from matching import handlers as matching_handlers
from matching.selectors import request_reasons
from messaging import hooks, services
from messaging.models import Conversation

pytestmark = pytest.mark.django_db

REASONS = {"score": 50, "interests": [{"name": "Rust", "slug": "rust"}], "values": [], "goals": []}


def test_matching_registers_a_provider_and_a_conversation_handler():
    assert request_reasons in hooks._request_reasons_providers
    assert matching_handlers.conversation_changed in events.handlers_of(events.ConversationChanged)


def test_a_request_keeps_the_reasons_of_the_first_provider_that_has_some(monkeypatch, alice, bob):
    asked = []

    def nothing(*, sender, recipient):
        asked.append((sender, recipient))

    monkeypatch.setattr(
        hooks, "_request_reasons_providers", [nothing, lambda **_: REASONS, lambda **_: {"x": 1}]
    )

    conversation = services.conversation_start(sender=alice, recipient=bob, text="Hi").conversation

    assert asked == [(alice, bob)]
    assert Conversation.objects.get(pk=conversation.pk).reasons == REASONS


def test_a_failing_provider_is_skipped_and_the_request_still_goes(monkeypatch, caplog, alice, bob):
    def broken(*, sender, recipient):
        Conversation.objects.raw("SELECT no_such_column FROM nowhere")[0]  # a failed query

    monkeypatch.setattr(hooks, "_request_reasons_providers", [broken, lambda **_: REASONS])

    conversation = services.conversation_start(sender=alice, recipient=bob, text="Hi").conversation

    assert conversation.reasons == REASONS
    assert Conversation.objects.filter(pk=conversation.pk, status="pending").exists()
    assert "request reasons provider" in caplog.text


def test_a_request_sent_again_after_a_decline_carries_fresh_reasons(monkeypatch, alice, bob):
    monkeypatch.setattr(hooks, "_request_reasons_providers", [lambda **_: REASONS])
    conversation = services.conversation_start(sender=alice, recipient=bob, text="Hi").conversation
    services.conversation_decline(conversation=conversation, user=bob)
    Conversation.objects.filter(pk=conversation.pk).update(
        responded_at=timezone.now() - timedelta(days=31)
    )
    fresh = {**REASONS, "score": 61}
    monkeypatch.setattr(hooks, "_request_reasons_providers", [lambda **_: fresh])

    services.conversation_start(sender=alice, recipient=bob, text="Hi again")

    assert Conversation.objects.get(pk=conversation.pk).reasons == fresh


def test_conversation_changes_are_announced_once_per_change(alice, bob):
    with events.recorded() as heard:
        message = services.conversation_start(sender=alice, recipient=bob, text="Hello")
        services.conversation_accept(conversation=message.conversation, user=bob)
        services.message_send(conversation=message.conversation, sender=bob, body="Hi back")

    changes = [event for event in heard if isinstance(event, events.ConversationChanged)]
    # the request and the answer only
    assert [set(change.user_ids) for change in changes] == [{alice.pk, bob.pk}, {alice.pk, bob.pk}]
