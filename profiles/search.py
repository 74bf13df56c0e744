"""People search text: what a person's search document holds and how a query is read.

Pure functions, no ORM. The document and the query are folded the same way (case, accents,
punctuation), so "José" finds "jose" and "data-science" finds "data science".
"""

import re
import unicodedata

QUERY_MAX_LENGTH = 100
QUERY_MAX_WORDS = 8
WORD_MIN_LENGTH = 2
WORD_MAX_LENGTH = 40

_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lower case, no accents, words of letters and digits separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_NOT_WORD.sub(" ", plain.casefold()).split())


def document(
    *,
    name: str,
    headline: str,
    current_role: str,
    company: str,
    industry: str,
    city: str,
    country: str,
    tags: list[str],
) -> dict[str, str]:
    """The three weighted parts of a person's search document, folded.

    Each part with words starts with a space, so a word prefix is " word" anywhere in it (the
    SQLite fallback searches with LIKE; PostgreSQL builds a tsvector from the same text); a
    part without words is empty.
    """
    work = (headline, current_role, company)
    other = (industry, city, country, *tags)
    return {
        "name_text": _part(name),
        "work_text": _part(" ".join(part for part in work if part)),
        "other_text": _part(" ".join(part for part in other if part)),
    }


def _part(text: str) -> str:
    folded = fold(text)
    return " " + folded if folded else ""


def query_words(query: str) -> list[str]:
    """The words a search looks for: folded, at least 2 characters (a single letter would
    match nearly everyone), at most 8, each cut to 40."""
    words = fold((query or "")[:QUERY_MAX_LENGTH]).split()
    kept = [word[:WORD_MAX_LENGTH] for word in words if len(word) >= WORD_MIN_LENGTH]
    return list(dict.fromkeys(kept))[:QUERY_MAX_WORDS]
