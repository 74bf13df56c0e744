"""Reads for matches: the suggestions page, the Saved list and the profile page's reasons."""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.core.paginator import Page
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

from accounts.models import Block
from accounts.selectors import blocks_between
from intch.pagination import counted_page
from matching import caches
from matching.engine import complementary_goals
from matching.models import Match, MatchState, Pass, Saved
from messaging.models import Conversation
from messaging.selectors import contact_state, talking
from profiles.goals import GOALS
from profiles.models import Profile, Tag, TaggedInterest, TaggedValue
from profiles.selectors import tag_lookup, tag_suggestions

M = TypeVar("M", Match, Saved)

SORT_BEST = "best"
SORT_NEWEST = "newest"
# People you already talk to (an accepted conversation) are left out unless asked for.
CONTACTS_HIDE = ""
CONTACTS_INCLUDE = "include"
CONTACTS_ONLY = "only"

TAG_SUGGESTION_LIMIT = 8
MAX_PAGE = 10_000


@dataclass(frozen=True)
class MatchFilters:
    """What the person narrowed their suggestions to; every part is optional."""

    goal: str = ""  # a code from profiles.goals.GOALS: they want this
    tag: Tag | None = None  # they have this interest or value
    place: str = ""  # their city or their country
    min_score: int | None = None
    sort: str = SORT_BEST
    contacts: str = CONTACTS_HIDE  # CONTACTS_INCLUDE or CONTACTS_ONLY bring them back

    @property
    def active(self) -> bool:
        return bool(self.goal or self.tag or self.place or self.min_score or self.contacts)


def match_for_pair(*, user: Any, other: Any) -> Match | None:
    """The stored match suggesting `other` to `user`, or None."""
    return Match.objects.filter(user=user, candidate=other).first()


def profile_page_match(*, viewer: Any, profile: Any) -> dict[str, Match | None]:
    """What another person's profile page needs from matching: the viewer's match with them
    (registered with profiles.hooks)."""
    return {"match": match_for_pair(user=viewer, other=profile.user)}


def _visible_candidates(queryset: QuerySet[M], *, user: Any, field: str) -> QuerySet[M]:
    """Drop people who left, hid themselves or are blocked either way since the last recompute."""
    return queryset.filter(
        **{f"{field}__is_active": True, f"{field}__profile__discoverable": True}
    ).exclude(Exists(blocks_between(first=user, second=OuterRef(f"{field}_id"))))


def _with_flags(
    queryset: QuerySet[Match], *, user: Any, new_since: datetime | None
) -> QuerySet[Any]:
    saved = Saved.objects.filter(user=user, saved=OuterRef("candidate_id"))
    is_new: Any
    if new_since is None:
        is_new = Value(False, output_field=BooleanField())
    else:
        is_new = ExpressionWrapper(
            Q(candidate__profile__onboarded_at__gt=new_since), output_field=BooleanField()
        )
    return queryset.annotate(
        is_saved=Exists(saved),
        is_new=is_new,
        contact=contact_state(user=user, other=OuterRef("candidate_id")),
    )


def _tag_filter(tag: Tag) -> Exists:
    through = TaggedValue if tag.kind == Tag.Kind.VALUE else TaggedInterest
    return Exists(
        through.objects.filter(content_object_id=OuterRef("candidate__profile__id"), tag_id=tag.pk)
    )


def matches_for(
    *, user: Any, filters: MatchFilters | None = None, new_since: datetime | None = None
) -> QuerySet[Any]:
    """`user`'s suggestions, filtered and sorted, as one lazy query (cards need nothing more).

    Each match carries `is_saved`, `is_new` (the person joined after `new_since`) and
    `contact` (messaging's CONTACT_* code: a request on its way, talking, declined).
    Passed, hidden, departed and blocked people are left out, and so are people `user`
    already talks to unless the filters ask for them.
    """
    filters = filters or MatchFilters()
    matches = Match.objects.filter(user=user).exclude(
        Exists(Pass.objects.filter(user=user, passed=OuterRef("candidate_id")))
    )
    matches = _visible_candidates(matches, user=user, field="candidate")
    if filters.goal in GOALS:
        bit = 1 << GOALS.index(filters.goal)
        matches = matches.annotate(goal_hit=F("candidate__profile__goal_bits").bitand(bit)).filter(
            goal_hit__gt=0
        )
    if filters.tag is not None:
        matches = matches.filter(_tag_filter(filters.tag))
    if filters.place:
        matches = matches.filter(
            Q(candidate__profile__city__iexact=filters.place)
            | Q(candidate__profile__country__iexact=filters.place)
        )
    if filters.min_score:
        matches = matches.filter(score__gte=filters.min_score)
    if filters.contacts == CONTACTS_ONLY:
        matches = matches.filter(talking(user=user, other=OuterRef("candidate_id")))
    elif filters.contacts != CONTACTS_INCLUDE:
        matches = matches.exclude(talking(user=user, other=OuterRef("candidate_id")))
    ordering: tuple[str, ...] = ("rank",)
    if filters.sort == SORT_NEWEST:
        ordering = ("-candidate__profile__onboarded_at", "rank")
    return (
        _with_flags(matches, user=user, new_since=new_since)
        .select_related("candidate__profile")
        .defer("candidate__password", "candidate__profile__bio")
        .order_by(*ordering)
    )


def match_page(
    *,
    user: Any,
    filters: MatchFilters | None = None,
    new_since: datetime | None = None,
    number: int = 1,
    size: int = 20,
) -> Page[Any]:
    """One page of `matches_for`, counted in the same query (a window count), as a Page.

    A page past the end gives the last page (one more query, only then).
    """
    matches = matches_for(user=user, filters=filters, new_since=new_since)
    return counted_page(matches, number=number, size=size, max_page=MAX_PAGE)


def match_card_for(*, user: Any, candidate: Any) -> Any:
    """One suggestion as its card shows it (passed or not, so Undo can restore it), or None."""
    matches = Match.objects.filter(user=user, candidate=candidate)
    return (
        _with_flags(matches, user=user, new_since=None).select_related("candidate__profile").first()
    )


def match_places_for(*, user: Any, state: MatchState | None = None) -> list[str]:
    """The cities and countries of `user`'s suggestions, for the place filter's choices.

    Only hints for a text box, so they are cached for a few minutes per computed list.
    """
    computed_at = state.computed_at.isoformat() if state and state.computed_at else ""
    places: list[str] | None = caches.PLACES.get(user_id=user.pk, computed_at=computed_at)
    if places is None:
        places = _match_places(user)
        caches.PLACES.set(places, user_id=user.pk, computed_at=computed_at)
    return places


def _match_places(user: Any) -> list[str]:
    places: set[str] = set()
    for city, country in (
        Match.objects.filter(user=user)
        .order_by()
        .values_list("candidate__profile__city", "candidate__profile__country")
        .distinct()
    ):
        places.update(part for part in (city, country) if part)
    return sorted(places, key=str.casefold)


def saved_for(*, user: Any) -> QuerySet[Any]:
    """The people `user` saved, last saved first (departed, hidden and blocked left out),
    each with `contact` (messaging's CONTACT_* code)."""
    saved = Saved.objects.filter(user=user)
    return (
        _visible_candidates(saved, user=user, field="saved")
        .annotate(contact=contact_state(user=user, other=OuterRef("saved_id")))
        .select_related("saved__profile")
        .defer("saved__password", "saved__profile__bio")
        .order_by("-created_at", "-pk")
    )


def matches_by_candidate(*, user: Any, candidate_ids: Iterable[int]) -> dict[int, Match]:
    """`user`'s stored matches with the given people, by candidate id (one query)."""
    return {
        match.candidate_id: match
        for match in Match.objects.filter(user=user, candidate_id__in=list(candidate_ids))
    }


def pass_get(*, user: Any, profile_id: int) -> Profile | None:
    """The profile `user` passed on, if that pass still stands (for the Undo notice), or None."""
    passed = (
        Pass.objects.filter(user=user, passed__profile__id=profile_id)
        .select_related("passed__profile")
        .first()
    )
    return passed.passed.profile if passed else None


def filter_tag_lookup(
    *, text: str, limit: int = TAG_SUGGESTION_LIMIT
) -> tuple[Tag | None, list[Any]]:
    """The approved tag a filter names (by slug, name or alias) and, when there is none, the
    tags it may mean, best first: (tag or None, suggestions). See profiles' tag_lookup."""
    return tag_lookup(text=text, limit=limit)


def filter_tag_suggestions(*, query: str, limit: int = TAG_SUGGESTION_LIMIT) -> list[Any]:
    """Approved interests and values whose name or alias contains `query`, best first."""
    return tag_suggestions(kind=None, query=query, user=None, limit=limit)


def match_page_generation(*, user: Any) -> str:
    """The token under which `user`'s matches pages are cached now (matching/caches.py: a
    write that changes what someone's page shows drops their token)."""
    token: str | None = caches.PAGE_GENERATION.get(user_id=user.pk)
    if token is None:
        token = secrets.token_hex(8)
        if not caches.PAGE_GENERATION.add(token, user_id=user.pk):
            token = caches.PAGE_GENERATION.get(user_id=user.pk) or token
    return token


# Page views closer together than this are one visit: "New" keeps meaning "since the visit
# before", so opening page 2 does not clear the badges of page 1.
VISIT_GAP = timedelta(minutes=30)


def match_new_since(*, state: MatchState, now: datetime | None = None) -> datetime | None:
    """The "New" cutoff for a view now: the end of the previous visit."""
    now = now or timezone.now()
    if state.last_seen_at is not None and now - state.last_seen_at > VISIT_GAP:
        return state.last_seen_at
    return state.new_since


def match_state_for(*, user: Any) -> MatchState | None:
    """When the person's list was computed and whether a recompute is pending (or None)."""
    return MatchState.objects.filter(user=user).first()


def _profile_id(user: Any) -> int | None:
    return getattr(getattr(user, "profile", None), "pk", None)


def matches_export(*, user: Any) -> list[dict[str, Any]]:
    """A person's current suggestions, for their data export."""
    return [
        {
            "profile_id": _profile_id(match.candidate),
            "score": match.score,
            "reasons": match.reasons,
            "computed_at": match.computed_at.isoformat(),
        }
        for match in Match.objects.filter(user=user).select_related("candidate__profile")
    ]


def match_state_export(*, user: Any) -> dict[str, str | None] | None:
    """When the person's suggestions were computed and when they last looked at them."""
    state = MatchState.objects.filter(user=user).first()
    if state is None:
        return None
    return {
        field: moment.isoformat() if moment else None
        for field, moment in (
            ("computed_at", state.computed_at),
            ("requested_at", state.requested_at),
            ("last_seen_at", state.last_seen_at),
        )
    }


def _people_export(rows: QuerySet[Any], *, person: str, moment: str) -> list[dict[str, Any]]:
    return [
        {"profile_id": _profile_id(getattr(row, person)), moment: row.created_at.isoformat()}
        for row in rows.select_related(f"{person}__profile").order_by("created_at", "pk")
    ]


def saved_export(*, user: Any) -> list[dict[str, Any]]:
    """The people the person saved, for their data export."""
    return _people_export(Saved.objects.filter(user=user), person="saved", moment="saved_at")


def passes_export(*, user: Any) -> list[dict[str, Any]]:
    """The people the person passed on, for their data export."""
    return _people_export(Pass.objects.filter(user=user), person="passed", moment="passed_at")


def saved_exists(*, user: Any, other: Any) -> bool:
    return Saved.objects.filter(user=user, saved=other).exists()


@dataclass(frozen=True)
class LoggedOutcomes:
    """What people did with suggestions, as user-id pairs (for the offline evaluation)."""

    intros: list[
        tuple[int, int, str]
    ]  # (initiator id, recipient id, status) of every conversation request
    passes: list[tuple[int, int]]  # (user id, passed id)
    saves: list[tuple[int, int]]  # (user id, saved id)
    blocks: list[tuple[int, int]]  # (blocker id, blocked id)


def logged_outcomes() -> LoggedOutcomes:
    """Every intro with its answer, every pass, save and block, as id pairs (four queries)."""
    return LoggedOutcomes(
        intros=list(Conversation.objects.values_list("initiator_id", "recipient_id", "status")),
        passes=list(Pass.objects.values_list("user_id", "passed_id")),
        saves=list(Saved.objects.values_list("user_id", "saved_id")),
        blocks=list(Block.objects.values_list("blocker_id", "blocked_id")),
    )


# --- Reasons a request carries (registered with messaging.hooks in MatchingConfig.ready) ---


def _reasons_of(match: Match, *, turned_around: bool) -> dict[str, Any]:
    """A match's score and reasons; turned around, as the other person of the pair sees them."""
    reasons = match.reasons or {}
    goals = [list(pair) for pair in reasons.get("goals", []) if len(pair) == 2]
    return {
        "score": match.score,
        "interests": list(reasons.get("interests", [])),
        "values": list(reasons.get("values", [])),
        "goals": [pair[::-1] for pair in goals] if turned_around else goals,
    }


def _reasons_from_profiles(*, sender: Any, recipient: Any) -> dict[str, Any] | None:
    """What two profiles share now, rarest tags first, when neither has the other as a match.

    No score: scores rank a person's whole list and are only computed with it.
    """
    profiles = {
        profile.user_id: profile
        for profile in Profile.objects.filter(user_id__in=(sender.pk, recipient.pk)).only(
            "pk", "user_id", "goal_bits"
        )
    }
    if len(profiles) < 2:
        return None
    mine, theirs = profiles[sender.pk], profiles[recipient.pk]
    shared = set.intersection(
        *(
            set(TaggedInterest.objects.filter(content_object=p).values_list("tag_id", flat=True))
            | set(TaggedValue.objects.filter(content_object=p).values_list("tag_id", flat=True))
            for p in (mine, theirs)
        )
    )
    tags = (
        Tag.objects.filter(pk__in=shared, status=Tag.Status.APPROVED)
        .annotate(
            holders=Count("interest_items", distinct=True) + Count("value_items", distinct=True)
        )
        .order_by("holders", "name")
    )
    reasons: dict[str, Any] = {"score": None, "interests": [], "values": [], "goals": []}
    for tag in tags:
        kind = "values" if tag.kind == Tag.Kind.VALUE else "interests"
        reasons[kind].append({"name": tag.name, "slug": tag.slug})
    reasons["goals"] = [
        list(pair) for pair in complementary_goals(mine.goal_bits, theirs.goal_bits)
    ]
    if not (reasons["interests"] or reasons["values"] or reasons["goals"]):
        return None
    return reasons


def request_reasons(*, sender: Any, recipient: Any) -> dict[str, Any] | None:
    """Why `sender` wrote to `recipient`, as the sender saw it, for the request to carry.

    The sender's own match when there is one (what their card showed), else the recipient's
    match turned around (scores are symmetric), else what their profiles share.
    """
    matches = {
        match.user_id: match
        for match in Match.objects.filter(
            Q(user=sender, candidate=recipient) | Q(user=recipient, candidate=sender)
        )
    }
    if sender.pk in matches:
        return _reasons_of(matches[sender.pk], turned_around=False)
    if recipient.pk in matches:
        return _reasons_of(matches[recipient.pk], turned_around=True)
    return _reasons_from_profiles(sender=sender, recipient=recipient)
