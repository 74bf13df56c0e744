"""Writes for people and the taxonomy. Views and tasks call these; they own transactions."""

import io
import json
import logging
from pathlib import Path

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageOps, UnidentifiedImageError

from intch import events
from intch.inputs import clean_line
from profiles import search
from profiles.goals import goals_to_bits
from profiles.models import (
    TAG_NAME_MAX_LENGTH,
    Category,
    Profile,
    ProfileSearch,
    Tag,
    TagAlias,
    TaggedInterest,
    TaggedValue,
    normalise_tag_name,
)
from profiles.selectors import profile_missing_minimum
from profiles.taxonomy_io import parse_taxonomy_file

logger = logging.getLogger(__name__)

INTEREST_LIMITS = (3, 30)
VALUE_LIMITS = (1, 10)
AVATAR_MAX_BYTES = 5 * 1024 * 1024
AVATAR_MAX_PIXELS = 40_000_000
AVATAR_SIZE = 256
# A chosen square smaller than this (in the picture's pixels) would be a blur at AVATAR_SIZE.
AVATAR_CROP_MIN = 64
AVATAR_FORMATS = {"JPEG", "PNG", "WEBP"}

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
SEARCH_REFRESH_BATCH = 2000


def profile_ensure(*, user):
    """Return the user's profile, creating an empty one the first time."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def profile_update(*, profile, data):
    """Update profile fields from `data` (only known fields), validate and save."""
    # Compare with what is stored: a ModelForm may already have set the new values.
    stored = (
        Profile.objects.filter(pk=profile.pk).values(*PROFILE_FIELDS, "goal_bits").first() or {}
    )
    changed = set()
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
        _profile_changed(profile, fields=changed)
    return profile


def profile_changed_by_staff(*, profile, fields):
    """Staff edited these fields of a profile in the admin (it is saved): tell the apps."""
    _profile_changed(profile, fields=fields)


def _profile_changed(profile, *, fields):
    events.emit(
        events.ProfileChanged(
            user_id=profile.user_id, profile_id=profile.pk, fields=frozenset(fields)
        )
    )


def avatar_process(*, uploaded, crop=None):
    """Re-encode an uploaded image as a square WebP thumbnail with no metadata.

    `crop` (x, y, size) is the square the person chose, in pixels of the picture as it is
    shown (turned upright by its EXIF orientation); without it, the middle square is used.
    Raises ValidationError for anything that is not a real JPEG, PNG or WebP image, for files
    over 5 MB, for decompression bombs, and for a square that does not fit the picture.
    """
    if uploaded.size > AVATAR_MAX_BYTES:
        raise ValidationError("The picture is larger than 5 MB. Please choose a smaller one.")
    refused = ValidationError("Upload a JPEG, PNG or WebP picture. This file is not one of them.")
    try:
        uploaded.seek(0)
        with Image.open(uploaded) as probe:
            if probe.format not in AVATAR_FORMATS:
                raise refused
            width, height = probe.size
            if width * height > AVATAR_MAX_PIXELS:
                raise ValidationError(
                    "The picture has too many pixels. Please choose a smaller one."
                )
            probe.verify()
        uploaded.seek(0)
        with Image.open(uploaded) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            if crop is None:
                thumbnail = ImageOps.fit(
                    image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS
                )
            else:
                x, y, size = _checked_crop(crop, image.size)
                thumbnail = image.resize(
                    (AVATAR_SIZE, AVATAR_SIZE),
                    Image.Resampling.LANCZOS,
                    box=(x, y, x + size, y + size),
                )
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused from None
    output = io.BytesIO()
    # A fresh image carries no EXIF or GPS data.
    clean = Image.new(thumbnail.mode, thumbnail.size)
    clean.paste(thumbnail)
    clean.save(output, format="WEBP", quality=85)
    return ContentFile(output.getvalue(), name="avatar.webp")


def _checked_crop(crop, image_size):
    """The chosen square as whole pixels, or a ValidationError saying why it cannot be used."""
    width, height = image_size
    try:
        x, y, size = (int(value) for value in crop)
    except (TypeError, ValueError):
        raise ValidationError("Choose the square of your picture again.") from None
    smallest = min(AVATAR_CROP_MIN, width, height)
    if size < smallest:
        raise ValidationError(
            f"The square is too small: choose at least {smallest} pixels of the picture."
        )
    if x < 0 or y < 0 or x + size > width or y + size > height:
        raise ValidationError(
            f"The square you chose does not fit in the picture ({width} × {height} pixels). "
            "Choose it again."
        )
    return x, y, size


def profile_avatar_set(*, profile, uploaded, crop=None):
    """Validate, re-encode (cropped to `crop`, or the middle) and store a new avatar."""
    return profile_avatar_store(
        profile=profile, content=avatar_process(uploaded=uploaded, crop=crop)
    )


def profile_avatar_store(*, profile, content):
    """Store an avatar made by avatar_process; the old picture's file goes once committed."""
    old_name = profile.avatar.name if profile.avatar else ""
    storage = profile.avatar.storage
    profile.avatar.save("avatar.webp", content, save=True)
    if old_name and old_name != profile.avatar.name:
        # Avatars are served without a login check: a replaced picture must not stay online.
        transaction.on_commit(lambda: storage.delete(old_name))
    _profile_changed(profile, fields={"avatar"})
    return profile


def profile_avatar_remove(*, profile):
    """Remove the avatar; the initials avatar shows instead."""
    if profile.avatar:
        profile.avatar.delete(save=True)
        _profile_changed(profile, fields={"avatar"})
    return profile


def profile_avatar_forget(*, user):
    """A leaving person's picture: its file goes once the deletion is committed (the
    pictures are served without a login check)."""
    profile = Profile.objects.filter(user=user).first()
    if profile is None or not profile.avatar:
        return
    name, storage = profile.avatar.name, profile.avatar.storage
    transaction.on_commit(lambda: storage.delete(name))


def tag_resolve(*, name, kind):
    """The canonical tag for a typed name (through aliases), or None if unknown."""
    normalized = normalise_tag_name(name)
    if not normalized:
        return None
    tag = Tag.objects.filter(normalized_name=normalized).first()
    if tag is None:
        alias = TagAlias.objects.select_related("tag").filter(normalized_name=normalized).first()
        tag = alias.tag if alias else None
    if tag is not None and tag.kind != kind:
        return None
    return tag


def tag_propose(*, name, kind, user):
    """A person proposes a tag the taxonomy lacks: it is pending until an admin approves it."""
    name = clean_line(name)
    if not name:
        raise ValidationError("Type a name for the new tag.")
    if len(name) > TAG_NAME_MAX_LENGTH:
        raise ValidationError(
            f"Tag names can be at most {TAG_NAME_MAX_LENGTH} characters (this one has {len(name)})."
        )
    normalized = normalise_tag_name(name)
    existing = Tag.objects.filter(normalized_name=normalized).first()
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


def _unique_slug(name):
    base = slugify(name)[:90] or "tag"
    slug, suffix = base, 1
    while Tag.objects.filter(slug=slug).exists():
        suffix += 1
        slug = f"{base}-{suffix}"
    return slug


def _check_count(tags, *, label, limits):
    low, high = limits
    if len(tags) < low:
        raise ValidationError(f"Choose at least {low} {label} (you have {len(tags)}).")
    if len(tags) > high:
        raise ValidationError(f"Choose at most {high} {label} (you have {len(tags)}).")


def profile_tags_set(*, profile, interests=None, values=None):
    """Replace a person's interests and/or values with the given tags, within the limits.

    Tags must be approved, or pending ones the person proposed themselves.
    """
    changed = set()
    with transaction.atomic():
        if interests is not None:
            interests = _usable_tags(interests, kind=Tag.Kind.INTEREST, user=profile.user)
            _check_count(interests, label="interests", limits=INTEREST_LIMITS)
            profile.interests.set(interests)
            changed.add("interests")
        if values is not None:
            values = _usable_tags(values, kind=Tag.Kind.VALUE, user=profile.user)
            _check_count(values, label="values", limits=VALUE_LIMITS)
            profile.values.set(values)
            changed.add("values")
        _profile_changed(profile, fields=changed)
    return profile


def _usable_tags(tags, *, kind, user):
    seen, usable = set(), []
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


def profile_onboarding_complete(*, profile):
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
            _profile_changed(profile, fields={"onboarded_at"})
    return profile


def tag_proposals_forget(*, user):
    """A leaving person's proposals that never made it into the taxonomy go with them.

    Approved ones stay in the taxonomy (without their name: the foreign key is SET_NULL).
    """
    Tag.objects.filter(proposed_by=user).exclude(status=Tag.Status.APPROVED).delete()


# --- People search ---------------------------------------------------------------------

SEARCH_VECTOR = (
    SearchVector("name_text", weight="A", config="simple")
    + SearchVector("work_text", weight="B", config="simple")
    + SearchVector("other_text", weight="C", config="simple")
)


def profile_search_refresh(*, profile_ids):
    """Rewrite the search documents of these profiles from what they hold now (their fields
    and approved tags): the folded text, and on PostgreSQL the indexed vector."""
    ids = sorted(set(profile_ids))
    for start in range(0, len(ids), SEARCH_REFRESH_BATCH):
        chunk = ids[start : start + SEARCH_REFRESH_BATCH]
        tags = {}
        for through in (TaggedInterest, TaggedValue):
            rows = through.objects.filter(
                content_object_id__in=chunk, tag__status=Tag.Status.APPROVED
            ).values_list("content_object_id", "tag__name")
            for profile_id, name in rows:
                tags.setdefault(profile_id, []).append(name)
        documents = [
            ProfileSearch(
                profile_id=profile.pk,
                user_id=profile.user_id,
                listed=profile.discoverable and profile.onboarded_at is not None,
                **search.document(
                    name=profile.name,
                    headline=profile.headline,
                    current_role=profile.current_role,
                    company=profile.company,
                    industry=profile.industry,
                    city=profile.city,
                    country=profile.country,
                    tags=sorted(tags.get(profile.pk, [])),
                ),
            )
            for profile in Profile.objects.filter(pk__in=chunk).select_related("user")
        ]
        ProfileSearch.objects.bulk_create(
            documents,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["profile"],
            update_fields=["user", "listed", "name_text", "work_text", "other_text"],
        )
        if connection.vendor == "postgresql":
            # The vector from the text, and the long text gone in the same statement (SET
            # reads the old row): a search reads every row it finds, so rows stay narrow.
            ProfileSearch.objects.filter(pk__in=chunk).update(
                vector=SEARCH_VECTOR, work_text="", other_text=""
            )


def profile_search_refresh_later(*, profile_ids):
    """Once committed, rewrite these people's search documents in batches on the workers
    (a tag change may touch thousands of them)."""
    # Imported here: the tasks module imports this one (the services<->tasks pair).
    from profiles.tasks import profile_search_refresh_task

    ids = sorted(set(profile_ids))

    def enqueue():
        for start in range(0, len(ids), SEARCH_REFRESH_BATCH):
            profile_search_refresh_task.delay(ids[start : start + SEARCH_REFRESH_BATCH])

    if ids:
        transaction.on_commit(enqueue)


# --- Taxonomy curation ---------------------------------------------------------------


def _holders(tag_ids):
    """(profile ids, user ids) of the people who have any of these tags."""
    # One indexed query per through table: an OR across both joins scans every tagging.
    profile_ids, user_ids = set(), set()
    for through in (TaggedInterest, TaggedValue):
        for profile_id, user_id in through.objects.filter(tag_id__in=list(tag_ids)).values_list(
            "content_object_id", "content_object__user_id"
        ):
            profile_ids.add(profile_id)
            user_ids.add(user_id)
    return tuple(sorted(profile_ids)), tuple(sorted(user_ids))


def _tags_changed(*, change, tag_ids, reason):
    """Tell the apps that these tags changed for everyone who has them (read before the
    change: a merge or a deletion takes the taggings away)."""
    profile_ids, user_ids = _holders(tag_ids)
    events.emit(
        events.TagsChanged(
            change=change,
            tag_ids=tuple(tag_ids),
            profile_ids=profile_ids,
            user_ids=user_ids,
            reason=reason,
        )
    )


def tags_set_status(*, tag_ids, status):
    """Approve or reject tags; approval makes a pending tag count for matching."""
    with transaction.atomic():
        tags = Tag.objects.filter(pk__in=tag_ids).exclude(status=status)
        changed_ids = list(tags.values_list("pk", flat=True))
        count = tags.update(status=status)
        if changed_ids:
            _tags_changed(
                change=events.TagsChanged.STATUS,
                tag_ids=changed_ids,
                reason=f"status of {count} tags set to {status}",
            )
    return count


def tags_delete(*, tag_ids):
    """Delete tags (staff, in the admin); people who had them lose them."""
    tag_ids = list(tag_ids)
    with transaction.atomic():
        _tags_changed(
            change=events.TagsChanged.DELETED,
            tag_ids=tag_ids,
            reason=f"{len(tag_ids)} tag{'' if len(tag_ids) == 1 else 's'} deleted",
        )
        deleted, _ = Tag.objects.filter(pk__in=tag_ids).delete()
    return deleted


def tag_renamed(*, tag, old_name, old_slug):
    """Staff renamed `tag` or changed its slug (the tag is saved): the old name stays an
    alias, so old links and searches still find it, and the apps that copied the name or
    the slug (search documents, match reasons) are told."""
    if tag.name == old_name and tag.slug == old_slug:
        return tag
    old_normalized = normalise_tag_name(old_name)
    with transaction.atomic():
        if (
            old_normalized
            and old_normalized != tag.normalized_name
            and not Tag.objects.filter(normalized_name=old_normalized).exists()
        ):
            TagAlias.objects.get_or_create(normalized_name=old_normalized, defaults={"tag": tag})
        profile_ids, user_ids = _holders([tag.pk])
        events.emit(
            events.TagRenamed(
                tag_id=tag.pk,
                old_name=old_name,
                new_name=tag.name,
                old_slug=old_slug,
                new_slug=tag.slug,
                profile_ids=profile_ids,
                user_ids=user_ids,
            )
        )
    return tag


def tag_merge(*, source, target):
    """Merge `source` into `target`: taggings move, no duplicates, the old name becomes an alias.

    One transaction and a handful of bulk statements, whatever the number of taggings.
    """
    if source.pk == target.pk:
        raise ValidationError("A tag cannot be merged into itself.")
    if source.kind != target.kind:
        raise ValidationError(
            f"“{source.name}” is a {source.kind} and “{target.name}” is a {target.kind}; "
            "merge tags of the same kind."
        )
    with transaction.atomic():
        _tags_changed(
            change=events.TagsChanged.MERGED,
            tag_ids=[source.pk],
            reason=f"merge {source.name} into {target.name}",
        )
        moved = 0
        for through in (TaggedInterest, TaggedValue):
            already = through.objects.filter(tag=target).values("content_object_id")
            through.objects.filter(tag=source, content_object_id__in=already).delete()
            moved += through.objects.filter(tag=source).update(tag=target)
        TagAlias.objects.filter(tag=source).update(tag=target)
        source_normalized = source.normalized_name
        Tag.objects.filter(pk=source.pk).delete()
        TagAlias.objects.update_or_create(
            normalized_name=source_normalized, defaults={"tag": target}
        )
        if target.status != Tag.Status.APPROVED and source.status == Tag.Status.APPROVED:
            target.status = Tag.Status.APPROVED
            target.save(update_fields=["status"])
    logger.info("merged tag %s into %s (%d taggings moved)", source_normalized, target.name, moved)
    return moved


def taxonomy_import(*, data):
    """Load categories, tags and aliases from the taxonomy format; idempotent; never deletes
    tags.

    Existing tags keep their status and are only filled in where blank; tags in use are
    never removed. A tag still in one of `retired_categories` (slugs) counts as having no
    category, so it moves to the one the file gives it; a retired category left empty goes.
    Returns counts of what was created (and of tags moved out of retired categories).
    """
    if not isinstance(data, dict) or not isinstance(data.get("tags"), list):
        raise ValidationError("The file must have a list of “tags”.")
    created = {"categories": 0, "tags": 0, "aliases": 0, "moved": 0}
    retired = {slug for slug in data.get("retired_categories") or [] if isinstance(slug, str)}
    with transaction.atomic():
        categories = {category.slug: category for category in Category.objects.all()}
        retired_ids = {categories[slug].pk for slug in retired if slug in categories}
        by_name = {category.name: category for category in categories.values()}
        for position, row in enumerate(data.get("categories") or []):
            slug = row.get("slug") or slugify(row.get("name", ""))
            if not slug or not row.get("name"):
                raise ValidationError(f"Category {position + 1} needs a name.")
            if slug in categories:
                continue
            name = row["name"][:80]
            if name in by_name:
                # Same category under another slug: reuse it (names are unique too).
                categories[slug] = by_name[name]
                continue
            categories[slug] = by_name[name] = Category.objects.create(
                name=name,
                slug=slug,
                description=(row.get("description") or "")[:300],
                position=row.get("position", position),
            )
            created["categories"] += 1
        existing = {tag.normalized_name: tag for tag in Tag.objects.all()}
        aliases = dict(TagAlias.objects.values_list("normalized_name", "tag_id"))
        used_slugs = set(Tag.objects.values_list("slug", flat=True))
        new_tags, pending_aliases = [], []
        for number, row in enumerate(data["tags"], start=1):
            name = clean_line(str(row.get("name") or ""))
            if not name:
                raise ValidationError(f"Tag {number} has no name.")
            if len(name) > TAG_NAME_MAX_LENGTH:
                raise ValidationError(
                    f"Tag {number} (“{name[:60]}…”) is longer than "
                    f"{TAG_NAME_MAX_LENGTH} characters."
                )
            kind = row.get("kind", Tag.Kind.INTEREST)
            if kind not in Tag.Kind.values:
                raise ValidationError(f"Tag {number} (“{name}”) has an unknown kind “{kind}”.")
            status = row.get("status", Tag.Status.APPROVED)
            if status not in Tag.Status.values:
                raise ValidationError(f"Tag {number} (“{name}”) has an unknown status “{status}”.")
            category_slug = row.get("category") or ""
            if category_slug and category_slug not in categories:
                raise ValidationError(
                    f"Tag {number} (“{name}”) names an unknown category “{category_slug}”."
                )
            normalized = normalise_tag_name(name)
            tag = existing.get(normalized)
            if tag is None and normalized not in aliases:
                slug = slugify(name)[:90] or "tag"
                base, suffix = slug, 1
                while slug in used_slugs:
                    suffix += 1
                    slug = f"{base}-{suffix}"
                used_slugs.add(slug)
                tag = Tag(
                    name=name,
                    slug=slug,
                    normalized_name=normalized,
                    kind=kind,
                    status=status,
                    category=categories.get(category_slug),
                    description=(row.get("description") or "")[:300],
                )
                new_tags.append(tag)
                existing[normalized] = tag
            elif tag is not None and tag.pk:
                filled = []
                if not tag.description and row.get("description"):
                    tag.description = row["description"][:300]
                    filled.append("description")
                if (
                    tag.category_id is None or tag.category_id in retired_ids
                ) and category_slug not in ("", *retired):
                    created["moved"] += int(tag.category_id is not None)
                    tag.category = categories[category_slug]
                    filled.append("category")
                if filled:
                    tag.save(update_fields=filled)
            for alias in row.get("aliases") or []:
                pending_aliases.append((normalise_tag_name(alias), normalized))
        Tag.objects.bulk_create(new_tags, batch_size=1000)
        created["tags"] = len(new_tags)
        ids = dict(Tag.objects.values_list("normalized_name", "pk"))
        new_aliases = []
        for alias, canonical in pending_aliases:
            if alias and alias not in aliases and alias not in ids and canonical in ids:
                aliases[alias] = ids[canonical]
                new_aliases.append(TagAlias(normalized_name=alias, tag_id=ids[canonical]))
        TagAlias.objects.bulk_create(new_aliases, batch_size=1000)
        created["aliases"] = len(new_aliases)
        Category.objects.filter(pk__in=retired_ids, tags__isnull=True).delete()
    return created


def taxonomy_import_file(*, uploaded, filename):
    """Parse an uploaded JSON or CSV taxonomy file and import it."""
    return taxonomy_import(data=parse_taxonomy_file(uploaded, filename))


def taxonomy_load_default():
    """Load the taxonomy shipped in profiles/data/taxonomy.json."""
    path = Path(__file__).resolve().parent / "data" / "taxonomy.json"
    return taxonomy_import(data=json.loads(path.read_text(encoding="utf-8")))
