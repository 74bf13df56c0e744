"""matching's cache families (intch/caches.py)."""

from django.conf import settings

from intch import events
from intch.caches import family


def _coalesce_seconds() -> int:
    return int(getattr(settings, "MATCHING_COALESCE_SECONDS", 60))


PAGE_GENERATION = family(
    "matching.page_generation",
    key="matching:page-generation:{user_id}",
    timeout=60 * 60,
    what="The token under which a person's matches pages are cached (matching.page is keyed "
    "by it): dropping it drops every cached page of theirs at once.",
    dropped_by=(
        events.ProfileChanged,
        events.TagsChanged,
        events.TagRenamed,
        events.BlockChanged,
        events.AccountSuspended,
        events.AccountReactivated,
        events.AccountDeleted,
        events.ConversationChanged,
    ),
    also_dropped="matching's own writes: a list replaced, a pass, a save, their undo.",
)
PAGE = family(
    "matching.page",
    key="matching:page:{user_id}:{digest}",
    timeout=60,
    what="A rendered matches page; the digest covers its generation token, URL, header "
    "counts, the list's computing time and the CSRF secret.",
    stale_ok="Never dropped one by one: a new generation token makes the old pages unreachable.",
)
CARDS = family(
    "matching.cards",
    key="template.cache.matching_cards.{fingerprint}",
    timeout=10 * 60,
    what="Rendered cards ({% cache %} in matching/partials/_card_list.html).",
    stale_ok="Keyed by a fingerprint of everything the cards show: changed cards get a new key.",
)
PLACES = family(
    "matching.places",
    key="matching:places:{user_id}:{computed_at}",
    timeout=10 * 60,
    what="The cities and countries of a person's suggestions (hints for the place filter).",
    stale_ok="Keyed by when the list was computed; a moved person shows up within minutes.",
)
QUEUED = family(
    "matching.queued",
    key="matching:queued:{user_id}",
    timeout=_coalesce_seconds,
    what="A recompute of this person's list is queued: edits in the next minute share it.",
    also_dropped="the recompute task, when it starts.",
)
QUEUED_ALL = family(
    "matching.queued_all",
    key="matching:queued:all",
    timeout=_coalesce_seconds,
    what="A full recompute is queued: merges and renames in the next minute share it.",
    also_dropped="the full recompute task, when it starts.",
)
