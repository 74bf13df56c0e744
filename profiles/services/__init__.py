"""Writes for people and the taxonomy, one module per concern; this package's names are its
public surface. Views, tasks and handlers call these; they own transactions.

- people: a profile's fields, interests and values, onboarding, tag proposals.
- avatars: a person's picture.
- documents: people-search documents.
- taxonomy: curation by staff (approve, reject, rename, merge, delete) and imports.
"""

from profiles.services.avatars import (
    AVATAR_CROP_MIN,
    AVATAR_MAX_BYTES,
    AVATAR_SIZE,
    avatar_process,
    profile_avatar_forget,
    profile_avatar_remove,
    profile_avatar_set,
    profile_avatar_store,
)
from profiles.services.documents import profile_search_refresh, profile_search_refresh_later
from profiles.services.people import (
    INTEREST_LIMITS,
    PROFILE_FIELDS,
    SEARCH_FIELDS,
    VALUE_LIMITS,
    profile_changed_by_staff,
    profile_ensure,
    profile_onboarding_complete,
    profile_tags_set,
    profile_update,
    tag_proposals_forget,
    tag_propose,
    tag_resolve,
)
from profiles.services.taxonomy import (
    tag_merge,
    tag_renamed,
    tags_delete,
    tags_set_status,
    taxonomy_import,
    taxonomy_import_file,
    taxonomy_load_default,
)

__all__ = [
    "AVATAR_CROP_MIN",
    "AVATAR_MAX_BYTES",
    "AVATAR_SIZE",
    "INTEREST_LIMITS",
    "PROFILE_FIELDS",
    "SEARCH_FIELDS",
    "VALUE_LIMITS",
    "avatar_process",
    "profile_avatar_forget",
    "profile_avatar_remove",
    "profile_avatar_set",
    "profile_avatar_store",
    "profile_changed_by_staff",
    "profile_ensure",
    "profile_onboarding_complete",
    "profile_search_refresh",
    "profile_search_refresh_later",
    "profile_tags_set",
    "profile_update",
    "tag_merge",
    "tag_proposals_forget",
    "tag_propose",
    "tag_renamed",
    "tag_resolve",
    "tags_delete",
    "tags_set_status",
    "taxonomy_import",
    "taxonomy_import_file",
    "taxonomy_load_default",
]
