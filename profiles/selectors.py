"""Reads for people and the taxonomy. Views call these; they also check who may see what."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404

from accounts.models import Block
from accounts.selectors import blocks_between
from profiles import caches
from profiles.models import (
    Profile,
    ProfileSearch,
    Tag,
    TagAlias,
    TaggedInterest,
    TaggedValue,
    normalise_tag_name,
)

SUGGESTION_LIMIT = 12


def person_name(*, user: Any) -> str:
    """What intch calls a person, with or without a profile (Profile.name says how)."""
    profile: Profile | None = getattr(user, "profile", None)
    return profile.name if profile is not None else str(user.email_name)


def _tag_count(through: type[TaggedInterest] | type[TaggedValue]) -> Subquery:
    return Subquery(
        through.objects.filter(content_object_id=OuterRef("pk"))
        .order_by()
        .annotate(total=Func(F("pk"), function="COUNT"))
        .values("total"),
        output_field=IntegerField(),
    )


def profile_with_tag_counts(*, user: Any) -> Profile | None:
    """The person's profile with `interest_count` and `value_count`, in one query (or None).

    Pages that only need to know whether someone is ready for matching use this instead of
    counting the tags one query at a time.
    """
    return (
        Profile.objects.filter(user=user)
        .annotate(interest_count=_tag_count(TaggedInterest), value_count=_tag_count(TaggedValue))
        .first()
    )


def profile_missing_minimum(*, profile: Profile) -> str:
    """What a profile still lacks for matching, as one friendly sentence, or ''."""
    missing = []
    interests = getattr(profile, "interest_count", None)
    if interests is None:
        interests = profile.interests.count()
    values = getattr(profile, "value_count", None)
    if values is None:
        values = profile.values.count()
    if interests < 3:
        missing.append(f"{3 - interests} more interest{'s' if 3 - interests > 1 else ''}")
    if values < 1:
        missing.append("a value")
    if not profile.goal_bits:
        missing.append("a goal")
    if not missing:
        return ""
    return (
        "Add " + ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "") + missing[-1] + "."
    )


def profile_is_ready(*, profile: Profile) -> bool:
    """True once a person has the minimum for matching and finished onboarding."""
    return profile.onboarded_at is not None and not profile_missing_minimum(profile=profile)


def _visible_profiles(*, viewer: Any) -> QuerySet[Profile]:
    blocked = blocks_between(first=viewer, second=OuterRef("user_id"))
    # People who never finished onboarding have no name yet (their email's would show).
    return (
        Profile.objects.filter(discoverable=True, user__is_active=True, onboarded_at__isnull=False)
        .exclude(Exists(blocked))
        .select_related("user")
    )


def people_found(*, viewer: Any, words: list[str]) -> QuerySet[ProfileSearch]:
    """The search documents of people `viewer` may see (listed, active, not blocked either
    way, not `viewer`) that have every one of `words` (folded, see profiles.search) as a
    word or a word's start, each with `relevance`: higher for a hit in the name than in the
    work, than in the rest. Unordered: the caller adds its own tie-breakers.

    PostgreSQL: full-text search on the GIN-indexed tsvector, ranked by ts_rank with the
    weights of the document's parts. Elsewhere (SQLite): LIKE on the folded text, ranked by
    where each word was found. Either way this table alone is read, with the few inactive
    accounts and blocks left out by id, so a broad search ranks its hits before any join.
    """
    blocked = Block.objects.filter(blocker=viewer).values("blocked_id")
    blocking = Block.objects.filter(blocked=viewer).values("blocker_id")
    inactive = get_user_model().objects.filter(is_active=False).values("pk")
    # NOT IN lists, which PostgreSQL hashes once: a few ids, checked per row in no time.
    documents = ProfileSearch.objects.filter(listed=True).exclude(
        Q(user_id=viewer.pk)
        | Q(user_id__in=blocked)
        | Q(user_id__in=blocking)
        | Q(user_id__in=inactive)
    )
    if connection.vendor == "postgresql":
        # Folded words hold only letters and digits, so the raw query cannot be malformed.
        query = SearchQuery(
            " & ".join(f"{word}:*" for word in words), search_type="raw", config="simple"
        )
        return documents.filter(vector=query).annotate(relevance=SearchRank(F("vector"), query))
    relevance: Any = Value(0.0)
    for word in words:
        needle = " " + word
        documents = documents.filter(
            Q(name_text__contains=needle)
            | Q(work_text__contains=needle)
            | Q(other_text__contains=needle)
        )
        relevance += Case(
            When(name_text__contains=needle, then=Value(1.0)),
            When(work_text__contains=needle, then=Value(0.4)),
            default=Value(0.2),
        )
    return documents.annotate(relevance=ExpressionWrapper(relevance, output_field=FloatField()))


def profile_get_visible(*, viewer: Any, profile_id: int) -> Profile:
    """Another person's profile as `viewer` may see it, or 404 (hidden, blocked or absent)."""
    if (
        viewer.is_authenticated
        and getattr(viewer, "profile", None)
        and viewer.profile.pk == profile_id
    ):
        return Profile.objects.select_related("user").get(pk=profile_id)
    profile = _visible_profiles(viewer=viewer).filter(pk=profile_id).first()
    if profile is None:
        raise Http404("No such person.")
    return profile


def profile_tags(*, profile: Profile, viewer_is_owner: bool) -> dict[str, list[Tag]]:
    """A profile's interests and values; pending proposals only for their owner."""
    statuses = [Tag.Status.APPROVED]
    if viewer_is_owner:
        statuses.append(Tag.Status.PENDING)
    interests = list(profile.interests.filter(status__in=statuses).select_related("category"))
    values = list(profile.values.filter(status__in=statuses).select_related("category"))
    return {"interests": interests, "values": values}


# A tag search ranks at most this many candidates; only the first few are ever shown.
TAG_SEARCH_CANDIDATES = 200


def tag_people_counts() -> dict[int, int]:
    """{tag id: how many visible people (onboarded, active, discoverable) have it}: the
    popularity tag searches rank by and the browse page shows, cached (profiles.tag_counts)."""
    counts = caches.TAG_COUNTS.get()
    if counts is None:
        per_kind = [
            through.objects.filter(
                content_object__discoverable=True,
                content_object__onboarded_at__isnull=False,
                content_object__user__is_active=True,
            )
            .order_by()
            .values("tag_id")
            .annotate(people=Count("pk"))
            .values_list("tag_id", "people")
            for through in (TaggedInterest, TaggedValue)
        ]
        counts = dict(per_kind[0].union(per_kind[1], all=True))
        caches.TAG_COUNTS.set(counts)
    return dict(counts)


def _match_tier(tag: Any, normalized: str) -> int:
    """0 the exact name (or alias), 1 the name starts with it, 2 a word of the name does,
    3 an alias does, 4 it is somewhere in the name or an alias."""
    name = tag.normalized_name
    if tag.is_exact:
        return 0
    if name.startswith(normalized):
        return 1
    if any(word.startswith(normalized) for word in name.split()[1:]):
        return 2
    if tag.alias_prefix:
        return 3
    return 4


def tag_rank(tags: list[Any], *, query: str, counts: dict[int, int]) -> list[Any]:
    """Tags best first for `query`: exact, then prefix matches, then the rest; within each,
    the more people have a tag the higher it comes, then the shorter name. The one ranking
    of every tag search (picker, matches filter, browse)."""
    normalized = normalise_tag_name(query)
    for tag in tags:
        tag.people_count = counts.get(tag.pk, 0)
        tag.match_tier = _match_tier(tag, normalized)
    return sorted(
        tags, key=lambda tag: (tag.match_tier, -tag.people_count, len(tag.name), tag.name)
    )


def _tag_candidates(
    *,
    kind: str | None,
    query: str,
    user: Any,
    exclude_ids: Iterable[int] = (),
    slug: str | None = None,
) -> list[Any]:
    """The tags a search for `query` may show, exact and prefix matches first (one query)."""
    normalized = normalise_tag_name(query)
    if not normalized:
        return []
    visible = Q(status=Tag.Status.APPROVED)
    if user is not None:
        visible |= Q(status=Tag.Status.PENDING, proposed_by=user)
    found = Q(normalized_name__contains=normalized) | Q(
        pk__in=TagAlias.objects.filter(normalized_name__contains=normalized).values("tag_id")
    )
    exact: Any = Q(normalized_name=normalized) | Exists(
        TagAlias.objects.filter(tag_id=OuterRef("pk"), normalized_name=normalized)
    )
    if slug:
        found |= Q(slug=slug)
        exact |= Q(slug=slug)
    tags = Tag.objects.filter(visible).filter(found)
    if kind is not None:
        tags = tags.filter(kind=kind)
    return list(
        tags.exclude(pk__in=list(exclude_ids))
        .annotate(
            is_exact=ExpressionWrapper(exact, output_field=BooleanField()),
            name_prefix=ExpressionWrapper(
                Q(normalized_name__startswith=normalized), output_field=BooleanField()
            ),
            alias_prefix=Exists(
                TagAlias.objects.filter(
                    tag_id=OuterRef("pk"), normalized_name__startswith=normalized
                )
            ),
        )
        .select_related("category")
        # Exact and prefix matches first, so many near names never push them out.
        .order_by("-is_exact", "-name_prefix", "normalized_name")[:TAG_SEARCH_CANDIDATES]
    )


def tag_suggestions(
    *,
    kind: str | None,
    query: str,
    user: Any,
    exclude_ids: Iterable[int] = (),
    limit: int = SUGGESTION_LIMIT,
) -> list[Any]:
    """Approved tags (and `user`'s own pending ones) whose name or alias contains `query`,
    ranked by tag_rank, each with `people_count`. `kind` None: interests and values;
    `user` None: approved only."""
    candidates = _tag_candidates(kind=kind, query=query, user=user, exclude_ids=exclude_ids)
    if not candidates:
        return []
    return tag_rank(candidates, query=query, counts=tag_people_counts())[:limit]


def tag_lookup(
    *, text: str, kind: str | None = None, limit: int = SUGGESTION_LIMIT
) -> tuple[Tag | None, list[Any]]:
    """The approved tag `text` names (by slug, name or alias) and, when there is none, the
    ones it may mean, ranked by tag_rank: (tag or None, suggestions).

    An exact hit costs one query; near names add the (cached) popularity counts.
    """
    text = (text or "").strip()
    candidates = _tag_candidates(kind=kind, query=text, user=None, slug=text)
    if not candidates:
        return None, []
    if candidates[0].is_exact:
        return candidates[0], []
    return None, tag_rank(candidates, query=text, counts=tag_people_counts())[:limit]


def tags_by_category(*, kind: str, counts: dict[int, int] | None = None) -> list[dict[str, Any]]:
    """Approved tags of one kind grouped by category, for browsing and the picker.

    With `counts` (tag_people_counts), each tag has `people_count` and each category's tags
    come most popular first.
    """
    tags = list(
        Tag.objects.filter(kind=kind, status=Tag.Status.APPROVED)
        .select_related("category")
        .order_by("category__position", "category__name", "name")
    )
    if counts is not None:
        for tag in tags:
            tag.people_count = counts.get(tag.pk, 0)
        tags.sort(key=lambda tag: -tag.people_count)  # stable: categories stay in order
        tags.sort(
            key=lambda tag: (
                (tag.category.position, tag.category.name) if tag.category else (1 << 16, "")
            )
        )
    groups: dict[Any, list[Tag]] = {}
    for tag in tags:
        groups.setdefault(tag.category, []).append(tag)
    return [{"category": category, "tags": items} for category, items in groups.items()]


def tag_get_browsable(*, slug: str) -> Tag:
    """An approved tag by slug, or 404. A slug no tag has any more (the tag was renamed, and
    reasons stored earlier still link to it) finds the tag its words name, through the old
    name the rename kept as an alias; the caller then redirects to the tag's own address."""
    tag: Tag | None = (
        Tag.objects.filter(slug=slug, status=Tag.Status.APPROVED).select_related("category").first()
    )
    if tag is None:
        tag, _ = tag_lookup(text=slug, limit=0)
    if tag is None:
        raise Http404("No such tag.")
    return tag


def people_with_tag(*, tag: Tag, viewer: Any) -> QuerySet[Profile]:
    """Discoverable people (visible to viewer) who have `tag`, newest first."""
    relation = "interest_items" if tag.kind == Tag.Kind.INTEREST else "value_items"
    return (
        _visible_profiles(viewer=viewer)
        .filter(**{f"{relation}__tag": tag})
        .exclude(user=viewer)
        .order_by("-created_at", "-pk")
    )


# --- The data export (intch.personal_data; registered in profiles/apps.py) ---------------------


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def profile_export(*, user: Any) -> dict[str, Any] | None:
    """The profile: every field the person filled in, their goals, interests and values."""
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        return None
    return {
        "display_name": profile.display_name,
        "headline": profile.headline,
        "bio": profile.bio,
        "city": profile.city,
        "country": profile.country,
        "current_role": profile.current_role,
        "company": profile.company,
        "industry": profile.industry,
        "linkedin_url": profile.linkedin_url,
        "website_url": profile.website_url,
        "avatar": profile.avatar.url if profile.avatar else None,
        "goals": profile.goals,
        "open_to_meet": profile.open_to_meet,
        "discoverable": profile.discoverable,
        "email_notifications": profile.email_notifications,
        "onboarded_at": _when(profile.onboarded_at),
        "created_at": _when(profile.created_at),
        "updated_at": _when(profile.updated_at),
        "interests": [{"name": tag.name, "status": tag.status} for tag in profile.interests.all()],
        "values": [{"name": tag.name, "status": tag.status} for tag in profile.values.all()],
    }


def blocks_made_by(*, user: Any) -> QuerySet[Block]:
    """The people `user` blocked, with their profiles, for the settings page."""
    return Block.objects.filter(blocker=user).select_related("blocked__profile")


def blocks_export(*, user: Any) -> list[dict[str, Any]]:
    """The people this person blocked (who blocked them is the other people's business)."""
    return [
        {
            "profile_id": getattr(getattr(block.blocked, "profile", None), "pk", None),
            "since": _when(block.created_at),
        }
        for block in Block.objects.filter(blocker=user)
        .select_related("blocked__profile")
        .order_by("created_at", "pk")
    ]


def tag_proposals_export(*, user: Any) -> list[dict[str, Any]]:
    """Interests and values this person proposed, with where each stands."""
    return [
        {
            "name": tag.name,
            "kind": tag.kind,
            "status": tag.status,
            "proposed_at": _when(tag.created_at),
        }
        for tag in Tag.objects.filter(proposed_by=user).order_by("created_at", "pk")
    ]
