"""Reads for people search: who matches a query, best first."""

from django.db.models import F, OuterRef, Subquery

from intch.pagination import counted_page
from matching.models import Match
from messaging.selectors import contact_state
from profiles.search import query_words
from profiles.selectors import people_found

PAGE_SIZE = 20
# Nobody reads past this many results; a narrower search is the better way to get there.
MAX_PAGE = 50


def people_search(*, viewer, query, number=1, size=PAGE_SIZE):
    """People `viewer` may see whose name, headline, company, place, interests or values
    match every word of `query`, most relevant first, then best match (their score in
    viewer's suggestions), as a counted Page; None when the query has no word to look for.

    Each person carries `match_score` (or None) and `contact` (messaging's CONTACT_* code).
    Hidden, blocked (either way), suspended and not-onboarded people are left out.
    """
    words = query_words(query)
    if not words:
        return None
    score = Match.objects.filter(user=viewer, candidate=OuterRef("user_id")).values("score")[:1]
    people = (
        people_found(viewer=viewer, words=words)
        .annotate(
            match_score=Subquery(score),
            contact=contact_state(user=viewer, other=OuterRef("user_id")),
        )
        .defer("bio", "user__password")
        .order_by(
            F("relevance").desc(), F("match_score").desc(nulls_last=True), "display_name", "pk"
        )
    )
    return counted_page(people, number=number, size=size, max_page=MAX_PAGE)
