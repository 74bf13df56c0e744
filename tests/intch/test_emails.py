"""Every email intch can send, rendered: branded intch, text and HTML parts, no "example.com",
no username; and the real flows that send the most common ones."""

from pathlib import Path

import pytest
from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.template.utils import get_app_template_dirs
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from messaging import services as messaging
from tests.factories import UserFactory, complete_profile, conversation_between

# Addresses that are not example.com, so that any "example.com" left is the site's own name.
EMAIL = "nora@mail.test"
USERNAME = "nora.newcomer"


def _email_prefixes():
    """Every email allauth (and our overrides) can render: account/, mfa/, socialaccount/."""
    dirs = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]] + [
        Path(d) for d in get_app_template_dirs("templates")
    ]
    prefixes = set()
    for directory in dirs:
        for app in ("account", "mfa", "socialaccount"):
            for subject in (directory / app / "email").glob("*_subject.txt"):
                prefixes.add(f"{app}/email/{subject.name.removesuffix('_subject.txt')}")
    return sorted(prefixes)


PREFIXES = _email_prefixes()


def test_every_allauth_email_is_found():
    # The list the test below walks: if allauth adds an email, it shows up here.
    assert "account/email/email_confirmation_signup" in PREFIXES
    assert "mfa/email/totp_activated" in PREFIXES
    assert "socialaccount/email/account_connected" in PREFIXES
    assert len(PREFIXES) >= 20


def _context(user):
    class Provider:
        name = "LinkedIn"

    return {
        "user": user,
        "email": EMAIL,
        "activate_url": "http://127.0.0.1:8000/accounts/confirm-email/KEY/",
        "key": "KEY",
        "password_reset_url": "http://127.0.0.1:8000/accounts/password/reset/key/1-x/",
        "signup_url": "http://127.0.0.1:8000/accounts/signup/",
        "username": USERNAME,
        "code": "ABC123",
        "from_email": "old@mail.test",
        "to_email": EMAIL,
        "deleted_email": "old@mail.test",
        "provider": Provider(),
        "timestamp": timezone.now(),
        "ip": "192.0.2.7",
        "user_agent": "Firefox",
    }


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_account_email_is_branded_intch_with_text_and_html(db, prefix):
    user = UserFactory(email=EMAIL)
    request = RequestFactory().get("/")
    request.user = user
    with allauth_context.request_context(request):
        message = get_adapter(request).render_mail(prefix, EMAIL, _context(user))

    html = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    assert len(html) == 1, "no HTML part"
    for part in (message.subject, message.body, html[0]):
        assert "example.com" not in part
        assert USERNAME not in part, "a username nobody chose"
        assert "{%" not in part and "{{" not in part
    assert "intch" in message.subject
    assert not message.subject.startswith("[")
    first, *rest = message.subject.split()
    assert first[0].isupper(), "not sentence case"
    assert all(word.islower() for word in rest if word != "LinkedIn"), "not sentence case"
    assert "intch" in message.body and 'href="http://127.0.0.1:8000/"' in html[0]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL


def test_signing_up_sends_a_branded_confirmation(client, db, committed):
    with committed():
        client.post(
            reverse("account_signup"),
            {"email": EMAIL, "password1": "a-long-password-42", "password2": "a-long-password-42"},
        )

    (email,) = mail.outbox
    assert email.subject == "Confirm your email address to finish signing up for intch"
    html = email.alternatives[0][0]
    assert "Confirm my email address" in html and "/accounts/confirm-email/" in html
    # Accounts have no username (allauth used to make one from the address): the address
    # alone names the person.
    fields = {field.name for field in get_user_model()._meta.get_fields()}
    assert get_user_model().objects.filter(email=EMAIL).exists() and "username" not in fields
    for part in (email.body, html):
        assert "example.com" not in part


def test_a_password_reset_and_an_unknown_address_are_branded(client, db, committed):
    UserFactory(email=EMAIL)
    with committed():
        client.post(reverse("account_reset_password"), {"email": EMAIL})
        client.post(reverse("account_reset_password"), {"email": "nobody@mail.test"})

    reset, unknown = mail.outbox
    assert reset.subject == "Choose a new password for intch"
    assert "Choose a new password" in reset.alternatives[0][0]
    assert USERNAME not in reset.body
    assert unknown.subject == "No intch account uses this address"
    for email in (reset, unknown):
        assert "example.com" not in email.body + email.alternatives[0][0]


def test_intchs_own_emails_share_the_layout(db, settings, committed):
    settings.MESSAGING_NOTIFY_EVERY_SECONDS = 0
    alice = complete_profile(display_name="Alice Archer", user__email="alice@mail.test")
    bob = complete_profile(display_name="Bob Baker", user__email="bob@mail.test")
    conversation = conversation_between(alice.user, bob.user, accepted=False)
    with committed():
        assert (
            messaging.notification_send_if_due(
                conversation_id=conversation.pk, recipient_id=bob.user_id
            )
            == "sent"
        )
        report = messaging.report_create(reporter=bob.user, reported=alice.user, reason="spam")
        messaging.reports_warn(reports=[report], moderator=bob.user)

    request_email, warning = mail.outbox
    for email in (request_email, warning):
        html = email.alternatives[0][0]
        assert 'href="http://127.0.0.1:8000/"' in html  # the layout's header link
        assert "meet people on shared interests and values" in html
        assert "example.com" not in email.body + html
    # A text-only template gets its HTML from the text, without the text's sign-off.
    assert "Please keep your messages respectful" in warning.alternatives[0][0]
    assert warning.alternatives[0][0].count("meet people on shared interests") == 1
