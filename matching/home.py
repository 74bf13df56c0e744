"""Matching's sections of the member's home page: new matches, and the people they saved."""

from django.db.models import Count, Window
from django.urls import reverse

from intch.home_sections import ASIDE, home_section
from matching import selectors

MATCHES_SHOWN = 4
SAVED_SHOWN = 5


def _counted(queryset, limit):
    """The first `limit` rows and the total, in one query (a window count)."""
    rows = list(queryset.annotate(total=Window(Count("pk")))[:limit])
    return rows, (rows[0].total if rows else 0)


@home_section(key="matches", title="New matches", template="matching/home/_matches.html", order=30)
def new_matches(*, user):
    """People suggested since the person's last visit to their matches (best first).

    "New" means what the matches page marks New: people who joined since the previous visit.
    Before a first visit every match is new, so the best ones show.
    """
    state = selectors.match_state_for(user=user)
    matches_url = reverse("matching:list")
    if state is None or state.computed_at is None:
        return {
            "matches": [],
            "empty": True,
            "computing": state is not None and state.is_pending,
            "title": "Your matches",
            "link_url": matches_url,
            "link_label": "Matches",
        }
    new_since = selectors.match_new_since(state=state)
    matches = selectors.matches_for(user=user, new_since=new_since)
    if new_since is None:
        rows, total = _counted(matches, MATCHES_SHOWN)
        return {
            "matches": rows,
            "empty": not rows,
            "total": total,
            "title": "Your best matches",
            "link_url": matches_url,
            "link_label": f"See all {total}" if total > len(rows) else "Matches",
        }
    rows, total = _counted(matches.filter(is_new=True), MATCHES_SHOWN)
    return {
        "matches": rows,
        "empty": not rows,
        "total": total,
        "since": new_since,
        "title": (
            f"{total} new match{'' if total == 1 else 'es'} since your last visit"
            if total
            else "New matches"
        ),
        "link_url": f"{matches_url}?sort={selectors.SORT_NEWEST}" if total else matches_url,
        "link_label": f"See all {total} new" if total > len(rows) else "All matches",
    }


@home_section(
    key="saved",
    title="Saved people",
    template="matching/home/_saved.html",
    order=20,
    column=ASIDE,
)
def saved_people(*, user):
    """The people the person saved, last saved first."""
    rows, total = _counted(selectors.saved_for(user=user), SAVED_SHOWN)
    return {
        "saved": rows,
        "empty": not rows,
        "total": total,
        "title": f"Saved people ({total})" if total else "Saved people",
        "link_url": reverse("matching:saved"),
        "link_label": f"See all {total}" if total > len(rows) else "Saved",
    }
