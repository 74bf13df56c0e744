"""The moderation queue in the admin: reports with their messages; dismiss, warn, suspend."""

import pytest
from django.core import mail
from django.urls import reverse

from messaging import selectors, services
from messaging.models import Report
from tests.factories import complete_profile, conversation_between

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:messaging_report_changelist")


@pytest.fixture
def report():
    spammer = complete_profile(display_name="Spam Sender").user
    reporter = complete_profile(display_name="Rita Reporter").user
    conversation = conversation_between(spammer, reporter, text="Hi, nice to meet you")
    message = services.message_send(
        conversation=conversation, sender=spammer, body="Buy <b>cheap</b> watches"
    )
    return services.report_create(
        reporter=reporter, reported=spammer, message=message, reason=Report.Reason.SPAM
    )


def _act(client, action, report):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [report.pk]}, follow=True)


def test_the_queue_lists_open_reports_with_the_message(admin_client, report):
    response = admin_client.get(CHANGELIST)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Spam Sender" in body
    assert "Buy &lt;b&gt;cheap&lt;/b&gt; watches" in body


def test_a_report_shows_the_reported_message_and_its_context(admin_client, report):
    response = admin_client.get(reverse("admin:messaging_report_change", args=[report.pk]))

    body = response.content.decode()
    assert "Buy &lt;b&gt;cheap&lt;/b&gt; watches" in body
    assert "Hi, nice to meet you" in body  # the reported person's other messages to the reporter
    assert "<b>cheap</b>" not in body
    # Styled from a stylesheet: the Content-Security-Policy blocks inline style attributes.
    assert "moderation-admin.css" in body and "moderation-message--reported" in body
    assert " style=" not in body.split("moderation-messages", 1)[1].split("</ol>", 1)[0]


def test_dismissed_reports_leave_the_queue(admin_client, report):
    _act(admin_client, "dismiss", report)

    report.refresh_from_db()
    assert report.status == Report.Status.DISMISSED
    assert "Spam Sender" not in admin_client.get(CHANGELIST).content.decode()
    assert "Spam Sender" in admin_client.get(CHANGELIST, {"queue": "closed"}).content.decode()


def test_warning_emails_the_reported_person(
    admin_client, report, tasks_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _act(admin_client, "warn", report)

    report.refresh_from_db()
    assert report.status == Report.Status.WARNED
    assert [email.to for email in mail.outbox] == [[report.reported.email]]
    assert "moderators" in mail.outbox[0].subject


def test_suspending_locks_the_account_out(admin_client, report, client, password):
    from django.contrib.auth import get_user_model

    _act(admin_client, "suspend", report)

    reported = get_user_model().objects.get(pk=report.reported_id)
    report.refresh_from_db()
    assert report.status == Report.Status.SUSPENDED
    assert reported.is_active is False
    assert not client.login(email=reported.email, password=password)
    assert list(selectors.inbox_for(user=report.reporter)) == []


def test_staff_cannot_add_reports_by_hand(admin_client):
    assert admin_client.get(reverse("admin:messaging_report_add")).status_code == 403
