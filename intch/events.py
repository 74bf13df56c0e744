"""Domain events: a write announces what changed, and the apps that care react.

The service that owns a write calls `emit()` with an event saying what changed (a profile's
fields, a block, an account suspended...). Each app that must react (drop a cache, queue a
recompute, refresh a search document, push a live update) registers a handler in its own
`<app>/handlers.py`, which its AppConfig.ready() imports. The writer never imports the apps
that react: a base app knows only this module, and the dependency points one way.

When handlers run: at once, inside the writer's transaction, in the order the apps were
registered (INSTALLED_APPS order). So a handler sees the database as the write left it (and
rows that the write is about to delete, for AccountDeleted), and a handler's own writes
commit or roll back with the write. A handler defers what leaves the database to
`transaction.on_commit` (queueing a task, a live push), and drops a cache both now and after
commit (intch.caches.CacheFamily.forget), so that no page rendered from the old data during
the transaction is kept. A handler that raises fails the write: handlers are small.

docs/architecture.md maps each event to its emitters, its handlers and the caches it drops.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar


@dataclass(frozen=True)
class Event:
    """Something that changed, as the service that changed it says it (ids, not objects)."""


@dataclass(frozen=True)
class ProfileChanged(Event):
    """A person's profile changed: `fields` names what (model fields, and "avatar",
    "interests", "values" for the picture and the tags)."""

    user_id: int
    profile_id: int
    fields: frozenset[str]


@dataclass(frozen=True)
class TagsChanged(Event):
    """Tags changed for everyone who has them: approved or rejected ("status"), merged into
    another ("merged") or deleted ("deleted"). The ids were read before the change."""

    STATUS = "status"
    MERGED = "merged"
    DELETED = "deleted"

    change: str
    tag_ids: tuple[int, ...]
    profile_ids: tuple[int, ...]  # the people who have (had) them
    user_ids: tuple[int, ...]
    reason: str


@dataclass(frozen=True)
class TagRenamed(Event):
    """A tag's name or slug changed (links and reasons that name it are out of date)."""

    tag_id: int
    old_name: str
    new_name: str
    old_slug: str
    new_slug: str
    profile_ids: tuple[int, ...]  # the people who have it
    user_ids: tuple[int, ...]


@dataclass(frozen=True)
class BlockChanged(Event):
    """`blocker_id` blocked `blocked_id` (blocked=True) or lifted the block (False)."""

    blocker_id: int
    blocked_id: int
    blocked: bool


@dataclass(frozen=True)
class AccountSuspended(Event):
    """A moderator (or staff) suspended an account: no login, gone from everyone's pages."""

    user_id: int
    moderator_id: int | None


@dataclass(frozen=True)
class AccountReactivated(Event):
    """A suspended account is active again: back in matches, conversations and search."""

    user_id: int


@dataclass(frozen=True)
class AccountDeleted(Event):
    """An account is being deleted. Emitted in the deletion's transaction before the row
    goes, so handlers can still read whom the person talked to and whose lists showed them."""

    user_id: int


@dataclass(frozen=True)
class ConversationChanged(Event):
    """A conversation between two people started or changed state (a request sent,
    accepted or declined)."""

    conversation_id: int
    user_ids: tuple[int, ...]
    state: str


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]

_handlers: dict[type[Event], list[Handler]] = {}
_listeners: list[list[Event]] = []


def handles(*event_types: type[Event]) -> Callable[[Callable[[E], None]], Callable[[E], None]]:
    """Register the decorated function as a handler of these events (once per handler)."""

    def register(handler: Callable[[E], None]) -> Callable[[E], None]:
        for event_type in event_types:
            handlers = _handlers.setdefault(event_type, [])
            if handler not in handlers:
                handlers.append(handler)
        return handler

    return register


def handlers_of(event_type: type[Event]) -> list[Handler]:
    """The handlers registered for one event, in the order they run."""
    return list(_handlers.get(event_type, ()))


def emit(event: Event) -> None:
    """Announce `event`: every handler registered for its type runs now, in this transaction."""
    for listener in _listeners:
        listener.append(event)
    for handler in _handlers.get(type(event), ()):
        handler(event)


@contextmanager
def recorded() -> Iterator[list[Event]]:
    """Collect every event emitted inside the block (for tests and the write-path walk)."""
    events: list[Event] = []
    _listeners.append(events)
    try:
        yield events
    finally:
        _listeners.remove(events)


def event_types() -> list[type[Event]]:
    """Every event this module defines (docs and tests walk them)."""
    return sorted(Event.__subclasses__(), key=lambda event_type: event_type.__name__)
