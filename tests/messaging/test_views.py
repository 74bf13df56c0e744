import re
import uuid

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Block
from messaging import selectors, services
from messaging.models import Conversation, Message, Report
from tests.factories import complete_profile, conversation_between

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def partner():
    return complete_profile(display_name="Pat Partner")


@pytest.fixture
def conversation(member_client, partner):
    conversation = conversation_between(partner.user, member_client.profile.user)
    services.message_send(conversation=conversation, sender=partner.user, body="Hello there")
    return conversation


def _urls(conversation, message):
    thread = {"conversation_id": conversation.pk}
    return [
        ("get", reverse("messaging:thread", kwargs=thread)),
        ("get", reverse("messaging:thread", kwargs=thread) + f"?before={message.pk}"),
        ("post", reverse("messaging:send", kwargs=thread)),
        ("post", reverse("messaging:read", kwargs=thread)),
        ("get", reverse("messaging:poll", kwargs=thread)),
        ("post", reverse("messaging:accept", kwargs=thread)),
        ("post", reverse("messaging:decline", kwargs=thread)),
        ("post", reverse("messaging:block", kwargs=thread)),
        ("get", reverse("messaging:report_message", kwargs={"message_id": message.pk})),
        ("post", reverse("messaging:report_message", kwargs={"message_id": message.pk})),
    ]


# --- Permissions -----------------------------------------------------------------------------


def test_only_the_two_participants_can_reach_a_conversation(stranger_client, conversation):
    message = conversation.messages.first()

    for method, url in _urls(conversation, message):
        response = getattr(stranger_client, method)(url, {"body": "Hi", "reason": "spam"})
        assert response.status_code == 404, (method, url)

    assert Message.objects.filter(sender=stranger_client.profile.user).count() == 0
    assert not Block.objects.exists()
    assert not Report.objects.exists()


def test_a_missing_conversation_is_the_same_404(member_client):
    missing = Conversation(pk=987654)
    for method, url in _urls(missing, Message(pk=987654)):
        assert getattr(member_client, method)(url).status_code == 404, url


def test_every_page_asks_anonymous_visitors_to_log_in(conversation):
    from django.test import Client

    client = Client()
    message = conversation.messages.first()
    urls = [
        ("get", reverse("messaging:inbox")),
        ("get", reverse("messaging:requests")),
        ("get", reverse("messaging:counts")),
        ("get", reverse("messaging:start", kwargs={"profile_id": 1})),
        ("get", reverse("messaging:report_person", kwargs={"profile_id": 1})),
        *_urls(conversation, message),
    ]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url


def test_blocked_people_get_404_on_the_conversation_and_the_compose_form(
    member_client, partner, conversation
):
    block_create_url = reverse("messaging:block", kwargs={"conversation_id": conversation.pk})
    member_client.post(block_create_url)

    partner_client = member_client.__class__()
    partner_client.force_login(partner.user)
    for client in (member_client, partner_client):
        for method, url in _urls(conversation, conversation.messages.first()):
            assert getattr(client, method)(url).status_code == 404, url
    start = reverse("messaging:start", kwargs={"profile_id": member_client.profile.pk})
    assert partner_client.get(start).status_code == 404


def test_a_message_can_only_be_reported_by_the_person_it_was_sent_to(
    member_client, partner, conversation
):
    own = services.message_send(
        conversation=conversation, sender=member_client.profile.user, body="Mine"
    )

    response = member_client.get(reverse("messaging:report_message", kwargs={"message_id": own.pk}))

    assert response.status_code == 404


# --- Inbox and requests ----------------------------------------------------------------------


def test_the_inbox_lists_conversations_with_preview_and_unread_count(member_client, conversation):
    response = member_client.get(reverse("messaging:inbox"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Pat Partner" in body
    assert "Hello there" in body
    assert re.search(r'conversation-row__unread">1<', body)
    # The header badge counts the unread message too.
    assert 'id="unread-badge">1<' in body


def test_the_inbox_search_filters_by_name_and_serves_htmx_a_partial(member_client, conversation):
    url = reverse("messaging:inbox")

    miss = member_client.get(
        url, {"q": "zzz"}, headers={"HX-Request": "true", "HX-Target": "conversation-list"}
    )
    hit = member_client.get(url, {"q": "pat"})

    assert "<html" not in miss.content.decode()
    assert "Nobody called “zzz”" in miss.content.decode()
    assert "Pat Partner" in hit.content.decode()


def test_requests_tab_shows_the_intro_with_accept_decline_and_block(member_client):
    sender = complete_profile(display_name="Sam Sender")
    services.conversation_start(
        sender=sender.user,
        recipient=member_client.profile.user,
        text="Hi! I saw we both like Rust.",
        prompt="Rust",
    )

    body = member_client.get(reverse("messaging:requests")).content.decode()

    assert "Sam Sender" in body
    assert "Hi! I saw we both like Rust." in body
    assert "because you both care about <strong>Rust</strong>" in body
    for action in ("Accept", "Decline", "Block"):
        assert f">{action}<" in body
    assert 'data-count="requests">1<' in body


def test_accepting_opens_the_thread(member_client):
    sender = complete_profile()
    conversation = services.conversation_start(
        sender=sender.user, recipient=member_client.profile.user, text="Hi"
    ).conversation

    response = member_client.post(
        reverse("messaging:accept", kwargs={"conversation_id": conversation.pk})
    )

    assert response["Location"] == conversation.get_absolute_url()
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ACCEPTED


def test_declining_tells_the_sender_politely(member_client):
    sender = complete_profile()
    conversation = services.conversation_start(
        sender=sender.user, recipient=member_client.profile.user, text="Hi"
    ).conversation

    member_client.post(reverse("messaging:decline", kwargs={"conversation_id": conversation.pk}))

    sender_client = member_client.__class__()
    sender_client.force_login(sender.user)
    body = sender_client.get(conversation.get_absolute_url()).content.decode()
    assert "is not taking new conversations right now" in body
    assert 'id="composer"' not in body
    # The person who declined no longer sees it.
    assert member_client.get(conversation.get_absolute_url()).status_code == 404


# --- Starting a conversation -----------------------------------------------------------------


def test_the_compose_form_sends_an_intro_once(member_client, partner):
    url = reverse("messaging:start", kwargs={"profile_id": partner.pk})
    page = member_client.get(url)
    assert page.status_code == 200
    assert "Introduce yourself to Pat Partner" in page.content.decode()
    token = str(uuid.uuid4())

    first = member_client.post(url, {"text": "Hello Pat", "client_token": token})
    member_client.post(url, {"text": "Hello Pat", "client_token": token})

    conversation = Conversation.objects.get()
    assert first["Location"] == conversation.get_absolute_url()
    assert conversation.messages.count() == 1
    # Going back to the form now leads to the waiting thread.
    assert member_client.get(url)["Location"] == conversation.get_absolute_url()


def test_the_compose_form_offers_shared_interests_as_the_reason(member_client):
    shared = list(member_client.profile.interests.all()[:1])
    other = complete_profile(interests=[*shared, *complete_profile().interests.all()[:2]])

    body = member_client.get(
        reverse("messaging:start", kwargs={"profile_id": other.pk})
    ).content.decode()

    assert f'<option value="{shared[0].name}">' in body


def test_the_compose_form_rejects_a_too_long_intro(member_client, partner):
    response = member_client.post(
        reverse("messaging:start", kwargs={"profile_id": partner.pk}), {"text": "x" * 1001}
    )

    assert response.status_code == 400
    assert not Conversation.objects.exists()


def test_the_compose_form_says_when_the_daily_limit_is_reached(settings, member_client):
    settings.MESSAGING_INTRO_REQUESTS_PER_DAY = 1
    first, second = complete_profile(), complete_profile()
    member_client.post(reverse("messaging:start", kwargs={"profile_id": first.pk}), {"text": "Hi"})

    response = member_client.post(
        reverse("messaging:start", kwargs={"profile_id": second.pk}), {"text": "Hi"}
    )

    assert response.status_code == 429
    assert "in the last 24 hours, the most we allow" in response.content.decode()


def test_you_cannot_message_yourself(member_client):
    response = member_client.get(
        reverse("messaging:start", kwargs={"profile_id": member_client.profile.pk})
    )

    assert response["Location"] == reverse("profiles:me")


# --- The thread ------------------------------------------------------------------------------


def test_the_thread_shows_text_safely_with_line_breaks_and_links(
    member_client, partner, conversation
):
    services.message_send(
        conversation=conversation,
        sender=partner.user,
        body=f"Line one\nLine two https://example.org/x?a=1&b=2 {XSS}",
    )

    body = member_client.get(conversation.get_absolute_url()).content.decode()

    assert "Line one<br>Line two" in body
    assert '<a href="https://example.org/x?a=1&amp;b=2" rel="nofollow">' in body
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;" in body


def test_opening_the_thread_marks_it_read_and_shows_seen_to_the_other(
    member_client, partner, conversation
):
    member_client.get(conversation.get_absolute_url())
    mine = services.message_send(
        conversation=conversation, sender=member_client.profile.user, body="Reply"
    )
    services.message_mark_read(conversation=conversation, user=partner.user)

    body = member_client.get(conversation.get_absolute_url()).content.decode()

    assert selectors.unread_counts(user=member_client.profile.user)["messages"] == 0
    assert re.search(rf'id="message-{mine.pk}".*?id="seen-marker">Seen<', body, re.S)


def test_sending_with_a_plain_form_redirects_back_to_the_thread(member_client, conversation):
    response = member_client.post(
        reverse("messaging:send", kwargs={"conversation_id": conversation.pk}),
        {"body": "Plain and simple", "client_token": str(uuid.uuid4())},
    )

    message = Message.objects.get(body="Plain and simple")
    assert response["Location"] == f"{conversation.get_absolute_url()}#message-{message.pk}"


def test_sending_with_htmx_returns_the_message_and_a_fresh_token(member_client, conversation):
    token = str(uuid.uuid4())
    url = reverse("messaging:send", kwargs={"conversation_id": conversation.pk})

    response = member_client.post(
        url, {"body": "Via htmx", "client_token": token}, headers={"HX-Request": "true"}
    )
    again = member_client.post(
        url, {"body": "Via htmx", "client_token": token}, headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    message = Message.objects.get(body="Via htmx")
    assert f'id="message-{message.pk}"' in body
    assert f'id="message-{message.pk}"' in again.content.decode()
    new_token = re.search(r'name="client_token" id="id_client_token" value="([^"]+)"', body)
    assert new_token and new_token.group(1) != token
    assert 'hx-swap-oob="true"' in body


def test_a_rate_limited_message_is_kept_in_the_box_with_a_clear_429(
    settings, member_client, conversation
):
    settings.MESSAGING_MESSAGES_PER_MINUTE = 1
    url = reverse("messaging:send", kwargs={"conversation_id": conversation.pk})
    member_client.post(url, {"body": "first"})

    plain = member_client.post(url, {"body": "second, please keep me"})
    htmx = member_client.post(url, {"body": "third"}, headers={"HX-Request": "true"})

    assert plain.status_code == 429
    assert "Please wait 1 minute" in plain.content.decode()
    assert "second, please keep me</textarea>" in plain.content.decode()
    # htmx shows it above the box: a 200 aimed there (a 4xx would not be swapped in).
    assert htmx.status_code == 200
    assert htmx["HX-Retarget"] == "#composer-errors"
    assert "Please wait 1 minute" in htmx.content.decode()


def test_older_messages_load_on_demand(settings, member_client, partner, conversation):
    settings.MESSAGING_MESSAGES_PER_MINUTE = 100
    for number in range(35):
        services.message_send(
            conversation=conversation, sender=partner.user, body=f"Number {number}"
        )
    url = conversation.get_absolute_url()

    page = member_client.get(url).content.decode()
    oldest_shown = int(re.search(r'href="[^"]*\?before=(\d+)"', page).group(1))
    older = member_client.get(url, {"before": oldest_shown}, headers={"HX-Request": "true"})

    older_body = older.content.decode()
    assert "Number 5<" in page and "Number 4<" not in page
    assert "<html" not in older_body
    assert "Number 4<" in older_body and "Hello! We share a lot.<" in older_body
    assert "Number 5<" not in older_body
    assert "Load older messages" not in older_body


def test_polling_returns_new_messages_and_marks_them_read_when_visible(
    member_client, partner, conversation
):
    last = conversation.messages.last()
    fresh = services.message_send(conversation=conversation, sender=partner.user, body="Polled")
    url = reverse("messaging:poll", kwargs={"conversation_id": conversation.pk})

    hidden = member_client.get(url, {"after": last.pk, "visible": "0"})
    assert "Polled" in hidden.content.decode()
    assert selectors.unread_counts(user=member_client.profile.user)["messages"] >= 1

    visible = member_client.get(url, {"after": last.pk, "visible": "1"})
    assert f'?after={fresh.pk}"' in visible.content.decode()
    assert selectors.unread_counts(user=member_client.profile.user)["messages"] == 0


def test_counts_for_the_header_badge(member_client, conversation):
    response = member_client.get(reverse("messaging:counts"))

    assert response.json() == {"messages": 1, "requests": 0, "total": 1}


def test_blocking_from_the_thread(member_client, partner, conversation):
    response = member_client.post(
        reverse("messaging:block", kwargs={"conversation_id": conversation.pk})
    )

    assert response["Location"] == reverse("messaging:inbox")
    assert Block.objects.filter(blocker=member_client.profile.user, blocked=partner.user).exists()


# --- Reports ---------------------------------------------------------------------------------


def test_reporting_a_message_and_blocking(member_client, partner, conversation):
    message = conversation.messages.last()
    url = reverse("messaging:report_message", kwargs={"message_id": message.pk})
    assert "Hello there" in member_client.get(url).content.decode()

    response = member_client.post(
        url, {"reason": "harassment", "details": "Rude", "also_block": "on"}
    )

    report = Report.objects.get()
    assert (report.reported, report.message, report.reason) == (partner.user, message, "harassment")
    assert response["Location"] == reverse("messaging:inbox")
    assert Block.objects.filter(blocker=member_client.profile.user, blocked=partner.user).exists()


def test_reporting_a_person_without_blocking(member_client, partner):
    url = reverse("messaging:report_person", kwargs={"profile_id": partner.pk})

    invalid = member_client.post(url, {"reason": "nonsense"})
    response = member_client.post(url, {"reason": "fake"})

    assert invalid.status_code == 400
    assert response["Location"] == partner.get_absolute_url()
    report = Report.objects.get()
    assert (report.reported, report.message) == (partner.user, None)
    assert not Block.objects.exists()


def test_a_report_form_sent_twice_files_one_report(member_client, partner):
    url = reverse("messaging:report_person", kwargs={"profile_id": partner.pk})

    first = member_client.post(url, {"reason": "fake", "details": "Not a real person"})
    second = member_client.post(url, {"reason": "fake", "details": "Not a real person"})

    assert first.status_code == second.status_code == 302
    assert Report.objects.filter(reporter=member_client.profile.user).count() == 1


# --- Unsubscribe -----------------------------------------------------------------------------


def test_unsubscribe_link_confirms_on_get_and_turns_off_on_post(client, partner):
    url = reverse(
        "messaging:unsubscribe", kwargs={"token": services.unsubscribe_token(user=partner.user)}
    )

    page = client.get(url)
    partner.refresh_from_db()
    assert page.status_code == 200 and partner.email_notifications is True

    # RFC 8058: the mail client POSTs without a session or CSRF token.
    client.handler.enforce_csrf_checks = True
    done = client.post(url, {"List-Unsubscribe": "One-Click"})

    partner.refresh_from_db()
    assert done.status_code == 200
    assert partner.email_notifications is False


def test_a_forged_unsubscribe_link_is_a_404(client):
    url = reverse("messaging:unsubscribe", kwargs={"token": "forged:token"})

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_the_emailed_link_is_the_unsubscribe_page(client, partner, committed):
    from django.test import override_settings

    conversation = conversation_between(complete_profile().user, partner.user)
    Message.objects.create(conversation=conversation, sender=conversation.initiator, body="x")
    with override_settings(SITE_URL="http://testserver"), committed():
        services.notification_send_if_due(
            conversation_id=conversation.pk, recipient_id=partner.user_id
        )

    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    assert client.post(link.removeprefix("http://testserver")).status_code == 200
    partner.refresh_from_db()
    assert partner.email_notifications is False


# --- Errors in place under htmx, in every mode (issue 11, item 1) ------------------------


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_an_empty_message_is_refused_in_place_under_htmx(member_client, conversation, body):
    url = reverse("messaging:send", kwargs={"conversation_id": conversation.pk})

    htmx = member_client.post(url, {"body": body}, headers={"HX-Request": "true"})
    plain = member_client.post(url, {"body": body})

    # htmx: a 200 aimed at the errors above the box (a 4xx would not be swapped in, and in
    # DEBUG django-htmx's handler would replace the whole page with it).
    assert (htmx.status_code, htmx["HX-Retarget"], htmx["HX-Reswap"]) == (
        200,
        "#composer-errors",
        "innerHTML",
    )
    assert "Write a message first." in htmx.content.decode()
    assert "<html" not in htmx.content.decode()
    assert plain.status_code == 400
    assert "Write a message first." in plain.content.decode()
    assert conversation.messages.count() == 2  # the intro and "Hello there", nothing new


def test_the_box_cannot_be_sent_empty_and_counts_toward_its_limit(member_client, conversation):
    body = member_client.get(conversation.get_absolute_url()).content.decode()
    box = re.search(r"<textarea[^>]*data-composer-input[^>]*>", body).group(0)

    assert " required" in box and "data-disable-submit" in box
    assert 'data-maxlength="5000"' in box and " maxlength=" not in box


def test_a_too_long_message_is_refused_in_place_and_kept(member_client, conversation):
    url = reverse("messaging:send", kwargs={"conversation_id": conversation.pk})
    long_text = "word " * 1001  # 5,005 characters

    htmx = member_client.post(url, {"body": long_text}, headers={"HX-Request": "true"})
    plain = member_client.post(url, {"body": long_text})

    assert htmx.status_code == 200
    assert "limit is 5,000: please shorten it by 4 characters." in htmx.content.decode()
    assert plain.status_code == 400
    assert long_text.strip() in plain.content.decode()


def test_a_conversation_closed_since_the_page_opened_says_so_in_place(
    member_client, partner, conversation
):
    Block.objects.create(blocker=partner.user, blocked=member_client.profile.user)
    url = reverse("messaging:send", kwargs={"conversation_id": conversation.pk})

    htmx = member_client.post(url, {"body": "Still there?"}, headers={"HX-Request": "true"})

    assert (htmx.status_code, htmx["HX-Retarget"]) == (200, "#composer-errors")
    assert "This conversation is closed" in htmx.content.decode()
    assert member_client.post(url, {"body": "Still there?"}).status_code == 404


# --- The intro form: counted, never cut (item 2) ------------------------------------------


def test_a_pasted_intro_over_the_limit_is_refused_whole_with_how_much_to_cut(
    member_client, partner
):
    pasted = ("I read your profile and we share a lot. " * 130)[:5199] + "!"

    response = member_client.post(
        reverse("messaging:start", kwargs={"profile_id": partner.pk}), {"text": pasted}
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "This is 5,200 characters long and the limit is 1,000" in body
    assert "shorten it by 4,200 characters" in body
    assert f"{pasted}</textarea>" in body  # every character back in the box
    assert 'data-maxlength="1000"' in body and " maxlength=" not in body
    assert not Conversation.objects.exists()


# --- Messages opens on waiting requests (item 4) --------------------------------------------


def test_the_messages_link_leads_to_requests_while_some_wait(member_client, partner):
    def messages_link():
        body = member_client.get(reverse("home:index")).content.decode()
        return re.search(r'<a href="([^"]+)" data-nav="messages"', body).group(1)

    assert messages_link() == reverse("messaging:inbox")
    conversation = conversation_between(partner.user, member_client.profile.user, accepted=False)
    assert messages_link() == reverse("messaging:requests")
    inbox = member_client.get(reverse("messaging:inbox")).content.decode()
    assert "1 request is waiting for your answer." in inbox

    services.conversation_accept(conversation=conversation, user=member_client.profile.user)
    assert messages_link() == reverse("messaging:inbox")


# --- The request card says why (item 5) ------------------------------------------------------


def test_a_request_shows_its_recipient_the_reasons_its_sender_saw(member_client, partner):
    from matching.models import Match
    from profiles.models import Tag
    from tests.factories import MatchFactory, TagFactory

    me = member_client.profile
    rust, kindness = TagFactory(name="Rust"), TagFactory(name="Kindness", kind=Tag.Kind.VALUE)
    MatchFactory(
        user=partner.user,
        candidate=me.user,
        score=39,
        reasons={
            "interests": [{"name": "Rust", "slug": rust.slug}],
            "values": [{"name": "Kindness", "slug": kindness.slug}],
            "goals": [["find_mentor", "mentor_others"]],
        },
    )
    conversation_between(partner.user, me.user, accepted=False)
    # The sender's list is recomputed and no longer holds me; the request still says why.
    Match.objects.all().delete()

    body = member_client.get(reverse("messaging:requests")).content.decode()

    card = re.search(r'<article class="card request-card".*?</article>', body, re.S).group(0)
    assert re.search(
        r'match-score__value">39%</span>\s*<span class="match-score__label">match', card
    )
    assert f'href="{rust.get_absolute_url()}">Rust</a>' in card
    assert "Kindness" in card
    assert "Pat Partner is looking for a mentor; you mentor others." in card
