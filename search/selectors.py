"""Reads for people search: who matches a query, best first."""

from typing import Any

from django.core.paginator import Page
from django.db.models import Case, F, IntegerField, OuterRef, Subquery, When

from intch.pagination import capped_page
from matching.models import Match
from messaging.selectors import contact_state
from profiles.models import Profile
from profiles.search import query_words
from profiles.selectors import people_found

PAGE_SIZE = 20
# Nobody reads past this many results; a narrower search is the better way to get there.
MAX_RESULTS = 1000


def people_search(
    *, viewer: Any, query: str, number: int = 1, size: int = PAGE_SIZE
) -> Page[Any] | None:
    """People `viewer` may see whose name, headline, company, place, interests or values
    match every word of `query`, most relevant first, then best match (their score in
    viewer's suggestions), as a Page of profiles (counted up to MAX_RESULTS: its paginator's
    `more` says there are more); None when the query has no word to look for. Three
    queries: the count, the ranked page of search documents, then its people.

    Each person carries `match_score` (or None) and `contact` (messaging's CONTACT_* code).
    Hidden, blocked (either way), suspended and not-onboarded people are left out.
    """
    words = query_words(query)
    if not words:
        return None
    suggested = Match.objects.filter(user=viewer).values("candidate_id")
    score = Match.objects.filter(user=viewer, candidate=OuterRef("user_id")).order_by()
    documents = (
        people_found(viewer=viewer, words=words)
        .annotate(
            # Looked up only for people in viewer's list (an IN on a hashed list of at most
            # MATCHING_K), not for each of the thousands a broad search may find.
            match_score=Case(
                When(user_id__in=suggested, then=Subquery(score.values("score")[:1])),
                output_field=IntegerField(),
            )
        )
        .only("pk")
        .order_by(F("relevance").desc(), F("match_score").desc(nulls_last=True), "name_text", "pk")
    )
    page = capped_page(documents, number=number, size=size, cap=MAX_RESULTS)
    people = (
        Profile.objects.filter(pk__in=[document.pk for document in page.object_list])
        .select_related("user")
        .defer("bio", "user__password")
        .annotate(contact=contact_state(user=viewer, other=OuterRef("user_id")))
        .in_bulk()
    )
    ranked = []
    for document in page.object_list:
        person = people.get(document.pk)
        if person is not None:  # gone between the two queries
            # What the page shows beside each person (the template reads them).
            person.match_score = document.match_score  # type: ignore[attr-defined]
            person.relevance = document.relevance  # type: ignore[attr-defined]
            ranked.append(person)
    page.object_list = ranked
    return page
