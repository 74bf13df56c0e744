"""Writes for a person's profile: their fields, interests and values, onboarding."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from intch import events
from intch.inputs import clean_line
from profiles.goals import goals_to_bits
from profiles.models import TAG_NAME_MAX_LENGTH, Profile, Tag, TagAlias, normalise_tag_name
from profiles.selectors import profile_missing_minimum

INTEREST_LIMITS = (3, 30)
VALUE_LIMITS = (1, 10)
PROFILE_FIELDS = (
    "display_name",
    "headline",
    "bio",
    "city",
    "country",
    "current_role",
    "company",
    "industry",
    "linkedin_url",
    "website_url",
    "open_to_meet",
    "discoverable",
    "email_notifications",
)
# What people search finds a person by (besides their approved interests and values), and
# whether it may find them at all.
SEARCH_FIELDS = {
    "discoverable",
    "onboarded_at",
    "display_name",
    "headline",
    "current_role",
    "company",
    "industry",
    "city",
    "country",
}


def profile_ensure(*, user: User) -> Profile:
    """Return the user's profile, creating an empty one the first time."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def profile_update(*, profile: Profile, data: dict[str, Any]) -> Profile:
    """Update profile fields from `data` (only known fields), validate and save."""
    # Compare with what is stored: a ModelForm may already have set the new values.
    stored = (
        Profile.objects.filter(pk=profile.pk).values(*PROFILE_FIELDS, "goal_bits").first() or {}
    )
    changed: set[str] = set()
    for field in PROFILE_FIELDS:
        if field in data and (stored.get(field) != data[field] or not stored):
            setattr(profile, field, data[field])
            changed.add(field)
    if "goals" in data:
        goal_bits = goals_to_bits(data["goals"])
        if goal_bits != stored.get("goal_bits"):
            profile.goal_bits = goal_bits
            changed.add("goal_bits")
    if not changed:
        return profile
    profile.full_clean(exclude=["avatar"])
    with transaction.atomic():
        profile.save()
        profile_changed(profile, fields=changed)
    return profile


def profile_changed_by_staff(*, profile: Profile, fields: Iterable[str]) -> None:
    """Staff edited these fields of a profile in the admin (it is saved): tell the apps."""
    profile_changed(profile, fields=fields)


def profile_changed(profile: Profile, *, fields: Iterable[str]) -> None:
    """Tell the apps which of the profile's fields changed (intch.events.ProfileChanged)."""
    events.emit(
        events.ProfileChanged(
            user_id=profile.user_id, profile_id=profile.pk, fields=frozenset(fields)
        )
    )


def tag_resolve(*, name: str, kind: str) -> Tag | None:
    """The canonical tag for a typed name (through aliases), or None if unknown."""
    normalized = normalise_tag_name(name)
    if not normalized:
        return None
    tag: Tag | None = Tag.objects.filter(normalized_name=normalized).first()
    if tag is None:
        alias = TagAlias.objects.select_related("tag").filter(normalized_name=normalized).first()
        tag = alias.tag if alias else None
    if tag is not None and tag.kind != kind:
        return None
    return tag


def tag_propose(*, name: str, kind: str, user: User) -> Tag:
    """A person proposes a tag the taxonomy lacks: it is pending until an admin approves it."""
    name = clean_line(name)
    if not name:
        raise ValidationError("Type a name for the new tag.")
    if len(name) > TAG_NAME_MAX_LENGTH:
        raise ValidationError(
            f"Tag names can be at most {TAG_NAME_MAX_LENGTH} characters (this one has {len(name)})."
        )
    normalized = normalise_tag_name(name)
    existing: Tag | None = Tag.objects.filter(normalized_name=normalized).first()
    if existing is None:
        alias = TagAlias.objects.select_related("tag").filter(normalized_name=normalized).first()
        existing = alias.tag if alias else None
    if existing is not None:
        if existing.kind != kind:
            raise ValidationError(f"“{existing.name}” already exists as a {existing.kind}.")
        if existing.status == Tag.Status.REJECTED:
            raise ValidationError(f"“{existing.name}” was reviewed and is not in the taxonomy.")
        return existing
    tag = Tag(name=name, kind=kind, status=Tag.Status.PENDING, proposed_by=user)
    tag.slug = _unique_slug(name)
    tag.save()
    return tag


def _unique_slug(name: str) -> str:
    base = slugify(name)[:90] or "tag"
    slug, suffix = base, 1
    while Tag.objects.filter(slug=slug).exists():
        suffix += 1
        slug = f"{base}-{suffix}"
    return slug


def _check_count(tags: list[Tag], *, label: str, limits: tuple[int, int]) -> None:
    low, high = limits
    if len(tags) < low:
        raise ValidationError(f"Choose at least {low} {label} (you have {len(tags)}).")
    if len(tags) > high:
        raise ValidationError(f"Choose at most {high} {label} (you have {len(tags)}).")


def profile_tags_set(
    *, profile: Profile, interests: Iterable[Tag] | None = None, values: Iterable[Tag] | None = None
) -> Profile:
    """Replace a person's interests and/or values with the given tags, within the limits.

    Tags must be approved, or pending ones the person proposed themselves.
    """
    changed: set[str] = set()
    with transaction.atomic():
        if interests is not None:
            usable = _usable_tags(interests, kind=Tag.Kind.INTEREST, user=profile.user)
            _check_count(usable, label="interests", limits=INTEREST_LIMITS)
            profile.interests.set(usable)
            changed.add("interests")
        if values is not None:
            usable = _usable_tags(values, kind=Tag.Kind.VALUE, user=profile.user)
            _check_count(usable, label="values", limits=VALUE_LIMITS)
            profile.values.set(usable)
            changed.add("values")
        profile_changed(profile, fields=changed)
    return profile


def _usable_tags(tags: Iterable[Tag], *, kind: str, user: User) -> list[Tag]:
    seen: set[int] = set()
    usable: list[Tag] = []
    for tag in tags:
        if tag.pk in seen:
            continue
        if tag.kind != kind:
            raise ValidationError(
                f"“{tag.name}” is not {'an interest' if kind == 'interest' else 'a value'}."
            )
        if not (
            tag.is_approved or (tag.status == Tag.Status.PENDING and tag.proposed_by_id == user.pk)
        ):
            raise ValidationError(f"“{tag.name}” is not available.")
        seen.add(tag.pk)
        usable.append(tag)
    return usable


def profile_onboarding_complete(*, profile: Profile) -> Profile:
    """Mark onboarding done once the minimum (3 interests, 1 value, 1 goal) is met."""
    missing = profile_missing_minimum(profile=profile)
    if missing:
        raise ValidationError(missing)
    if profile.onboarded_at is None:
        with transaction.atomic():
            profile.onboarded_at = timezone.now()
            profile.save(update_fields=["onboarded_at", "updated_at"])
            # Only onboarded people are matched and found: a recompute that ran before this
            # (tasks run at once in the embedded default) left the newcomer without a list.
            profile_changed(profile, fields={"onboarded_at"})
    return profile


def tag_proposals_forget(*, user: User) -> None:
    """A leaving person's proposals that never made it into the taxonomy go with them.

    Approved ones stay in the taxonomy (without their name: the foreign key is SET_NULL).
    """
    Tag.objects.filter(proposed_by=user).exclude(status=Tag.Status.APPROVED).delete()
