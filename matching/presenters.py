"""Shapes for the matches page: query strings and card fingerprints (pure, no ORM).

The words for a match's reasons live in profiles/reasons.py (requests show them too).
"""

import hashlib
from urllib.parse import urlencode


def query_string(params):
    """A canonical query string: empty values left out, keys in the order given."""
    return urlencode([(key, value) for key, value in params.items() if value not in ("", None)])


def cards_fingerprint(cards, *, salt=""):
    """A key that changes whenever anything a list of cards shows changes.

    `cards` are {"person", "match", "saved", "new", "contact"}; a person's edits move their
    profile's updated_at, and a recomputed list gets new Match rows (lists are replaced whole).
    """
    parts = [salt]
    for card in cards:
        person, match = card["person"], card["match"]
        parts.append(
            (
                person.pk,
                person.updated_at.isoformat() if person.updated_at else "",
                person.name,
                match.pk if match else None,
                match.score if match else None,
                match.computed_at.isoformat() if match else "",
                bool(card["saved"]),
                bool(card["new"]),
                card.get("contact") or "",
            )
        )
    return hashlib.sha256(repr(parts).encode()).hexdigest()
