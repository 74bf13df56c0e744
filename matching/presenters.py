"""Words and shapes for the reasons behind a match (pure functions, no ORM)."""

import hashlib
from urllib.parse import urlencode

_GOAL_SENTENCES = {
    ("find_mentor", "mentor_others"): "You are looking for a mentor; {name} mentors others.",
    ("mentor_others", "find_mentor"): "{name} is looking for a mentor; you mentor others.",
    ("hire", "find_job"): "You are hiring; {name} is looking for a job.",
    ("find_job", "hire"): "{name} is hiring; you are looking for a job.",
    ("raise_funding", "invest"): "You are raising funding; {name} invests.",
    ("invest", "raise_funding"): "{name} is raising funding; you invest.",
    ("find_cofounder", "find_cofounder"): "You are both looking for a co-founder.",
    (
        "find_clients",
        "find_partners",
    ): "You are looking for clients; {name} is looking for partners.",
    (
        "find_partners",
        "find_clients",
    ): "You are looking for partners; {name} is looking for clients.",
    ("meet_peers", "meet_peers"): "You both want to meet peers.",
}

# A card shows this many shared tags; the rest fold away behind "+N more".
CHIPS_SHOWN = 6
# Of those, values get at least this many places when there are any (interests come first).
VALUE_PLACES = 2


def goal_sentence(my_goal, their_goal, name):
    """“You are hiring; Sam is looking for a job.” for a complementary pair of goals."""
    template = _GOAL_SENTENCES.get((my_goal, their_goal))
    if template is None:
        return ""
    return template.format(name=name)


def goal_sentences(goal_pairs, name):
    """The sentences for all complementary goal pairs of a match, unknown pairs left out."""
    sentences = []
    for pair in goal_pairs or ():
        if len(pair) == 2:
            sentence = goal_sentence(pair[0], pair[1], name)
            if sentence and sentence not in sentences:
                sentences.append(sentence)
    return sentences


def reason_chips(reasons, shown=CHIPS_SHOWN):
    """Shared tags as chips, split into (shown, folded).

    Interests come rarest first, then values (also rarest first); values keep a couple of
    places when there are many interests, since shared values say a lot about a match.
    Each chip is {"name", "slug", "kind"}.
    """
    interests = [dict(tag, kind="interest") for tag in (reasons or {}).get("interests", [])]
    values = [dict(tag, kind="value") for tag in (reasons or {}).get("values", [])]
    value_places = min(len(values), VALUE_PLACES)
    interest_places = min(len(interests), shown - value_places)
    value_places = min(len(values), shown - interest_places)
    visible = interests[:interest_places] + values[:value_places]
    folded = interests[interest_places:] + values[value_places:]
    return visible, folded


def more_shared(reasons, shown=CHIPS_SHOWN):
    """How many shared tags are folded away as “+N more”."""
    return len(reason_chips(reasons, shown)[1])


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
