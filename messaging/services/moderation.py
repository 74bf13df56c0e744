"""Reports and moderation: people report a message or a person; staff dismiss, warn or suspend."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import account_suspend
from intch.emails import email_message
from intch.inputs import clean_text
from intch.outbox import email_enqueue
from messaging.models import REPORT_DETAILS_MAX_LENGTH, Message, Report
from messaging.services.notifications import absolute
from profiles.selectors import person_name

logger = logging.getLogger(__name__)


def report_create(
    *,
    reporter: User,
    reported: User,
    reason: str,
    details: str = "",
    message: Message | None = None,
) -> Report:
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
        User.objects.select_for_update(no_key=True).filter(pk=reporter.pk).first()
        existing = Report.objects.filter(
            reporter=reporter, reported=reported, message=message, status=Report.Status.OPEN
        ).first()
        if existing is not None:
            return _report_add_details(existing, details=report.details)
        report.save()
    logger.info("report %s filed about user %s", report.pk, reported.pk)
    return report


def _report_add_details(report: Report, *, details: str) -> Report:
    if details and details not in report.details:
        combined = f"{report.details}\n\n{details}" if report.details else details
        if len(combined) <= REPORT_DETAILS_MAX_LENGTH:
            report.details = combined
            report.save(update_fields=["details"])
    return report


def reports_filed_anonymise(*, user: User) -> None:
    """A leaving person's reports stay for the moderators, without them and what they wrote."""
    Report.objects.filter(reporter=user).update(reporter=None, details="")


def reports_close_for_suspended(*, user_id: int, moderator_id: int | None) -> int:
    """A suspended person's open reports are handled: closed as "Account suspended"."""
    return Report.objects.filter(reported_id=user_id, status=Report.Status.OPEN).update(
        status=Report.Status.SUSPENDED, resolved_at=timezone.now(), resolved_by_id=moderator_id
    )


def _resolve(reports: Iterable[Report], *, status: str, moderator: User) -> int:
    return Report.objects.filter(pk__in=[report.pk for report in reports]).update(
        status=status, resolved_at=timezone.now(), resolved_by=moderator
    )


def reports_dismiss(*, reports: Iterable[Report], moderator: User) -> int:
    """Close reports without action."""
    return _resolve(reports, status=Report.Status.DISMISSED, moderator=moderator)


def reports_warn(*, reports: Iterable[Report], moderator: User) -> int:
    """Email each reported person a warning (through the outbox) and close the reports."""
    reports = list(reports)
    reported = User.objects.filter(
        pk__in={report.reported_id for report in reports}
    ).select_related("profile")
    with transaction.atomic():
        count = _resolve(reports, status=Report.Status.WARNED, moderator=moderator)
        for user in reported.order_by("pk"):
            email_enqueue(message=_warning(user), kind="messaging.warning", user=user)
    return count


def _warning(user: User) -> EmailMultiAlternatives:
    return email_message(
        subject=f"A note from the {settings.SITE_NAME} moderators",
        to=[user.email],
        text_template="messaging/email/warning.txt",
        context={"name": person_name(user=user), "guidelines_url": absolute(reverse("home"))},
    )


def reports_suspend(*, reports: Iterable[Report], moderator: User) -> int:
    """Suspend each reported person's account and close the reports."""
    reports = list(reports)
    users = User.objects.filter(pk__in={report.reported_id for report in reports}, is_active=True)
    with transaction.atomic():
        for user in users:
            account_suspend(user=user, moderator=moderator)
        return _resolve(reports, status=Report.Status.SUSPENDED, moderator=moderator)
