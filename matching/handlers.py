"""matching's reactions to domain events (intch/events.py): lists recomputed, pages dropped.

Each handler runs inside the writer's transaction; recomputes are queued after commit
(services.matches_changed_for), and cached pages dropped now and after commit.
"""

from intch import events
from matching import services

# What a person's suggestions depend on: who they are matched with and how they score.
MATCHING_FIELDS = frozenset({"discoverable", "goal_bits", "onboarded_at", "interests", "values"})
# Past this many affected people, one full recompute is cheaper than one job per person.
STATUS_CHANGE_FULL_RECOMPUTE_ABOVE = 500


@events.handles(events.ProfileChanged)
def profile_changed(event: events.ProfileChanged) -> None:
    """What matches a person changed: recompute their list; else only what their card shows
    changed (name, headline, picture, place): drop the pages that show it."""
    if event.fields & MATCHING_FIELDS:
        services.matches_changed_for(user_id=event.user_id)
    else:
        services.match_pages_forget_around(user_id=event.user_id)


@events.handles(events.BlockChanged)
def block_changed(event: events.BlockChanged) -> None:
    """Two people blocked (or unblocked) each other: both lists are recomputed."""
    services.matches_changed_for(user_id=event.blocker_id)
    services.matches_changed_for(user_id=event.blocked_id)


@events.handles(events.AccountSuspended, events.AccountReactivated, events.AccountDeleted)
def account_changed(
    event: events.AccountSuspended | events.AccountReactivated | events.AccountDeleted,
) -> None:
    """A person leaves every list (suspended, deleted) or comes back into them (reactivated)."""
    services.matches_changed_for(user_id=event.user_id)


@events.handles(events.TagsChanged)
def tags_changed(event: events.TagsChanged) -> None:
    """Approved or rejected tags change the lists of the people who have them; a merge or a
    deletion changes everyone's rarity of tags, so every list is recomputed."""
    per_person = (
        event.change == events.TagsChanged.STATUS
        and len(event.user_ids) <= STATUS_CHANGE_FULL_RECOMPUTE_ABOVE
    )
    if per_person:
        for user_id in event.user_ids:
            services.matches_changed_for(user_id=user_id)
    elif event.change == events.TagsChanged.MERGED or event.user_ids:
        services.matches_recompute_all_later(reason=event.reason)


@events.handles(events.TagRenamed)
def tag_renamed(event: events.TagRenamed) -> None:
    """Stored reasons name the tag and link to its slug: every list is rewritten (a shared
    chip shows on the pages of the tag's holders, which are dropped at once; the old slug
    redirects to the new one meanwhile)."""
    services.matches_recompute_all_later(reason=f"tag {event.old_name} renamed {event.new_name}")
    services.match_pages_forget(user_ids=event.user_ids)


@events.handles(events.ConversationChanged)
def conversation_changed(event: events.ConversationChanged) -> None:
    """Cards say whether a request is on its way or the two already talk."""
    services.match_pages_forget(user_ids=event.user_ids)
