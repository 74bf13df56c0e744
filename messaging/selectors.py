"""Reads for messaging. Each one also decides who may see what: a conversation someone may
not see is a 404, the same answer as one that does not exist."""

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.selectors import blocks_between
from messaging import caches
from messaging.models import Conversation, Message, MessageNotification, Participant, Report
from profiles.goals import GOAL_LABELS
from profiles.models import Tag, TaggedInterest, TaggedValue

# Where a person stands with another, for cards and profiles (no conversation: CONTACT_NONE).
CONTACT_NONE = ""
CONTACT_SENT = "sent"  # your request waits for them
CONTACT_RECEIVED = "received"  # their request waits for you
CONTACT_CONNECTED = "connected"  # you talk
CONTACT_DECLINED = "declined"  # they declined your request
CONTACT_YOU_DECLINED = "you_declined"  # you declined theirs

PAGE_SIZE = 30
POLL_LIMIT = 100
PROMPT_CHOICES_LIMIT = 12


def _blocked_pair() -> Exists:
    """Exists() for a block either way between a conversation's two people."""
    return Exists(blocks_between(first=OuterRef("initiator_id"), second=OuterRef("recipient_id")))


def _visible_conversations(*, user: Any) -> QuerySet[Conversation]:
    """The user's conversations with active people they have not blocked (nor been blocked by)."""
    return (
        Conversation.objects.filter(Q(initiator=user) | Q(recipient=user))
        .filter(initiator__is_active=True, recipient__is_active=True)
        .exclude(_blocked_pair())
    )


def _with_people(queryset: QuerySet[Conversation]) -> QuerySet[Conversation]:
    return queryset.select_related(
        "initiator__profile", "recipient__profile", "last_message__sender"
    )


def _count(queryset: QuerySet[Any]) -> Subquery:
    """A scalar subquery counting the rows of `queryset`."""
    return Subquery(
        queryset.order_by().annotate(total=Func(F("pk"), function="COUNT")).values("total"),
        output_field=IntegerField(),
    )


def _unread_messages(*, user: Any) -> QuerySet[Message]:
    """Messages from others that `user` has not read, in accepted, visible conversations."""
    return Message.objects.filter(
        conversation__in=_visible_conversations(user=user).filter(
            status=Conversation.Status.ACCEPTED
        ),
        conversation__participants__user=user,
        pk__gt=F("conversation__participants__last_read_message_id"),
    ).exclude(sender=user)


def _requests(*, user: Any) -> QuerySet[Conversation]:
    return _visible_conversations(user=user).filter(
        recipient=user, status=Conversation.Status.PENDING
    )


def unread_counts(*, user: Any) -> dict[str, int]:
    """{"messages": unread messages, "requests": requests waiting} for the header badge.

    Every page shows the badge, so the counts are cached per person (messaging/caches.py:
    each write that changes them drops the cached value, and the timeout bounds any
    staleness a missed write could leave).
    """
    counts: dict[str, int] | None = caches.UNREAD_COUNTS.get(user_id=user.pk)
    if counts is None:
        counts = _unread_counts_query(user=user)
        caches.UNREAD_COUNTS.set(counts, user_id=user.pk)
    return counts


def _unread_counts_query(*, user: Any) -> dict[str, int]:
    """The counts in one query."""
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            unread_messages=_count(_unread_messages(user=user)),
            waiting_requests=_count(_requests(user=user)),
        )
        .values("unread_messages", "waiting_requests")
        .first()
    )
    if row is None:
        return {"messages": 0, "requests": 0}
    return {
        "messages": row["unread_messages"] or 0,
        "requests": row["waiting_requests"] or 0,
    }


def _annotate_unread(queryset: QuerySet[Conversation], *, user: Any) -> QuerySet[Conversation]:
    my_last_read = Participant.objects.filter(conversation=OuterRef("pk"), user=user).values(
        "last_read_message_id"
    )[:1]
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"), pk__gt=OuterRef("my_last_read"))
        .exclude(sender=user)
        .order_by()
        .values("conversation")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return queryset.annotate(my_last_read=Subquery(my_last_read)).annotate(
        unread_count=Coalesce(Subquery(unread, output_field=IntegerField()), 0)
    )


def _name_filter(*, user: Any, query: str) -> Q:
    """Conversations whose other person's name contains `query`."""
    started = Q(initiator=user) & (
        Q(recipient__profile__display_name__icontains=query)
        | Q(recipient__profile__display_name="", recipient__email__istartswith=query)
    )
    received = Q(recipient=user) & (
        Q(initiator__profile__display_name__icontains=query)
        | Q(initiator__profile__display_name="", initiator__email__istartswith=query)
    )
    return started | received


def inbox_for(*, user: Any, query: str = "") -> QuerySet[Conversation]:
    """Accepted conversations, latest activity first, with unread counts (one query)."""
    conversations = _visible_conversations(user=user).filter(status=Conversation.Status.ACCEPTED)
    query = " ".join((query or "").split())
    if query:
        conversations = conversations.filter(_name_filter(user=user, query=query))
    conversations = _annotate_unread(_with_people(conversations), user=user)
    return conversations.order_by("-last_message_at", "-id")


def requests_for(*, user: Any) -> QuerySet[Conversation]:
    """Requests waiting for this person's answer, oldest first."""
    return _with_people(_requests(user=user)).order_by("last_message_at", "id")


def sent_requests_for(*, user: Any) -> QuerySet[Conversation]:
    """Requests this person sent that are not accepted (waiting or declined), newest first."""
    return _with_people(
        _visible_conversations(user=user).filter(
            initiator=user,
            status__in=(Conversation.Status.PENDING, Conversation.Status.DECLINED),
        )
    ).order_by("-last_message_at", "-id")


def _may_see(conversation: Conversation, *, user: Any) -> bool:
    """Declined requests stay visible to the person who sent them (with a polite note) only."""
    if conversation.status == Conversation.Status.DECLINED:
        return bool(conversation.initiator_id == user.pk)
    return True


def conversation_get_for_participant(*, user: Any, conversation_id: int) -> Conversation:
    """A conversation `user` takes part in and may see, or 404."""
    conversation = (
        _with_people(_visible_conversations(user=user)).filter(pk=conversation_id).first()
        if user.is_authenticated
        else None
    )
    if conversation is None or not _may_see(conversation, user=user):
        raise Http404("No such conversation.")
    return conversation


def conversation_visible_to(*, user_id: int, conversation_id: int) -> bool:
    """True if the person may see the conversation (the socket asks before joining)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    try:
        conversation_get_for_participant(user=user, conversation_id=conversation_id)
    except Http404:
        return False
    return True


def _conversations_with(*, user: Any, other: Any) -> QuerySet[Conversation]:
    """The conversation (a queryset of at most one) between `user` and `other`, a user or an
    OuterRef to a user id."""
    return Conversation.objects.filter(
        Q(initiator=user, recipient=other) | Q(initiator=other, recipient=user)
    )


def contact_state(*, user: Any, other: Any) -> Subquery:
    """An expression: where `user` stands with `other` (an OuterRef to a user id), as a
    CONTACT_* code, or NULL when they have no conversation. One subquery, for annotations."""
    mine = Q(initiator=user)
    state = Case(
        When(status=Conversation.Status.ACCEPTED, then=Value(CONTACT_CONNECTED)),
        When(mine & Q(status=Conversation.Status.PENDING), then=Value(CONTACT_SENT)),
        When(status=Conversation.Status.PENDING, then=Value(CONTACT_RECEIVED)),
        When(mine, then=Value(CONTACT_DECLINED)),
        default=Value(CONTACT_YOU_DECLINED),
        output_field=CharField(),
    )
    return Subquery(
        _conversations_with(user=user, other=other).annotate(state=state).values("state")[:1],
        output_field=CharField(),
    )


def talking(*, user: Any, other: Any) -> Exists:
    """An expression: True when `user` and `other` (an OuterRef to a user id) already talk."""
    return Exists(
        _conversations_with(user=user, other=other).filter(status=Conversation.Status.ACCEPTED)
    )


def contact_state_for(*, user: Any, other: Any) -> str:
    """Where `user` stands with `other` (a CONTACT_* code), in one query."""
    state = (
        get_user_model()
        .objects.filter(pk=other.pk)
        .annotate(contact=contact_state(user=user, other=OuterRef("pk")))
        .values_list("contact", flat=True)
        .first()
    )
    return state or CONTACT_NONE


def profile_page_contact(*, viewer: Any, profile: Any) -> dict[str, str]:
    """What another person's profile page needs from messaging: where the viewer stands."""
    return {"contact": contact_state_for(user=viewer, other=profile.user)}


def conversation_between(*, user: Any, other: Any) -> Conversation | None:
    """The conversation between two people, whatever its state, or None."""
    return (
        Conversation.objects.filter(
            Q(initiator=user, recipient=other) | Q(initiator=other, recipient=user)
        )
        .select_related("initiator__profile", "recipient__profile")
        .first()
    )


def _mark_days(messages: list[Message]) -> list[Message]:
    previous_day = None
    for message in messages:
        day = message.created_at.date()
        message.starts_day = day != previous_day  # type: ignore[attr-defined]  # for the template
        previous_day = day
    return messages


def messages_page(
    *, conversation: Conversation, before_id: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Message], bool]:
    """The newest `limit` messages (older than `before_id` if given), oldest first.

    Returns (messages, has_older); each message has `starts_day` for the day separators.
    """
    messages = Message.objects.filter(conversation=conversation).select_related("sender__profile")
    if before_id:
        messages = messages.filter(pk__lt=before_id)
    newest_first = list(messages.order_by("-id")[: limit + 1])
    has_older = len(newest_first) > limit
    return _mark_days(list(reversed(newest_first[:limit]))), has_older


def messages_after(
    *, conversation: Conversation, after_id: int | None, limit: int = POLL_LIMIT
) -> list[Message]:
    """Messages newer than `after_id`, oldest first (for polling)."""
    messages = (
        Message.objects.filter(conversation=conversation, pk__gt=after_id or 0)
        .select_related("sender__profile")
        .order_by("id")[:limit]
    )
    return list(messages)


def message_get_for_participant(*, user: Any, message_id: int) -> Message:
    """A message in a conversation `user` may see, or 404."""
    message = (
        Message.objects.select_related("conversation", "sender__profile")
        .filter(pk=message_id, conversation__in=_visible_conversations(user=user))
        .first()
    )
    if message is None or not _may_see(message.conversation, user=user):
        raise Http404("No such message.")
    return message


def message_get_reportable(*, user: Any, message_id: int) -> Message:
    """A message someone else sent to `user`, which `user` may report, or 404."""
    message = message_get_for_participant(user=user, message_id=message_id)
    if message.sender_id == user.pk:
        raise Http404("No such message.")
    return message


def seen_message_id(*, conversation: Conversation, viewer: Any) -> int | None:
    """The id of the viewer's last message that the other person has read, or None."""
    other_read = (
        Participant.objects.filter(conversation=conversation)
        .exclude(user=viewer)
        .values_list("last_read_message_id", flat=True)
        .first()
    )
    if not other_read:
        return None
    return (
        Message.objects.filter(conversation=conversation, sender=viewer, pk__lte=other_read)
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )


def _tag_ids(profile: Any) -> set[int]:
    return set(
        TaggedInterest.objects.filter(content_object=profile).values_list("tag_id", flat=True)
    ) | set(TaggedValue.objects.filter(content_object=profile).values_list("tag_id", flat=True))


def shared_topics(*, user: Any, other: Any) -> list[str]:
    """What two people share, as labels a request can name: interests, values, goals."""
    mine = getattr(user, "profile", None)
    theirs = getattr(other, "profile", None)
    if mine is None or theirs is None:
        return []
    shared_tags = Tag.objects.filter(
        pk__in=_tag_ids(mine) & _tag_ids(theirs), status=Tag.Status.APPROVED
    ).order_by("kind", "name")
    labels = [tag.name for tag in shared_tags[:PROMPT_CHOICES_LIMIT]]
    shared_goals = set(mine.goals) & set(theirs.goals)
    labels += [GOAL_LABELS[code] for code in mine.goals if code in shared_goals]
    return labels


def messages_export(*, user: Any) -> list[dict[str, Any]]:
    """A person's conversations and every message in them, for their data export."""
    conversations = (
        Conversation.objects.filter(Q(initiator=user) | Q(recipient=user))
        .select_related("initiator__profile", "recipient__profile")
        .prefetch_related("messages", "participants")
        .order_by("created_at", "id")
    )
    exported = []
    for conversation in conversations:
        other = conversation.other_user(user)
        other_profile = getattr(other, "profile", None)
        mine = next((p for p in conversation.participants.all() if p.user_id == user.pk), None)
        exported.append(
            {
                "with": {
                    "profile_id": getattr(other_profile, "pk", None),
                    "name": other_profile.name if other_profile else None,
                },
                "conversation_id": conversation.pk,
                "started_by_me": conversation.initiator_id == user.pk,
                "status": conversation.status,
                "prompt": conversation.prompt,
                "created_at": conversation.created_at.isoformat(),
                "i_last_read_at": _when(mine.last_read_at) if mine else None,
                "messages": [
                    {
                        "from_me": message.sender_id == user.pk,
                        "body": message.body,
                        "sent_at": message.created_at.isoformat(),
                        "intro": message.is_intro,
                    }
                    for message in conversation.messages.all()
                ],
            }
        )
    return exported


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def reports_filed_export(*, user: Any) -> list[dict[str, Any]]:
    """The reports a person filed, with what they wrote and where each stands."""
    reports = (
        Report.objects.filter(reporter=user)
        .select_related("reported__profile")
        .order_by("created_at", "pk")
    )
    return [
        {
            "about_profile_id": getattr(getattr(report.reported, "profile", None), "pk", None),
            "message_id": report.message_id,
            "reason": report.reason,
            "details": report.details,
            "status": report.status,
            "filed_at": _when(report.created_at),
        }
        for report in reports
    ]


def notifications_export(*, user: Any) -> list[dict[str, Any]]:
    """The emails that told the person about unread messages."""
    return [
        {
            "conversation_id": notification.conversation_id,
            "messages": notification.message_count,
            "sent_at": _when(notification.sent_at),
        }
        for notification in MessageNotification.objects.filter(recipient=user).order_by(
            "sent_at", "pk"
        )
    ]
