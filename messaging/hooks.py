"""What messaging asks of, and tells, the apps built on it, without importing them.

messaging sits below matching (see the layer order in the README), so it never imports
matching: a higher app registers into these registries in its AppConfig.ready() instead.

- Request reasons: a provider says why two people would get along, as the sender saw it; a
  request keeps them to show its recipient (matching provides them).
- Conversation changes: a handler hears that a conversation between people started or changed
  state (a request sent, accepted or declined), inside the transaction that changed it
  (matching drops both people's cached pages). Handlers must be cheap and must not fail the
  write.
"""

import logging
from collections.abc import Callable, Iterable

from django.db import transaction

logger = logging.getLogger(__name__)

# (sender, recipient) -> why they would get along, as the sender saw it when writing, or None:
# {"score": int or None, "interests": [{"name", "slug"}, ...], "values": [...],
#  "goals": [[sender's goal, recipient's goal], ...]}
RequestReasonsProvider = Callable[..., dict | None]
# (user_ids) -> None: the people whose conversation started or changed state.
ConversationChangedHandler = Callable[..., None]

_request_reasons_providers: list[RequestReasonsProvider] = []
_conversation_changed_handlers: list[ConversationChangedHandler] = []


def request_reasons_register(provider: RequestReasonsProvider) -> None:
    """Add a provider of the reasons a request shows its recipient (once per provider)."""
    if provider not in _request_reasons_providers:
        _request_reasons_providers.append(provider)


def request_reasons_for(*, sender, recipient) -> dict:
    """The reasons of the first provider that has some, or {}.

    Reasons help the recipient say yes; they never stop a request, so a provider that fails
    is logged and skipped.
    """
    for provider in _request_reasons_providers:
        try:
            # A savepoint: a failed query must not break the transaction sending the request.
            with transaction.atomic():
                reasons = provider(sender=sender, recipient=recipient)
        except Exception:
            logger.exception("request reasons provider %r failed", provider)
            continue
        if reasons:
            return reasons
    return {}


def conversation_changed_register(handler: ConversationChangedHandler) -> None:
    """Call `handler(user_ids=...)` whenever a conversation between people starts or changes
    state (once per handler)."""
    if handler not in _conversation_changed_handlers:
        _conversation_changed_handlers.append(handler)


def conversation_changed(*, user_ids: Iterable[int]) -> None:
    """A conversation of these people started or changed state: tell every handler."""
    user_ids = tuple(dict.fromkeys(user_ids))
    for handler in _conversation_changed_handlers:
        handler(user_ids=user_ids)
