"""What messaging asks of the apps built on it, without importing them.

messaging sits below matching (see the layer order in the README), so it never imports
matching: a higher app registers into these registries in its AppConfig.ready() instead.

- Request reasons: a provider says why two people would get along, as the sender saw it; a
  request keeps them to show its recipient (matching provides them).

What messaging tells the others (a conversation started or changed state) goes through the
domain events (intch.events.ConversationChanged), like every other change.
"""

import logging
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

# (sender, recipient) -> why they would get along, as the sender saw it when writing, or None:
# {"score": int or None, "interests": [{"name", "slug"}, ...], "values": [...],
#  "goals": [[sender's goal, recipient's goal], ...]}
RequestReasonsProvider = Callable[..., dict | None]

_request_reasons_providers: list[RequestReasonsProvider] = []


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
