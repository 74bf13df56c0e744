"""What messaging tells the apps built on it, without importing them.

A higher app registers a handler in its AppConfig.ready(); messaging's services call the hook
inside their transaction. Handlers must be cheap and must not fail the write (matching drops
cached pages, say).
"""

from collections.abc import Callable, Iterable

ConversationHandler = Callable[..., None]

_conversation_changed: list[ConversationHandler] = []


def on_conversation_changed(handler: ConversationHandler) -> None:
    """Call `handler(user_ids=...)` whenever a conversation between people starts or changes
    state (a request sent, accepted or declined)."""
    if handler not in _conversation_changed:
        _conversation_changed.append(handler)


def conversation_changed(*, user_ids: Iterable[int]) -> None:
    """A conversation of these people started or changed state: tell every handler."""
    user_ids = tuple(dict.fromkeys(user_ids))
    for handler in _conversation_changed:
        handler(user_ids=user_ids)
