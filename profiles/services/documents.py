"""Writes for people search: each person's search document (profiles/search.py says what
it holds), rewritten by the handlers of the events that change it (profiles/handlers.py)."""

from collections.abc import Iterable

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction

from profiles import search
from profiles.models import Profile, ProfileSearch, Tag, TaggedInterest, TaggedValue

SEARCH_REFRESH_BATCH = 2000

SEARCH_VECTOR = (
    SearchVector("name_text", weight="A", config="simple")
    + SearchVector("work_text", weight="B", config="simple")
    + SearchVector("other_text", weight="C", config="simple")
)


def profile_search_refresh(*, profile_ids: Iterable[int]) -> None:
    """Rewrite the search documents of these profiles from what they hold now (their fields
    and approved tags): the folded text, and on PostgreSQL the indexed vector."""
    ids = sorted(set(profile_ids))
    for start in range(0, len(ids), SEARCH_REFRESH_BATCH):
        chunk = ids[start : start + SEARCH_REFRESH_BATCH]
        tags: dict[int, list[str]] = {}
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


def profile_search_refresh_later(*, profile_ids: Iterable[int]) -> None:
    """Once committed, rewrite these people's search documents in batches on the workers
    (a tag change may touch thousands of them)."""
    # Imported here: the tasks module imports this one (the services<->tasks pair).
    from profiles.tasks import profile_search_refresh_task

    ids = sorted(set(profile_ids))

    def enqueue() -> None:
        for start in range(0, len(ids), SEARCH_REFRESH_BATCH):
            profile_search_refresh_task.delay(ids[start : start + SEARCH_REFRESH_BATCH])

    if ids:
        transaction.on_commit(enqueue)
