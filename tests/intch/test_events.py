"""Domain events: handlers registered by the apps hear what the owning service announces."""

import pytest

from intch import events
from matching import handlers as matching_handlers
from messaging import handlers as messaging_handlers
from profiles import handlers as profiles_handlers


def test_each_app_handles_the_events_it_reacts_to():
    assert events.handlers_of(events.ProfileChanged) == [
        profiles_handlers.search_document_refresh,
        matching_handlers.profile_changed,
    ]
    assert messaging_handlers.account_suspended in events.handlers_of(events.AccountSuspended)
    assert matching_handlers.account_changed in events.handlers_of(events.AccountReactivated)
    assert matching_handlers.tag_renamed in events.handlers_of(events.TagRenamed)


def test_every_event_has_a_handler():
    unhandled = [event.__name__ for event in events.event_types() if not events.handlers_of(event)]
    assert unhandled == []


def test_a_handler_is_registered_once_and_runs_in_order(monkeypatch):
    monkeypatch.setattr(events, "_handlers", {})
    heard = []

    @events.handles(events.BlockChanged)
    def first(event):
        heard.append(("first", event.blocker_id))

    events.handles(events.BlockChanged)(first)  # again: still once

    @events.handles(events.BlockChanged, events.AccountDeleted)
    def second(event):
        heard.append(("second", type(event).__name__))

    with events.recorded() as announced:
        events.emit(events.BlockChanged(blocker_id=1, blocked_id=2, blocked=True))
        events.emit(events.AccountDeleted(user_id=3))

    assert heard == [("first", 1), ("second", "BlockChanged"), ("second", "AccountDeleted")]
    assert [type(event) for event in announced] == [events.BlockChanged, events.AccountDeleted]


@pytest.mark.django_db
def test_a_failing_handler_fails_the_write(monkeypatch):
    from accounts import services
    from accounts.models import Block
    from tests.factories import UserFactory

    alice, bob = UserFactory(), UserFactory()

    def broken(event):
        raise RuntimeError("handler failed")

    monkeypatch.setitem(events._handlers, events.BlockChanged, [broken])
    with pytest.raises(RuntimeError):
        services.block_create(blocker=alice, blocked=bob)

    assert not Block.objects.exists()
