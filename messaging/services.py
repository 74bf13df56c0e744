"""Writes for messaging: requests, messages, read state, blocking, reports and notifications.

A message is committed before anything else happens: the live push and the email come after
commit, and a failure in either never loses the message.
"""

import logging
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from intch import ratelimit
from intch.emails import email_message
from intch.forms import too_long_message
from intch.inputs import clean_line, clean_text
from messaging import hooks
from messaging.models import (
    INTRO_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    PROMPT_MAX_LENGTH,
    REPORT_DETAILS_MAX_LENGTH,
    Conversation,
    Message,
    MessageNotification,
    Participant,
    Report,
)
from messaging.selectors import person_is_active, presence_key, unread_counts_key
from profiles.models import Block

logger = logging.getLogger(__name__)

RATE_LIMITED = "rate_limited"
UNSUBSCRIBE_SALT = "messaging.unsubscribe"
UNAVAILABLE = "This person is not available for messages."


def user_group(user_id):
    """The channel-layer group that reaches every open page of one person."""
    return f"messaging.user.{user_id}"


# --- Small helpers ------------------------------------------------------------------------


def _name(user):
    profile = getattr(user, "profile", None)
    return profile.name if profile is not None else user.email.split("@")[0]


def _rate_limit(*, user_id, action, limit, period_seconds, message):
    """Count one `action` of the person (intch.ratelimit); refuse past `limit` per period.

    `message` may say {wait}: how long until the next one is allowed.
    """
    decision = ratelimit.hit(
        key=f"messaging:{action}:{user_id}", limit=limit, period=period_seconds
    )
    if not decision.allowed:
        raise ValidationError(
            message.format(wait=ratelimit.wait_text(decision.retry_after)), code=RATE_LIMITED
        )


def _rate_limit_intro(*, user):
    limit = settings.MESSAGING_INTRO_REQUESTS_PER_DAY
    _rate_limit(
        user_id=user.pk,
        action="intro",
        limit=limit,
        period_seconds=24 * 60 * 60,
        message=(
            f"You have sent {limit} new requests in the last 24 hours, the most we allow. "
            "You can send the next one in {wait}; conversations you already have are not "
            "affected."
        ),
    )


def _rate_limit_message(*, user):
    limit = settings.MESSAGING_MESSAGES_PER_MINUTE
    _rate_limit(
        user_id=user.pk,
        action="message",
        limit=limit,
        period_seconds=60,
        message=(
            f"You have sent {limit} messages in the last minute, the most we allow. "
            "Please wait {wait} before sending the next one."
        ),
    )


def _already_sent(*, sender, client_token):
    """The message a double submit of the same form already created, or None."""
    if not client_token:
        return None
    return (
        Message.objects.select_related("conversation")
        .filter(sender=sender, client_token=client_token)
        .first()
    )


def _blocked_either_way(first, second):
    return Block.objects.filter(
        Q(blocker=first, blocked=second) | Q(blocker=second, blocked=first)
    ).exists()


def _check_reachable(*, sender, recipient):
    if sender.pk == recipient.pk:
        raise ValidationError("You cannot send messages to yourself.")
    if not (sender.is_active and recipient.is_active) or _blocked_either_way(sender, recipient):
        raise ValidationError(UNAVAILABLE, code="unavailable")


def _check_length(body, *, limit):
    if not body:
        raise ValidationError("Write a message first.", code="empty")
    if len(body) > limit:
        raise ValidationError(too_long_message(length=len(body), limit=limit), code="too_long")


def _locked(conversation_id):
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("initiator__profile", "recipient__profile")
        .get(pk=conversation_id)
    )


def _pair_locked(*, user, other):
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("initiator__profile", "recipient__profile")
        .filter(Q(initiator=user, recipient=other) | Q(initiator=other, recipient=user))
        .first()
    )


# --- Live push and notification queueing (after commit) ----------------------------------


def unread_counts_forget(*, user_ids):
    """The header counts of these people changed: drop the cached ones, now and after commit.

    Now, so this request already sees the change; after commit, so a page that read the old
    counts while the transaction was open does not keep them.
    """
    keys = [unread_counts_key(user_id) for user_id in dict.fromkeys(user_ids)]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys), robust=True)


def unread_counts_forget_partners(*, user_id):
    """Someone left, was suspended, blocked or unblocked: forget their partners' counts too."""
    partners = Conversation.objects.filter(Q(initiator_id=user_id) | Q(recipient_id=user_id))
    user_ids = {user_id}
    for initiator_id, recipient_id in partners.values_list("initiator_id", "recipient_id"):
        user_ids.update((initiator_id, recipient_id))
    unread_counts_forget(user_ids=user_ids)


def _push(*, user_ids, event):
    """Tell each person's open pages about `event`. Best effort: pages poll when it fails."""
    try:
        layer = get_channel_layer()
    except Exception:  # a misconfigured layer must not break writes
        logger.warning("no channel layer for a live push", exc_info=True)
        return
    if layer is None:
        return
    for user_id in dict.fromkeys(user_ids):
        try:
            async_to_sync(layer.group_send)(
                user_group(user_id), {"type": "messaging.event", **event}
            )
        except Exception:
            logger.warning(
                "live push of %s to %s failed", event.get("kind"), user_id, exc_info=True
            )


def _push_after_commit(*, user_ids, event):
    unread_counts_forget(user_ids=user_ids)
    transaction.on_commit(lambda: _push(user_ids=user_ids, event=event), robust=True)


def _queue_notification(*, conversation_id, recipient_id, countdown):
    from messaging.tasks import notify_unread_task

    try:
        notify_unread_task.apply_async(args=[conversation_id, recipient_id], countdown=countdown)
    except Exception:
        logger.warning(
            "could not queue the email about conversation %s to %s",
            conversation_id,
            recipient_id,
            exc_info=True,
        )


def _after_message(*, message_id, conversation_id, sender_id, recipient_id):
    _push(
        user_ids=(recipient_id, sender_id),
        event={
            "kind": "message",
            "conversation_id": conversation_id,
            "message_id": message_id,
            "sender_id": sender_id,
        },
    )
    _queue_notification(
        conversation_id=conversation_id,
        recipient_id=recipient_id,
        countdown=settings.MESSAGING_NOTIFY_DELAY_SECONDS,
    )


# --- Conversations and messages ------------------------------------------------------------


def _post(*, conversation, sender, body, client_token, is_intro=False):
    """Save one message and move the conversation's activity; the caller holds the lock."""
    now = timezone.now()
    message = Message(
        conversation=conversation,
        sender=sender,
        body=body,
        client_token=client_token or None,
        is_intro=is_intro,
        created_at=now,
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # The same form was submitted twice at once and the other request won.
        existing = _already_sent(sender=sender, client_token=client_token)
        if existing is None:
            raise
        return existing
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message=message, last_message_at=now
    )
    conversation.last_message, conversation.last_message_at = message, now
    # Your own message counts as read by you.
    Participant.objects.filter(
        conversation=conversation, user=sender, last_read_message_id__lt=message.pk
    ).update(last_read_message_id=message.pk, last_read_at=now)
    recipient_id = conversation.other_user_id(sender.pk)
    unread_counts_forget(user_ids=(sender.pk, recipient_id))
    transaction.on_commit(
        lambda: _after_message(
            message_id=message.pk,
            conversation_id=conversation.pk,
            sender_id=sender.pk,
            recipient_id=recipient_id,
        ),
        robust=True,
    )
    return message


def _mark_read(*, conversation_id, user_id, through_message_id):
    updated = Participant.objects.filter(
        conversation_id=conversation_id,
        user_id=user_id,
        last_read_message_id__lt=through_message_id,
    ).update(last_read_message_id=through_message_id, last_read_at=timezone.now())
    return bool(updated)


def _accept(conversation, *, user):
    conversation.status = Conversation.Status.ACCEPTED
    conversation.responded_at = timezone.now()
    conversation.save(update_fields=["status", "responded_at"])
    if conversation.last_message_id:
        # Accepting means the request was read.
        _mark_read(
            conversation_id=conversation.pk,
            user_id=user.pk,
            through_message_id=conversation.last_message_id,
        )
    hooks.conversation_changed(user_ids=conversation.participant_ids)
    _push_after_commit(
        user_ids=conversation.participant_ids,
        event={"kind": "conversation", "conversation_id": conversation.pk, "state": "accepted"},
    )


def _waiting_error(conversation):
    return ValidationError(
        f"You can write again once {_name(conversation.recipient)} accepts your request.",
        code="pending",
    )


def _declined_error(conversation):
    return ValidationError(
        f"{_name(conversation.recipient)} is not taking new conversations right now. "
        f"You can send a new request after "
        f"{date_format(conversation.decline_cooldown_ends, 'j F Y')}.",
        code="declined",
    )


def _send_locked(conversation, *, sender, body, client_token):
    """Post into a locked conversation, whatever state it is in (or say why not)."""
    if sender.pk not in conversation.participant_ids:
        raise ValidationError("You are not part of this conversation.")
    if conversation.status == Conversation.Status.PENDING:
        if conversation.initiator_id == sender.pk:
            raise _waiting_error(conversation)
        # Writing back to someone who asked first accepts their request.
        _accept(conversation, user=sender)
    elif conversation.status == Conversation.Status.DECLINED:
        if conversation.initiator_id == sender.pk:
            raise _declined_error(conversation)
        raise ValidationError("You declined this request.", code="declined")
    _check_length(body, limit=MESSAGE_MAX_LENGTH)
    _check_reachable(sender=sender, recipient=conversation.other_user(sender))
    _rate_limit_message(user=sender)
    return _post(conversation=conversation, sender=sender, body=body, client_token=client_token)


def _request(conversation, *, sender, recipient, body, prompt, client_token):
    """Send an intro request, in a new conversation or one that was declined earlier."""
    _check_length(body, limit=INTRO_MAX_LENGTH)
    _rate_limit_intro(user=sender)
    # What the sender saw when writing goes with the request, for the recipient to weigh.
    reasons = hooks.request_reasons_for(sender=sender, recipient=recipient)
    if conversation is None:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                initiator=sender, recipient=recipient, prompt=prompt, reasons=reasons
            )
    else:
        conversation.initiator, conversation.recipient = sender, recipient
        conversation.status = Conversation.Status.PENDING
        conversation.prompt = prompt
        conversation.reasons = reasons
        conversation.responded_at = None
        conversation.save(
            update_fields=[
                "initiator",
                "recipient",
                "status",
                "prompt",
                "reasons",
                "responded_at",
            ]
        )
    for user in (sender, recipient):
        Participant.objects.get_or_create(conversation=conversation, user=user)
    hooks.conversation_changed(user_ids=(sender.pk, recipient.pk))
    _push_after_commit(
        user_ids=(recipient.pk,),
        event={"kind": "conversation", "conversation_id": conversation.pk, "state": "pending"},
    )
    return _post(
        conversation=conversation,
        sender=sender,
        body=body,
        client_token=client_token,
        is_intro=True,
    )


def conversation_start(*, sender, recipient, text, prompt="", client_token=None):
    """sender writes to recipient: an intro request, or a message where they already talk.

    Returns the saved message (message.conversation is the conversation).
    """
    duplicate = _already_sent(sender=sender, client_token=client_token)
    if duplicate is not None:
        return duplicate
    _check_reachable(sender=sender, recipient=recipient)
    body = clean_text(text)
    prompt = clean_line(prompt, max_length=PROMPT_MAX_LENGTH)
    # A request is held to INTRO_MAX_LENGTH below; where they already talk, the usual limit.
    _check_length(body, limit=MESSAGE_MAX_LENGTH)
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _start_locked(
                    sender=sender,
                    recipient=recipient,
                    body=body,
                    prompt=prompt,
                    client_token=client_token,
                )
        except IntegrityError:
            # Both people (or one double submit) created the conversation at the same moment.
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _start_locked(*, sender, recipient, body, prompt, client_token):
    conversation = _pair_locked(user=sender, other=recipient)
    duplicate = _already_sent(sender=sender, client_token=client_token)
    if duplicate is not None:
        return duplicate
    if conversation is None:
        return _request(
            None,
            sender=sender,
            recipient=recipient,
            body=body,
            prompt=prompt,
            client_token=client_token,
        )
    if conversation.status == Conversation.Status.DECLINED:
        cooldown_ends = conversation.decline_cooldown_ends
        if (
            conversation.initiator_id == sender.pk
            and cooldown_ends
            and (cooldown_ends > timezone.now())
        ):
            raise _declined_error(conversation)
        return _request(
            conversation,
            sender=sender,
            recipient=recipient,
            body=body,
            prompt=prompt,
            client_token=client_token,
        )
    return _send_locked(conversation, sender=sender, body=body, client_token=client_token)


def message_send(*, conversation, sender, body, client_token=None):
    """Post a message in a conversation; the same client token twice is one message."""
    duplicate = _already_sent(sender=sender, client_token=client_token)
    if duplicate is not None:
        return duplicate
    body = clean_text(body)
    _check_length(body, limit=MESSAGE_MAX_LENGTH)
    with transaction.atomic():
        conversation = _locked(conversation.pk)
        duplicate = _already_sent(sender=sender, client_token=client_token)
        if duplicate is not None:
            return duplicate
        return _send_locked(conversation, sender=sender, body=body, client_token=client_token)


def conversation_accept(*, conversation, user):
    """The recipient accepts a request: the conversation opens for both."""
    with transaction.atomic():
        conversation = _locked(conversation.pk)
        if conversation.status == Conversation.Status.ACCEPTED and user.pk in (
            conversation.participant_ids
        ):
            return conversation
        if (
            conversation.recipient_id != user.pk
            or conversation.status != Conversation.Status.PENDING
        ):
            raise ValidationError("This request is no longer waiting for your answer.")
        _check_reachable(sender=user, recipient=conversation.initiator)
        _accept(conversation, user=user)
    return conversation


def conversation_decline(*, conversation, user):
    """The recipient declines a request; its sender may not ask again for 30 days."""
    with transaction.atomic():
        conversation = _locked(conversation.pk)
        if conversation.status == Conversation.Status.DECLINED and conversation.recipient_id == (
            user.pk
        ):
            return conversation
        if (
            conversation.recipient_id != user.pk
            or conversation.status != Conversation.Status.PENDING
        ):
            raise ValidationError("This request is no longer waiting for your answer.")
        conversation.status = Conversation.Status.DECLINED
        conversation.responded_at = timezone.now()
        conversation.save(update_fields=["status", "responded_at"])
        hooks.conversation_changed(user_ids=conversation.participant_ids)
        _push_after_commit(
            user_ids=conversation.participant_ids,
            event={"kind": "conversation", "conversation_id": conversation.pk, "state": "declined"},
        )
    return conversation


def conversation_block(*, conversation, user):
    """Block the other person from a thread or a request: no more messages either way."""
    from profiles.services import block_create

    if user.pk not in conversation.participant_ids:
        raise ValidationError("You are not part of this conversation.")
    other = conversation.other_user(user)
    with transaction.atomic():
        block = block_create(blocker=user, blocked=other)
        _push_after_commit(
            user_ids=conversation.participant_ids,
            event={"kind": "closed", "conversation_id": conversation.pk},
        )
    return block


def message_mark_read(*, conversation, user, through_message_id=None):
    """The person has read the conversation up to `through_message_id` (default: all of it).

    Returns True if that moved their read marker; the other person's pages then show "Seen".
    """
    last_id = (
        Conversation.objects.filter(pk=conversation.pk)
        .values_list("last_message_id", flat=True)
        .first()
    )
    if not last_id:
        return False
    target = min(int(through_message_id), last_id) if through_message_id else last_id
    with transaction.atomic():
        moved = _mark_read(
            conversation_id=conversation.pk, user_id=user.pk, through_message_id=target
        )
        if moved:
            _push_after_commit(
                user_ids=(conversation.other_user_id(user.pk), user.pk),
                event={
                    "kind": "read",
                    "conversation_id": conversation.pk,
                    "reader_id": user.pk,
                    "message_id": target,
                },
            )
    return moved


def presence_touch(*, user_id):
    """Note that the person is using the app now: no emails while they are."""
    cache.set(presence_key(user_id), 1, timeout=settings.MESSAGING_ACTIVE_SECONDS)


# --- Email notifications --------------------------------------------------------------------


def unsubscribe_token(*, user):
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_user_id(*, token):
    """The person an unsubscribe link belongs to, or None for a forged or broken link."""
    try:
        return int(signing.loads(token, salt=UNSUBSCRIBE_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def notifications_unsubscribe(*, user):
    """Turn off email notifications (the one-click link in every email)."""
    from profiles.services import profile_ensure, profile_update

    profile_update(profile=profile_ensure(user=user), data={"email_notifications": False})


def _absolute(path):
    return f"{settings.SITE_URL}{path}"


def _notification_queued_key(conversation_id, recipient_id):
    return f"messaging:notify-queued:{conversation_id}:{recipient_id}"


def notification_queued_clear(*, conversation_id, recipient_id):
    """Called when a deferred check starts, so later messages can defer another one."""
    cache.delete(_notification_queued_key(conversation_id, recipient_id))


def _notify_later(*, conversation_id, recipient_id, countdown):
    from intch.celery import app
    from messaging.tasks import notify_unread_task

    if app.conf.task_always_eager:
        # In-process tasks run at once and cannot wait: the next message checks again.
        return
    key = _notification_queued_key(conversation_id, recipient_id)

    def enqueue():
        if cache.add(key, 1, timeout=int(countdown) + 60):
            notify_unread_task.apply_async(
                args=[conversation_id, recipient_id],
                kwargs={"deferred": True},
                countdown=countdown,
            )

    transaction.on_commit(enqueue, robust=True)


def notification_send_if_due(*, conversation_id, recipient_id):
    """Email a person about unread messages in one conversation, if they should get one.

    At most one email per conversation per MESSAGING_NOTIFY_EVERY_SECONDS, only about messages
    no earlier email covered, none while the person is active in the app, none if they turned
    emails off. Returns what happened, for logs and tests.
    """
    now = timezone.now()
    every = timedelta(seconds=settings.MESSAGING_NOTIFY_EVERY_SECONDS)
    with transaction.atomic():
        # The lock makes two checks for the same person and conversation take turns.
        participant = (
            Participant.objects.select_for_update()
            .filter(conversation_id=conversation_id, user_id=recipient_id)
            .first()
        )
        if participant is None:
            return "gone"
        conversation = Conversation.objects.select_related(
            "initiator__profile", "recipient__profile"
        ).get(pk=conversation_id)
        recipient = (
            conversation.initiator
            if conversation.initiator_id == recipient_id
            else conversation.recipient
        )
        sender = conversation.other_user(recipient)
        waiting_for_them = (
            conversation.status == Conversation.Status.PENDING
            and conversation.recipient_id == recipient_id
        )
        if (
            not (recipient.is_active and sender.is_active)
            or (conversation.status != Conversation.Status.ACCEPTED and not waiting_for_them)
            or _blocked_either_way(recipient, sender)
        ):
            return "hidden"
        profile = getattr(recipient, "profile", None)
        if profile is None or not profile.email_notifications:
            return "opted_out"
        last = (
            MessageNotification.objects.filter(
                conversation_id=conversation_id, recipient_id=recipient_id
            )
            .order_by("-sent_at")
            .first()
        )
        since = max(participant.last_read_message_id, last.through_message_id if last else 0)
        news = (
            Message.objects.filter(conversation_id=conversation_id, pk__gt=since)
            .exclude(sender_id=recipient_id)
            .aggregate(count=Count("pk"), newest=Max("pk"))
        )
        if not news["count"]:
            return "nothing_new"
        if person_is_active(user_id=recipient_id):
            # Check again once they could have left without reading.
            _notify_later(
                conversation_id=conversation_id,
                recipient_id=recipient_id,
                countdown=settings.MESSAGING_ACTIVE_SECONDS,
            )
            return "active"
        if last is not None and last.sent_at > now - every:
            _notify_later(
                conversation_id=conversation_id,
                recipient_id=recipient_id,
                countdown=max((last.sent_at + every - now).total_seconds(), 1),
            )
            return "deferred"
        MessageNotification.objects.create(
            conversation=conversation,
            recipient=recipient,
            through_message_id=news["newest"],
            message_count=news["count"],
            sent_at=now,
        )
        # Inside the transaction: if sending fails, the record goes too and the task retries.
        _send_unread_email(
            recipient=recipient,
            sender=sender,
            conversation=conversation,
            count=news["count"],
            is_request=waiting_for_them,
        )
    return "sent"


def _send_unread_email(*, recipient, sender, conversation, count, is_request):
    sender_name = _name(sender)
    site_name = settings.SITE_NAME
    if is_request:
        subject = f"{sender_name} would like to connect with you on {site_name}"
    elif count == 1:
        subject = f"{sender_name} sent you a message on {site_name}"
    else:
        subject = f"{sender_name} sent you {count} messages on {site_name}"
    unsubscribe_url = _absolute(
        reverse("messaging:unsubscribe", kwargs={"token": unsubscribe_token(user=recipient)})
    )
    context = {
        "recipient_name": _name(recipient),
        "sender_name": sender_name,
        "count": count,
        "is_request": is_request,
        "thread_url": _absolute(conversation.get_absolute_url()),
        "settings_url": _absolute(reverse("profiles:settings")),
        "unsubscribe_url": unsubscribe_url,
        "every_minutes": settings.MESSAGING_NOTIFY_EVERY_SECONDS // 60,
    }
    email_message(
        subject=subject,
        to=[recipient.email],
        text_template="messaging/email/unread.txt",
        html_template="messaging/email/unread.html",
        context=context,
        headers={
            # RFC 8058: mail clients show an unsubscribe button that POSTs to this link.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    ).send()


# --- Reports and moderation ----------------------------------------------------------------


def report_create(*, reporter, reported, reason, details="", message=None):
    """File a report about a person (and optionally one of their messages) for the moderators.

    While the reporter's earlier report about the same person and message is still open, that
    one is returned instead of a second (a double submit, or a second try): new details are
    added to it.
    """
    if reporter.pk == reported.pk:
        raise ValidationError("You cannot report yourself.")
    if message is not None and message.sender_id != reported.pk:
        raise ValidationError("That message was not sent by this person.")
    report = Report(
        reporter=reporter,
        reported=reported,
        message=message,
        reason=reason,
        details=clean_text(details),
    )
    report.full_clean(exclude=["reporter", "reported", "message", "resolved_by"])
    with transaction.atomic():
        # One reporter's reports take turns, so a double submit finds the first one.
        get_user_model().objects.select_for_update(no_key=True).filter(pk=reporter.pk).first()
        existing = Report.objects.filter(
            reporter=reporter, reported=reported, message=message, status=Report.Status.OPEN
        ).first()
        if existing is not None:
            return _report_add_details(existing, details=report.details)
        report.save()
    logger.info("report %s filed about user %s", report.pk, reported.pk)
    return report


def _report_add_details(report, *, details):
    if details and details not in report.details:
        combined = f"{report.details}\n\n{details}" if report.details else details
        if len(combined) <= REPORT_DETAILS_MAX_LENGTH:
            report.details = combined
            report.save(update_fields=["details"])
    return report


def reports_filed_anonymise(*, user):
    """A leaving person's reports stay for the moderators, without them and what they wrote."""
    Report.objects.filter(reporter=user).update(reporter=None, details="")


def _resolve(reports, *, status, moderator):
    return Report.objects.filter(pk__in=[report.pk for report in reports]).update(
        status=status, resolved_at=timezone.now(), resolved_by=moderator
    )


def reports_dismiss(*, reports, moderator):
    """Close reports without action."""
    return _resolve(reports, status=Report.Status.DISMISSED, moderator=moderator)


def reports_warn(*, reports, moderator):
    """Email each reported person a warning and close the reports."""
    from messaging.tasks import moderation_warning_task

    reported_ids = sorted({report.reported_id for report in reports})
    with transaction.atomic():
        count = _resolve(reports, status=Report.Status.WARNED, moderator=moderator)
        for user_id in reported_ids:
            transaction.on_commit(
                lambda user_id=user_id: moderation_warning_task.delay(user_id), robust=True
            )
    return count


def moderation_warning_send(*, user_id):
    """The warning email a moderator chose to send."""
    user = get_user_model().objects.filter(pk=user_id).select_related("profile").first()
    if user is None:
        return False
    email_message(
        subject=f"A note from the {settings.SITE_NAME} moderators",
        to=[user.email],
        text_template="messaging/email/warning.txt",
        context={"name": _name(user), "guidelines_url": _absolute(reverse("home"))},
    ).send()
    return True


def reports_suspend(*, reports, moderator):
    """Suspend each reported person's account and close the reports."""
    count = 0
    users = get_user_model().objects.filter(
        pk__in={report.reported_id for report in reports}, is_active=True
    )
    with transaction.atomic():
        for user in users:
            account_suspend(user=user, moderator=moderator)
        count = _resolve(reports, status=Report.Status.SUSPENDED, moderator=moderator)
    return count


def account_suspend(*, user, moderator=None):
    """A suspended person cannot log in, vanishes from matches and from others' messages."""
    from matching.services import matches_changed_for

    with transaction.atomic():
        get_user_model().objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        Report.objects.filter(reported=user, status=Report.Status.OPEN).update(
            status=Report.Status.SUSPENDED, resolved_at=timezone.now(), resolved_by=moderator
        )
        matches_changed_for(user_id=user.pk)
        unread_counts_forget_partners(user_id=user.pk)
        _push_after_commit(user_ids=(user.pk,), event={"kind": "account_closed"})
    logger.info("user %s suspended by %s", user.pk, getattr(moderator, "pk", None))
    return user
