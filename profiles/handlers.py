"""profiles' reactions to domain events (intch/events.py): search documents stay current."""

from intch import events
from profiles import services

# What a search document is made of: these profile fields, and the approved tags' names.
SEARCH_SOURCES = services.SEARCH_FIELDS | {"interests", "values"}


@events.handles(events.ProfileChanged)
def search_document_refresh(event: events.ProfileChanged) -> None:
    """A person changed what people search finds them by: rewrite their document now."""
    if event.fields & SEARCH_SOURCES:
        services.profile_search_refresh(profile_ids=[event.profile_id])


@events.handles(events.TagsChanged)
def search_documents_refresh_for_tags(event: events.TagsChanged) -> None:
    """Tags were approved, rejected, merged or deleted: rewrite their holders' documents."""
    services.profile_search_refresh_later(profile_ids=event.profile_ids)


@events.handles(events.TagRenamed)
def search_documents_refresh_for_rename(event: events.TagRenamed) -> None:
    """People are found by their tags' names (a new slug alone changes no document)."""
    if event.old_name != event.new_name:
        services.profile_search_refresh_later(profile_ids=event.profile_ids)
