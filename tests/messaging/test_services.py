import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from accounts.services import account_suspend, block_create, block_delete, presence_touch
from messaging import selectors, services
from messaging.models import Conversation, Message, MessageNotification, Participant, Report
from tests.factories import complete_profile, conversation_between

pytestmark = pytest.mark.django_db


def _codes(error):
    return {getattr(error, "code", None)} | {e.code for e in error.error_list}


# --- Requests -------------------------------------------------------------------------------


def test_an_intro_lands_in_the_recipients_requests(alice, bob):
    message = services.conversation_start(
        sender=alice, recipient=bob, text="Hi Bob!\nLet's talk.", prompt="Rust"
    )

    conversation = message.conversation
    assert conversation.status == Conversation.Status.PENDING
    assert (conversation.initiator, conversation.recipient) == (alice, bob)
    assert conversation.prompt == "Rust"
    assert message.is_intro and message.body == "Hi Bob!\nLet's talk."
    assert list(selectors.requests_for(user=bob)) == [conversation]
    assert list(selectors.requests_for(user=alice)) == []
    assert list(selectors.sent_requests_for(user=alice)) == [conversation]
    assert list(selectors.inbox_for(user=bob)) == []
    assert selectors.unread_counts(user=bob) == {"messages": 0, "requests": 1}


def test_the_sender_cannot_write_again_until_the_request_is_accepted(alice, bob):
    message = services.conversation_start(sender=alice, recipient=bob, text="Hi")

    with pytest.raises(ValidationError) as again:
        services.conversation_start(sender=alice, recipient=bob, text="Hello??")
    with pytest.raises(ValidationError):
        services.message_send(conversation=message.conversation, sender=alice, body="Anyone?")

    assert "pending" in _codes(again.value)
    assert "once Bob Baker accepts" in again.value.messages[0]
    assert Message.objects.count() == 1


def test_accepting_opens_the_conversation_for_both(alice, bob):
    conversation = services.conversation_start(sender=alice, recipient=bob, text="Hi").conversation

    services.conversation_accept(conversation=conversation, user=bob)
    services.message_send(conversation=conversation, sender=bob, body="Hi Alice")
    services.message_send(conversation=conversation, sender=alice, body="Great to meet you")

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ACCEPTED
    assert conversation.last_message.body == "Great to meet you"
    assert list(selectors.inbox_for(user=alice)) == [conversation]
    assert list(selectors.inbox_for(user=bob)) == [conversation]
    assert selectors.unread_counts(user=bob) == {"messages": 1, "requests": 0}


def test_only_the_recipient_can_accept_or_decline(alice, bob):
    conversation = services.conversation_start(sender=alice, recipient=bob, text="Hi").conversation

    with pytest.raises(ValidationError):
        services.conversation_accept(conversation=conversation, user=alice)
    with pytest.raises(ValidationError):
        services.conversation_decline(conversation=conversation, user=alice)


def test_people_already_talking_just_continue(alice, bob):
    conversation = conversation_between(alice, bob)

    message = services.conversation_start(sender=bob, recipient=alice, text="Me again")

    assert message.conversation == conversation
    assert not message.is_intro
    assert Conversation.objects.count() == 1


def test_writing_back_to_a_request_accepts_it(alice, bob):
    services.conversation_start(sender=alice, recipient=bob, text="Hi")

    message = services.conversation_start(sender=bob, recipient=alice, text="Hi yourself")

    assert message.conversation.status == Conversation.Status.ACCEPTED
    assert Conversation.objects.count() == 1


def test_a_declined_sender_waits_30_days(alice, bob):
    conversation = services.conversation_start(sender=alice, recipient=bob, text="Hi").conversation
    services.conversation_decline(conversation=conversation, user=bob)

    with pytest.raises(ValidationError) as refused:
        services.conversation_start(sender=alice, recipient=bob, text="Please?")
    assert "declined" in _codes(refused.value)
    assert "not taking new conversations" in refused.value.messages[0]
    assert list(selectors.requests_for(user=bob)) == []

    Conversation.objects.filter(pk=conversation.pk).update(
        responded_at=timezone.now() - timedelta(days=31)
    )
    again = services.conversation_start(sender=alice, recipient=bob, text="A month later")

    assert again.conversation.pk == conversation.pk
    assert again.conversation.status == Conversation.Status.PENDING
    assert list(selectors.requests_for(user=bob)) == [conversation]


def test_the_person_who_declined_may_write_later(alice, bob):
    conversation = services.conversation_start(sender=alice, recipient=bob, text="Hi").conversation
    services.conversation_decline(conversation=conversation, user=bob)

    message = services.conversation_start(sender=bob, recipient=alice, text="Changed my mind")

    conversation.refresh_from_db()
    assert message.conversation == conversation
    assert (conversation.initiator, conversation.status) == (bob, Conversation.Status.PENDING)


def test_you_cannot_write_to_yourself(alice):
    with pytest.raises(ValidationError):
        services.conversation_start(sender=alice, recipient=alice, text="Hi me")


# --- Lengths ---------------------------------------------------------------------------------


def test_intros_are_at_most_1000_characters_and_messages_5000(alice, bob):
    with pytest.raises(ValidationError) as long_intro:
        services.conversation_start(sender=alice, recipient=bob, text="x" * 1001)
    assert "1,001 characters long and the limit is 1,000" in long_intro.value.messages[0]
    services.conversation_start(sender=alice, recipient=bob, text="x" * 1000)
    conversation = Conversation.objects.get()
    services.conversation_accept(conversation=conversation, user=bob)

    services.message_send(conversation=conversation, sender=bob, body="y" * 5000)
    with pytest.raises(ValidationError) as long_message:
        services.message_send(conversation=conversation, sender=bob, body="y" * 5001)
    with pytest.raises(ValidationError):
        services.message_send(conversation=conversation, sender=bob, body="  \n ")

    assert "shorten it by 1 character." in long_message.value.messages[0]


def test_line_breaks_are_kept_and_windows_line_endings_normalised(alice, bob):
    conversation = conversation_between(alice, bob)

    message = services.message_send(
        conversation=conversation, sender=alice, body="  one\r\ntwo\r\n\r\nthree  "
    )

    assert message.body == "one\ntwo\n\nthree"


# --- Blocking --------------------------------------------------------------------------------


def test_block_stops_messages_both_ways_and_hides_the_conversation(alice, bob):
    conversation = conversation_between(alice, bob)

    services.conversation_block(conversation=conversation, user=bob)

    for sender in (alice, bob):
        with pytest.raises(ValidationError):
            services.message_send(conversation=conversation, sender=sender, body="Hello?")
        with pytest.raises(ValidationError):
            services.conversation_start(
                sender=sender, recipient=conversation.other_user(sender), text="Hi"
            )
    assert list(selectors.inbox_for(user=alice)) == []
    assert list(selectors.inbox_for(user=bob)) == []
    with pytest.raises(Http404) as hidden:
        selectors.conversation_get_for_participant(user=alice, conversation_id=conversation.pk)
    assert hidden.type.__name__ == "Http404"


def test_unblocking_brings_the_conversation_back(alice, bob):
    conversation = conversation_between(alice, bob)
    block_create(blocker=alice, blocked=bob)

    block_delete(blocker=alice, blocked=bob)

    assert list(selectors.inbox_for(user=bob)) == [conversation]
    services.message_send(conversation=conversation, sender=bob, body="Welcome back")


def test_a_request_from_a_blocked_person_vanishes(alice, bob):
    services.conversation_start(sender=alice, recipient=bob, text="Hi")

    block_create(blocker=bob, blocked=alice)

    assert list(selectors.requests_for(user=bob)) == []
    assert selectors.unread_counts(user=bob) == {"messages": 0, "requests": 0}


# --- Rate limits -----------------------------------------------------------------------------


def test_new_requests_per_day_are_limited(settings, alice):
    settings.MESSAGING_INTRO_REQUESTS_PER_DAY = 2
    people = [complete_profile().user for _ in range(3)]

    services.conversation_start(sender=alice, recipient=people[0], text="Hi")
    services.conversation_start(sender=alice, recipient=people[1], text="Hi")
    with pytest.raises(ValidationError) as limited:
        services.conversation_start(sender=alice, recipient=people[2], text="Hi")

    assert services.RATE_LIMITED in _codes(limited.value)
    assert "2 new requests in the last 24 hours" in limited.value.messages[0]
    assert Conversation.objects.count() == 2


def test_messages_per_minute_are_limited(settings, alice, bob):
    settings.MESSAGING_MESSAGES_PER_MINUTE = 3
    conversation = conversation_between(alice, bob)

    for number in range(3):
        services.message_send(conversation=conversation, sender=alice, body=f"{number}")
    with pytest.raises(ValidationError) as limited:
        services.message_send(conversation=conversation, sender=alice, body="one too many")
    services.message_send(conversation=conversation, sender=bob, body="Bob has his own limit")

    assert services.RATE_LIMITED in _codes(limited.value)
    assert "Please wait 1 minute" in limited.value.messages[0]


# --- Nothing lost, nothing doubled -----------------------------------------------------------


def test_the_same_client_token_twice_is_one_message(alice, bob):
    conversation = conversation_between(alice, bob)
    token = uuid.uuid4()

    first = services.message_send(
        conversation=conversation, sender=alice, body="Once", client_token=token
    )
    second = services.message_send(
        conversation=conversation, sender=alice, body="Once", client_token=token
    )

    assert first.pk == second.pk
    assert Message.objects.filter(body="Once").count() == 1


def test_a_double_submitted_intro_is_one_request(alice, bob):
    token = uuid.uuid4()

    first = services.conversation_start(sender=alice, recipient=bob, text="Hi", client_token=token)
    # The second submit would otherwise be refused: the request is still pending.
    second = services.conversation_start(sender=alice, recipient=bob, text="Hi", client_token=token)

    assert first.pk == second.pk
    assert Message.objects.count() == 1


def test_a_failing_live_push_and_email_never_lose_the_message(
    monkeypatch, alice, bob, tasks_inline, django_capture_on_commit_callbacks
):
    conversation = conversation_between(alice, bob)

    class BrokenLayer:
        async def group_send(self, group, message):
            raise ConnectionError("channel layer down")

    def broken_task(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(services.live, "get_channel_layer", lambda: BrokenLayer())
    monkeypatch.setattr("messaging.tasks.notify_unread_task.apply_async", broken_task)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = services.message_send(conversation=conversation, sender=alice, body="Still here")

    assert callbacks
    assert Message.objects.filter(pk=message.pk, body="Still here").exists()


# --- Read state ------------------------------------------------------------------------------


def test_marking_read_clears_unread_and_shows_seen_to_the_sender(alice, bob):
    conversation = conversation_between(alice, bob)
    intro = conversation.last_message
    first = services.message_send(conversation=conversation, sender=alice, body="One")
    services.message_send(conversation=conversation, sender=alice, body="Two")
    assert selectors.unread_counts(user=bob)["messages"] == 2
    # Accepting the request read the introduction.
    assert selectors.seen_message_id(conversation=conversation, viewer=alice) == intro.pk

    assert services.message_mark_read(
        conversation=conversation, user=bob, through_message_id=first.pk
    )

    assert selectors.unread_counts(user=bob)["messages"] == 1
    assert selectors.seen_message_id(conversation=conversation, viewer=alice) == first.pk
    services.message_mark_read(conversation=conversation, user=bob)
    assert selectors.unread_counts(user=bob)["messages"] == 0
    # Nothing more to read: the marker does not move.
    assert not services.message_mark_read(conversation=conversation, user=bob)


def test_reading_cannot_claim_messages_that_do_not_exist(alice, bob):
    conversation = conversation_between(alice, bob)

    services.message_mark_read(conversation=conversation, user=bob, through_message_id=10**9)

    participant = Participant.objects.get(conversation=conversation, user=bob)
    assert participant.last_read_message_id == conversation.last_message_id


def test_unread_counts_take_one_query(alice, bob, django_assert_num_queries):
    conversation = conversation_between(alice, bob)
    services.message_send(conversation=conversation, sender=alice, body="Hi")
    services.conversation_start(sender=complete_profile().user, recipient=bob, text="Hey")

    with django_assert_num_queries(1):
        counts = selectors.unread_counts(user=bob)

    assert counts == {"messages": 1, "requests": 1}


def test_the_inbox_is_one_query_whatever_its_length(alice, django_assert_num_queries):
    for _ in range(4):
        other = complete_profile().user
        conversation = conversation_between(other, alice)
        services.message_send(conversation=conversation, sender=other, body="News")

    with django_assert_num_queries(1):
        rows = [
            (c.other_user(alice).profile.name, c.last_message.body, c.unread_count)
            for c in selectors.inbox_for(user=alice)
        ]

    assert len(rows) == 4
    assert {row[2] for row in rows} == {1}


def test_inbox_is_ordered_by_latest_activity_and_searchable_by_name(alice):
    carol = complete_profile(display_name="Carol Cook").user
    dave = complete_profile(display_name="Dave Dunn").user
    with_carol = conversation_between(alice, carol)
    with_dave = conversation_between(alice, dave)
    services.message_send(conversation=with_carol, sender=carol, body="Newest")

    assert list(selectors.inbox_for(user=alice)) == [with_carol, with_dave]
    assert list(selectors.inbox_for(user=alice, query="dun")) == [with_dave]
    assert list(selectors.inbox_for(user=alice, query="nobody")) == []


# --- Suspension and export -------------------------------------------------------------------


def test_a_suspended_person_vanishes_from_conversations(alice, bob):
    conversation = conversation_between(alice, bob)

    account_suspend(user=alice)

    alice.refresh_from_db()
    assert not alice.is_active
    assert list(selectors.inbox_for(user=bob)) == []
    with pytest.raises(ValidationError):
        services.message_send(conversation=conversation, sender=bob, body="Hello?")


def test_the_data_export_includes_conversations_and_messages(alice, bob):
    from intch.personal_data import export

    conversation = conversation_between(alice, bob, text="Intro")
    services.message_send(conversation=conversation, sender=bob, body="Reply")

    exported = export(user=alice)["conversations"]

    assert len(exported) == 1
    assert exported[0]["with"]["name"] == "Bob Baker"
    assert exported[0]["started_by_me"] is True
    assert [(m["from_me"], m["body"]) for m in exported[0]["messages"]] == [
        (True, "Intro"),
        (False, "Reply"),
    ]


# --- Email notifications (in-process tasks here; tests/messaging/test_tasks.py uses a worker) --


@pytest.fixture
def notify_now(settings, tasks_inline):
    settings.MESSAGING_NOTIFY_DELAY_SECONDS = 0


def _send(conversation, sender, body, capture):
    with capture(execute=True):
        return services.message_send(conversation=conversation, sender=sender, body=body)


def test_an_unread_message_sends_one_email_with_an_unsubscribe_link(
    alice, bob, notify_now, django_capture_on_commit_callbacks
):
    conversation = conversation_between(alice, bob)

    _send(conversation, alice, "Are you free on Friday?", django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [bob.email]
    assert email.subject == "Alice Archer sent you a message on intch"
    assert "Are you free" not in email.body  # message text stays in the app
    assert f"/messages/{conversation.pk}/" in email.body
    unsubscribe = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert "/messages/unsubscribe/" in unsubscribe and unsubscribe in email.body
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert MessageNotification.objects.get().message_count == 1


def test_at_most_one_email_per_conversation_per_15_minutes(
    alice, bob, notify_now, django_capture_on_commit_callbacks
):
    conversation = conversation_between(alice, bob)
    _send(conversation, alice, "One", django_capture_on_commit_callbacks)
    _send(conversation, alice, "Two", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1

    MessageNotification.objects.update(sent_at=timezone.now() - timedelta(minutes=16))
    _send(conversation, alice, "Three", django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 2
    latest = MessageNotification.objects.order_by("-sent_at").first()
    assert latest.message_count == 2  # "Two" and "Three": the first email covered "One"


def test_no_email_while_active_in_the_app_or_when_turned_off(
    alice, bob, notify_now, django_capture_on_commit_callbacks
):
    conversation = conversation_between(alice, bob)
    presence_touch(user_id=bob.pk)
    _send(conversation, alice, "You are here anyway", django_capture_on_commit_callbacks)
    assert mail.outbox == []

    services.notifications_unsubscribe(user=bob)
    from django.core.cache import cache

    cache.clear()
    _send(conversation, alice, "Still no email", django_capture_on_commit_callbacks)

    bob.profile.refresh_from_db()
    assert bob.profile.email_notifications is False
    assert mail.outbox == []


def test_no_email_once_the_message_is_read(alice, bob):
    conversation = conversation_between(alice, bob)
    services.message_send(conversation=conversation, sender=alice, body="Hi")
    services.message_mark_read(conversation=conversation, user=bob)

    outcome = services.notification_send_if_due(
        conversation_id=conversation.pk, recipient_id=bob.pk
    )

    assert outcome == "nothing_new"
    assert mail.outbox == []


def test_a_request_gets_its_own_email(alice, bob, committed):
    conversation = services.conversation_start(sender=alice, recipient=bob, text="Hi").conversation

    with committed():
        outcome = services.notification_send_if_due(
            conversation_id=conversation.pk, recipient_id=bob.pk
        )

    assert outcome == "sent"
    assert mail.outbox[0].subject == "Alice Archer would like to connect with you on intch"


def test_a_name_with_a_line_break_stored_long_ago_never_stops_an_email(alice, bob, committed):
    """Names are one line since intch.inputs; one stored earlier still gets its email out."""
    from profiles.models import Profile

    Profile.objects.filter(user=alice).update(display_name="Evil\r\nBcc: victim@example.com")
    conversation = services.conversation_start(sender=alice, recipient=bob, text="Hi").conversation

    with committed():
        outcome = services.notification_send_if_due(
            conversation_id=conversation.pk, recipient_id=bob.pk
        )

    assert outcome == "sent"
    email = mail.outbox[0]
    assert email.subject == "Evil Bcc: victim@example.com would like to connect with you on intch"
    assert email.recipients() == [bob.email]
    assert "Bcc" not in {name for name, _ in email.message().items()}


def test_unsubscribe_tokens_name_their_person_and_resist_forgery(alice):
    token = services.unsubscribe_token(user=alice)

    assert services.unsubscribe_user_id(token=token) == alice.pk
    assert services.unsubscribe_user_id(token=token + "x") is None
    assert services.unsubscribe_user_id(token="nonsense") is None


# --- Reports ---------------------------------------------------------------------------------


def test_a_report_goes_to_the_queue(alice, bob):
    conversation = conversation_between(alice, bob)
    message = services.message_send(conversation=conversation, sender=alice, body="Buy now!")

    report = services.report_create(
        reporter=bob, reported=alice, message=message, reason=Report.Reason.SPAM, details="ads"
    )

    assert report.status == Report.Status.OPEN
    with pytest.raises(ValidationError):
        services.report_create(reporter=bob, reported=bob, reason=Report.Reason.SPAM)
    with pytest.raises(ValidationError):
        services.report_create(reporter=alice, reported=bob, message=message, reason="spam")
    with pytest.raises(ValidationError):
        services.report_create(reporter=bob, reported=alice, reason="not-a-reason")


def test_a_report_filed_twice_while_open_is_one_report_with_both_details(alice, bob):
    conversation = conversation_between(alice, bob)
    message = services.message_send(conversation=conversation, sender=alice, body="Buy now!")
    first = services.report_create(
        reporter=bob, reported=alice, message=message, reason="spam", details="ads"
    )

    again = services.report_create(
        reporter=bob, reported=alice, message=message, reason="spam", details="ads"
    )
    more = services.report_create(
        reporter=bob, reported=alice, message=message, reason="spam", details="and links"
    )
    about_the_person = services.report_create(reporter=bob, reported=alice, reason="fake")

    assert again.pk == more.pk == first.pk != about_the_person.pk
    assert Report.objects.get(pk=first.pk).details == "ads\n\nand links"
    # Once the moderators closed it, a new report is a new one.
    services.reports_dismiss(reports=[first], moderator=complete_profile().user)
    later = services.report_create(reporter=bob, reported=alice, message=message, reason="spam")
    assert later.pk != first.pk
    assert Report.objects.count() == 3


def test_moderators_dismiss_warn_or_suspend(
    alice, bob, tasks_inline, django_capture_on_commit_callbacks
):
    staff = complete_profile().user
    reports = [
        services.report_create(reporter=reporter, reported=alice, reason=Report.Reason.SPAM)
        for reporter in (bob, complete_profile().user, complete_profile().user)
    ]

    services.reports_dismiss(reports=[reports[0]], moderator=staff)
    with django_capture_on_commit_callbacks(execute=True):
        services.reports_warn(reports=[reports[1]], moderator=staff)
    services.reports_suspend(reports=[reports[2]], moderator=staff)

    statuses = [Report.objects.get(pk=report.pk).status for report in reports]
    assert statuses == [Report.Status.DISMISSED, Report.Status.WARNED, Report.Status.SUSPENDED]
    assert [email.to for email in mail.outbox] == [[alice.email]]
    alice.refresh_from_db()
    assert not alice.is_active
