"""The outbox: every email intch sends is a row written in the transaction that decided to send
it, and goes out after commit from a task keyed by the row's id.

- Nothing leaves the process inside a transaction or a lock: a slow mail server delays the
  task, never a page (a person opening their conversation, say).
- A rolled-back transaction sends nothing: its row never existed.
- Sent once: the task claims the row with a conditional UPDATE (pending -> sending), so two
  deliveries of the task, or a task and the sweeper, never both send it; a sent row is never
  claimed again. A failure puts the row back to pending and the task retries with backoff;
  after MAX_ATTEMPTS it stays failed (the admin of the outbox shows it).
- If the process dies after the mail server accepted the email but before the row was marked
  sent (a window of one UPDATE), the row stays "sending"; the sweeper (outbox_sweep_task, every
  few minutes) sends it again once its claim is older than CLAIM_SECONDS. That one email may
  then arrive twice: intch prefers that to losing it, and the window is milliseconds wide.
- A sent email's content is emptied (it may hold a login link); address, subject and time stay
  for the person's data export, and rows with no person are purged after KEEP_DAYS.
"""

import logging
from datetime import timedelta
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from intch.models import OutboxEmail

logger = logging.getLogger(__name__)

# A claim older than this is taken to belong to a process that died (longer than any send).
CLAIM_SECONDS = 10 * 60
# A pending row this old lost its task (the broker was down at commit): the sweeper sends it.
LOST_AFTER_SECONDS = 5 * 60
MAX_ATTEMPTS = 8
KEEP_DAYS = 30


def email_enqueue(*, message: EmailMessage, kind: str, user: Any = None) -> OutboxEmail:
    """Record `message` for sending once the current transaction commits (at once outside one)."""
    html = ""
    for content, mimetype in getattr(message, "alternatives", ()):
        if mimetype == "text/html":
            html = str(content)
    email = OutboxEmail.objects.create(
        user=user if getattr(user, "pk", None) else None,
        kind=kind[:60],
        from_email=message.from_email,
        to=list(message.to),
        subject=str(message.subject),
        body=str(message.body),
        html=html,
        headers=dict(message.extra_headers),
    )
    transaction.on_commit(lambda: _send_later(email.pk), robust=True)
    return email


def _send_later(email_id: int) -> None:
    # Imported here: the tasks module imports this one (the outbox and its task).
    from intch.tasks import outbox_send_task

    try:
        outbox_send_task.delay(email_id)
    except Exception:
        # The broker is down: the row waits, and the sweeper queues it again.
        logger.warning("could not queue email %s; the sweeper will", email_id, exc_info=True)


def _claim(email_id: int) -> bool:
    """Take the row for sending; False if it is sent, failed, or being sent by another."""
    now = timezone.now()
    stale = now - timedelta(seconds=CLAIM_SECONDS)
    return bool(
        OutboxEmail.objects.filter(pk=email_id)
        .filter(
            Q(status=OutboxEmail.Status.PENDING)
            | Q(status=OutboxEmail.Status.SENDING, claimed_at__lt=stale)
        )
        .update(status=OutboxEmail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def _message(email: OutboxEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=email.from_email,
        to=email.to,
        headers=email.headers,
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


def email_send(*, email_id: int) -> str:
    """Send one recorded email if nobody has (the task calls this); returns what happened.

    Raises when the mail server fails, after putting the row back for a retry.
    """
    if not _claim(email_id):
        return "skipped"
    email = OutboxEmail.objects.get(pk=email_id)
    try:
        get_connection().send_messages([_message(email)])
    except Exception as error:
        status = (
            OutboxEmail.Status.FAILED
            if email.attempts >= MAX_ATTEMPTS
            else OutboxEmail.Status.PENDING
        )
        OutboxEmail.objects.filter(pk=email_id, status=OutboxEmail.Status.SENDING).update(
            status=status, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
    OutboxEmail.objects.filter(pk=email_id, status=OutboxEmail.Status.SENDING).update(
        status=OutboxEmail.Status.SENT, sent_at=timezone.now(), body="", html="", last_error=""
    )
    return "sent"


def emails_sweep() -> int:
    """Queue again the emails whose task was lost or whose sender died; purge old rows.

    Returns how many were queued.
    """
    now = timezone.now()
    stuck = OutboxEmail.objects.filter(
        Q(
            status=OutboxEmail.Status.PENDING,
            created_at__lt=now - timedelta(seconds=LOST_AFTER_SECONDS),
        )
        | Q(
            status=OutboxEmail.Status.SENDING,
            claimed_at__lt=now - timedelta(seconds=CLAIM_SECONDS),
        )
    ).values_list("pk", flat=True)
    ids = list(stuck[:1000])
    for email_id in ids:
        _send_later(email_id)
    OutboxEmail.objects.filter(
        user__isnull=True,
        status__in=(OutboxEmail.Status.SENT, OutboxEmail.Status.FAILED),
        created_at__lt=now - timedelta(days=KEEP_DAYS),
    ).delete()
    return len(ids)


def emails_export(*, user: Any) -> list[dict[str, Any]]:
    """The emails intch sent (or is about to send) a person, for their data export."""
    return [
        {
            "kind": email.kind,
            "to": email.to,
            "subject": email.subject,
            "status": email.status,
            "created_at": email.created_at.isoformat(),
            "sent_at": email.sent_at.isoformat() if email.sent_at else None,
        }
        for email in OutboxEmail.objects.filter(user=user).order_by("created_at", "pk")
    ]
