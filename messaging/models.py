"""Conversations between two people: intro requests, messages, read state, reports."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Greatest, Least
from django.urls import reverse
from django.utils import timezone

INTRO_MAX_LENGTH = 1000
MESSAGE_MAX_LENGTH = 5000
REPORT_DETAILS_MAX_LENGTH = 1000
PROMPT_MAX_LENGTH = 120
DECLINE_COOLDOWN = timedelta(days=30)


class Conversation(models.Model):
    """One per pair of people. It starts as a request that the recipient accepts or declines."""

    class Status(models.TextChoices):
        PENDING = "pending", "Request waiting"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations_started"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations_received"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The shared interest or goal the initiator said prompted the request.
    prompt = models.CharField(max_length=PROMPT_MAX_LENGTH, blank=True)
    # Why the two would get along, as the initiator saw it when sending the request (score,
    # shared interests and values, goals that fit; see messaging.hooks). Kept with the request
    # because lists are recomputed: the initiator's match may be gone by the time the
    # recipient reads it, and the recipient may never have had the initiator as a match.
    reasons = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_message_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One conversation per pair, whoever started it.
            models.UniqueConstraint(
                Least("initiator", "recipient"),
                Greatest("initiator", "recipient"),
                name="unique_conversation_pair",
            ),
            models.CheckConstraint(
                condition=~models.Q(initiator=models.F("recipient")),
                name="no_self_conversation",
            ),
        ]
        indexes = [
            models.Index(fields=("recipient", "status")),
            models.Index(fields=("initiator", "status")),
            models.Index(fields=("-last_message_at", "-id"), name="conversation_activity"),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk} ({self.initiator_id} → {self.recipient_id}, {self.status})"

    def get_absolute_url(self) -> str:
        return reverse("messaging:thread", kwargs={"conversation_id": self.pk})

    def other_user(self, user: Any) -> Any:
        return self.recipient if user.pk == self.initiator_id else self.initiator

    def other_user_id(self, user_id: int) -> int:
        return self.recipient_id if user_id == self.initiator_id else self.initiator_id

    @property
    def participant_ids(self) -> tuple[int, int]:
        return (self.initiator_id, self.recipient_id)

    @property
    def decline_cooldown_ends(self) -> datetime | None:
        if self.status != self.Status.DECLINED or self.responded_at is None:
            return None
        return self.responded_at + DECLINE_COOLDOWN


class Participant(models.Model):
    """One person's side of a conversation: how far they have read."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_sides"
    )
    last_read_message_id = models.PositiveBigIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("conversation", "user"), name="unique_participant"),
        ]
        indexes = [models.Index(fields=("user", "conversation"))]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_sent"
    )
    body = models.TextField(validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH)])
    is_intro = models.BooleanField(default=False)
    # Set by the compose form: the same token twice (a double submit) is one message.
    client_token = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(
                fields=("sender", "client_token"),
                condition=models.Q(client_token__isnull=False),
                name="unique_message_client_token",
            ),
        ]
        indexes = [models.Index(fields=("conversation", "id"), name="message_conversation_id")]

    def __str__(self) -> str:
        return f"message {self.pk} in {self.conversation_id}"


class MessageNotification(models.Model):
    """One email that told `recipient` about unread messages in `conversation`."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_notifications"
    )
    # The newest message the email covered: later emails only tell about newer ones.
    through_message_id = models.PositiveBigIntegerField()
    message_count = models.PositiveIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=("conversation", "recipient", "-sent_at"), name="notification_latest"
            )
        ]

    def __str__(self) -> str:
        return f"email to {self.recipient_id} about {self.conversation_id} at {self.sent_at}"


class Report(models.Model):
    """A person reported a message or another person; staff handle it in the admin."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or unwanted selling"
        HARASSMENT = "harassment", "Harassment, hate or threats"
        INAPPROPRIATE = "inappropriate", "Sexual or otherwise inappropriate content"
        FAKE = "fake", "Fake profile or impersonation"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Dismissed"
        WARNED = "warned", "Person warned"
        SUSPENDED = "suspended", "Account suspended"

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="reports_made",
    )
    reported = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_received"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.TextField(
        blank=True, validators=[MaxLengthValidator(REPORT_DETAILS_MAX_LENGTH)]
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ("-created_at",)
        indexes = [models.Index(fields=("status", "-created_at"), name="report_queue")]

    def __str__(self) -> str:
        return f"report {self.pk} on {self.reported_id} ({self.get_reason_display()})"
