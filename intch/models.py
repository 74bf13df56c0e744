"""The core's one table: the outbox every email of intch goes through (intch/outbox.py).

intch's AppConfig also listens to post_migrate (the Sites record follows SITE_URL), which
Django sends only to apps with a models module.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutboxEmail(models.Model):
    """One email to send: written in the transaction that decided to send it, sent after
    commit by a task that claims the row first, so it is sent once (see intch/outbox.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed for good"

    # The person it is for, when intch knows them (an unknown address has none).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbox_emails",
    )
    kind = models.CharField(max_length=60)  # what it is about: "messaging.unread", "account/..."
    from_email = models.CharField(max_length=320)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=998)
    # The content goes once the email is sent (it may hold a login link).
    body = models.TextField(blank=True)
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=("status", "created_at"), name="outbox_queue")]

    def __str__(self) -> str:
        return f"email {self.pk} ({self.kind}, {self.status})"
