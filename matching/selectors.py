"""Reads for matches."""

from matching.models import Match, MatchRun, MatchState


def match_for_pair(*, user, other):
    """The stored match suggesting `other` to `user`, or None."""
    return Match.objects.filter(user=user, candidate=other).first()


def match_list_for(*, user):
    """A person's stored list, best first, with the people it names (one query)."""
    return list(
        Match.objects.filter(user=user).select_related("candidate__profile").order_by("rank")
    )


def match_state_for(*, user):
    """When the person's list was computed and whether a recompute is pending (or None)."""
    return MatchState.objects.filter(user=user).first()


def match_run_latest():
    return MatchRun.objects.first()


def matches_export(*, user):
    """A person's current suggestions, for their data export."""
    return [
        {
            "profile_id": getattr(getattr(match.candidate, "profile", None), "pk", None),
            "score": match.score,
            "reasons": match.reasons,
            "computed_at": match.computed_at.isoformat(),
        }
        for match in Match.objects.filter(user=user).select_related("candidate__profile")
    ]
