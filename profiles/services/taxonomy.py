"""Writes for the taxonomy: staff approve, reject, rename, merge, delete and import tags."""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import slugify

from intch import events
from intch.inputs import clean_line
from profiles.models import (
    TAG_NAME_MAX_LENGTH,
    Category,
    Tag,
    TagAlias,
    TaggedInterest,
    TaggedValue,
    normalise_tag_name,
)
from profiles.taxonomy_io import parse_taxonomy_file

logger = logging.getLogger(__name__)


def _holders(tag_ids: Iterable[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(profile ids, user ids) of the people who have any of these tags."""
    # One indexed query per through table: an OR across both joins scans every tagging.
    profile_ids: set[int] = set()
    user_ids: set[int] = set()
    for through in (TaggedInterest, TaggedValue):
        for profile_id, user_id in through.objects.filter(tag_id__in=list(tag_ids)).values_list(
            "content_object_id", "content_object__user_id"
        ):
            profile_ids.add(profile_id)
            user_ids.add(user_id)
    return tuple(sorted(profile_ids)), tuple(sorted(user_ids))


def _tags_changed(*, change: str, tag_ids: list[int], reason: str) -> None:
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


def tags_set_status(*, tag_ids: Iterable[int], status: str) -> int:
    """Approve or reject tags; approval makes a pending tag count for matching."""
    with transaction.atomic():
        tags = Tag.objects.filter(pk__in=tag_ids).exclude(status=status)
        changed_ids = list(tags.values_list("pk", flat=True))
        count: int = tags.update(status=status)
        if changed_ids:
            _tags_changed(
                change=events.TagsChanged.STATUS,
                tag_ids=changed_ids,
                reason=f"status of {count} tags set to {status}",
            )
    return count


def tags_delete(*, tag_ids: Iterable[int]) -> int:
    """Delete tags (staff, in the admin); people who had them lose them."""
    ids = list(tag_ids)
    with transaction.atomic():
        _tags_changed(
            change=events.TagsChanged.DELETED,
            tag_ids=ids,
            reason=f"{len(ids)} tag{'' if len(ids) == 1 else 's'} deleted",
        )
        deleted: int = Tag.objects.filter(pk__in=ids).delete()[0]
    return deleted


def tag_renamed(*, tag: Tag, old_name: str, old_slug: str) -> Tag:
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


def tag_merge(*, source: Tag, target: Tag) -> int:
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


@dataclass
class _Import:
    """What an import has seen and made so far (one transaction)."""

    categories: dict[str, Category]
    retired: set[str]
    retired_ids: set[int]
    existing: dict[str, Tag]  # normalized name -> tag (new ones too)
    aliases: dict[str, int]  # normalized alias -> tag id
    used_slugs: set[str]
    new_tags: list[Tag] = field(default_factory=list)
    pending_aliases: list[tuple[str, str]] = field(default_factory=list)  # (alias, canonical)
    created: dict[str, int] = field(
        default_factory=lambda: {"categories": 0, "tags": 0, "aliases": 0, "moved": 0}
    )


def taxonomy_import(*, data: Any) -> dict[str, int]:
    """Load categories, tags and aliases from the taxonomy format; idempotent; never deletes
    tags.

    Existing tags keep their status and are only filled in where blank; tags in use are
    never removed. A tag still in one of `retired_categories` (slugs) counts as having no
    category, so it moves to the one the file gives it; a retired category left empty goes.
    Returns counts of what was created (and of tags moved out of retired categories).
    """
    if not isinstance(data, dict) or not isinstance(data.get("tags"), list):
        raise ValidationError("The file must have a list of “tags”.")
    retired = {slug for slug in data.get("retired_categories") or [] if isinstance(slug, str)}
    with transaction.atomic():
        categories = {category.slug: category for category in Category.objects.all()}
        state = _Import(
            categories=categories,
            retired=retired,
            retired_ids={categories[slug].pk for slug in retired if slug in categories},
            existing={tag.normalized_name: tag for tag in Tag.objects.all()},
            aliases=dict(TagAlias.objects.values_list("normalized_name", "tag_id")),
            used_slugs=set(Tag.objects.values_list("slug", flat=True)),
        )
        _import_categories(state, data.get("categories") or [])
        for number, row in enumerate(data["tags"], start=1):
            _import_tag(state, number, row)
        Tag.objects.bulk_create(state.new_tags, batch_size=1000)
        state.created["tags"] = len(state.new_tags)
        _import_aliases(state)
        Category.objects.filter(pk__in=state.retired_ids, tags__isnull=True).delete()
    return state.created


def _import_categories(state: _Import, rows: list[dict[str, Any]]) -> None:
    by_name = {category.name: category for category in state.categories.values()}
    for position, row in enumerate(rows):
        slug = row.get("slug") or slugify(row.get("name", ""))
        if not slug or not row.get("name"):
            raise ValidationError(f"Category {position + 1} needs a name.")
        if slug in state.categories:
            continue
        name = row["name"][:80]
        if name in by_name:
            # Same category under another slug: reuse it (names are unique too).
            state.categories[slug] = by_name[name]
            continue
        state.categories[slug] = by_name[name] = Category.objects.create(
            name=name,
            slug=slug,
            description=(row.get("description") or "")[:300],
            position=row.get("position", position),
        )
        state.created["categories"] += 1


def _checked_tag_row(state: _Import, number: int, row: dict[str, Any]) -> tuple[str, str, str, str]:
    """(name, kind, status, category slug) of a tag row, or a ValidationError saying why not."""
    name = clean_line(str(row.get("name") or ""))
    if not name:
        raise ValidationError(f"Tag {number} has no name.")
    if len(name) > TAG_NAME_MAX_LENGTH:
        raise ValidationError(
            f"Tag {number} (“{name[:60]}…”) is longer than {TAG_NAME_MAX_LENGTH} characters."
        )
    kind = row.get("kind", Tag.Kind.INTEREST)
    if kind not in Tag.Kind.values:
        raise ValidationError(f"Tag {number} (“{name}”) has an unknown kind “{kind}”.")
    status = row.get("status", Tag.Status.APPROVED)
    if status not in Tag.Status.values:
        raise ValidationError(f"Tag {number} (“{name}”) has an unknown status “{status}”.")
    category_slug = row.get("category") or ""
    if category_slug and category_slug not in state.categories:
        raise ValidationError(
            f"Tag {number} (“{name}”) names an unknown category “{category_slug}”."
        )
    return name, kind, status, category_slug


def _import_tag(state: _Import, number: int, row: dict[str, Any]) -> None:
    name, kind, status, category_slug = _checked_tag_row(state, number, row)
    normalized = normalise_tag_name(name)
    tag = state.existing.get(normalized)
    if tag is None and normalized not in state.aliases:
        tag = Tag(
            name=name,
            slug=_free_slug(state, name),
            normalized_name=normalized,
            kind=kind,
            status=status,
            category=state.categories.get(category_slug),
            description=(row.get("description") or "")[:300],
        )
        state.new_tags.append(tag)
        state.existing[normalized] = tag
    elif tag is not None and tag.pk:
        _fill_in(state, tag, row, category_slug)
    for alias in row.get("aliases") or []:
        state.pending_aliases.append((normalise_tag_name(alias), normalized))


def _free_slug(state: _Import, name: str) -> str:
    slug = base = slugify(name)[:90] or "tag"
    suffix = 1
    while slug in state.used_slugs:
        suffix += 1
        slug = f"{base}-{suffix}"
    state.used_slugs.add(slug)
    return slug


def _fill_in(state: _Import, tag: Tag, row: dict[str, Any], category_slug: str) -> None:
    """An existing tag gets what it lacks: a description, a category (or a live one)."""
    filled = []
    if not tag.description and row.get("description"):
        tag.description = row["description"][:300]
        filled.append("description")
    if (tag.category_id is None or tag.category_id in state.retired_ids) and category_slug not in (
        "",
        *state.retired,
    ):
        state.created["moved"] += int(tag.category_id is not None)
        tag.category = state.categories[category_slug]
        filled.append("category")
    if filled:
        tag.save(update_fields=filled)


def _import_aliases(state: _Import) -> None:
    ids = dict(Tag.objects.values_list("normalized_name", "pk"))
    new_aliases = []
    for alias, canonical in state.pending_aliases:
        if alias and alias not in state.aliases and alias not in ids and canonical in ids:
            state.aliases[alias] = ids[canonical]
            new_aliases.append(TagAlias(normalized_name=alias, tag_id=ids[canonical]))
    TagAlias.objects.bulk_create(new_aliases, batch_size=1000)
    state.created["aliases"] = len(new_aliases)


def taxonomy_import_file(*, uploaded: UploadedFile[bytes], filename: str) -> dict[str, int]:
    """Parse an uploaded JSON or CSV taxonomy file and import it."""
    return taxonomy_import(data=parse_taxonomy_file(uploaded, filename))


def taxonomy_load_default() -> dict[str, int]:
    """Load the taxonomy shipped in profiles/data/taxonomy.json."""
    path = Path(__file__).resolve().parent.parent / "data" / "taxonomy.json"
    return taxonomy_import(data=json.loads(path.read_text(encoding="utf-8")))
