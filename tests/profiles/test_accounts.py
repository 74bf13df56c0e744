"""Sign up, verification, log in, rate limits and account deletion (allauth + our views)."""

import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from profiles.models import Profile, TaggedInterest
from tests.factories import PASSWORD, UserFactory, complete_profile

User = get_user_model()
STRONG = "correct-horse-battery-staple-9"


def _signup(client, email="new@example.com", password=STRONG, password2=None):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": password, "password2": password2 or password},
    )


def _confirmation_path(email):
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/", email.body)
    assert link, email.body
    return "/" + link.group(0).split("/", 3)[3]


def test_the_link_confirms_and_logs_in_on_one_click_in_the_browser_that_signed_up(
    client, db, committed
):
    with committed():
        response = _signup(client)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    path = _confirmation_path(mail.outbox[0])

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == reverse("profiles:onboarding")
    user = User.objects.get(email="new@example.com")
    assert user.emailaddress_set.get().verified
    assert client.session["_auth_user_id"] == str(user.pk)
    assert Profile.objects.filter(user=user).exists()


def test_a_link_scanner_confirms_nothing_and_another_browser_confirms_with_a_click(
    client, db, committed
):
    from django.test import Client

    with committed():
        _signup(client)
    path = _confirmation_path(mail.outbox[0])
    scanner, other_browser = Client(), Client()

    page = scanner.get(path)

    assert page.status_code == 200
    assert "Confirm your email address" in page.content.decode()
    address = User.objects.get(email="new@example.com").emailaddress_set.get()
    assert not address.verified
    # A person opening the link elsewhere confirms with the button, then logs in themselves.
    response = other_browser.post(path)
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified
    assert "_auth_user_id" not in other_browser.session


def test_unverified_person_cannot_log_in(client, db):
    _signup(client)
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "new@example.com", "password": STRONG}
    )
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_taken_email_makes_no_second_account_and_tells_its_owner(client, db, committed):
    # Enumeration prevention: the page does not reveal that the address is registered;
    # the owner of the address is told by email instead.
    UserFactory(email="taken@example.com")
    with committed():
        response = _signup(client, email="taken@example.com")
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    assert len(mail.outbox) == 1
    assert "That address already has an account." in mail.outbox[0].body


def test_mismatched_passwords_keep_the_email_typed(client, db):
    response = _signup(client, password=STRONG, password2=STRONG + "x")
    assert response.status_code == 200
    assert b"same password" in response.content
    assert b'value="new@example.com"' in response.content


def test_weak_password_is_refused_with_the_reason(client, db):
    response = _signup(client, password="password")
    assert response.status_code == 200
    assert b"too common" in response.content or b"too short" in response.content
    assert not User.objects.filter(email="new@example.com").exists()


def test_wrong_password_gets_a_clear_message(client, db):
    UserFactory(email="known@example.com")
    response = client.post(
        reverse("account_login"), {"login": "known@example.com", "password": "nope"}
    )
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert b'value="known@example.com"' in response.content


def test_login_is_rate_limited_after_a_burst_of_failures(client, db):
    UserFactory(email="target@example.com")
    statuses = [
        client.post(
            reverse("account_login"), {"login": "target@example.com", "password": f"wrong{i}"}
        ).status_code
        for i in range(12)
    ]
    assert (
        429 in statuses
        or b"Too many"
        in client.post(
            reverse("account_login"), {"login": "target@example.com", "password": "again"}
        ).content
    )


def test_account_deletion_needs_the_password(member_client):
    user = member_client.profile.user
    response = member_client.post(
        reverse("profiles:account_delete"), {"password": "wrong", "confirm": "on"}
    )
    assert response.status_code == 400
    assert b"not right" in response.content
    assert User.objects.filter(pk=user.pk).exists()


def test_account_deletion_removes_profile_and_taggings_and_logs_out(member_client):
    user = member_client.profile.user
    profile_id = member_client.profile.pk
    response = member_client.post(
        reverse("profiles:account_delete"), {"password": PASSWORD, "confirm": "on"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Profile.objects.filter(pk=profile_id).exists()
    assert not TaggedInterest.objects.filter(content_object_id=profile_id).exists()
    assert member_client.get(reverse("profiles:me")).status_code == 302


def test_deleted_person_can_no_longer_log_in(client, db):
    profile = complete_profile()
    email = profile.user.email
    client.force_login(profile.user)
    client.post(reverse("profiles:account_delete"), {"password": PASSWORD, "confirm": "on"})
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert b"not correct" in response.content


def test_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_social_login_buttons_appear_only_when_configured(client, db, settings):
    page = client.get(reverse("account_login")).content.decode()
    assert "LinkedIn" not in page and "Google" not in page
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "linkedin",
                    "name": "LinkedIn",
                    "client_id": "id",
                    "secret": "secret",
                    "settings": {"server_url": "https://www.linkedin.com/oauth"},
                }
            ]
        },
        "google": {"APPS": [{"client_id": "id", "secret": "secret"}]},
    }
    page = client.get(reverse("account_login")).content.decode()
    assert "LinkedIn" in page and "Google" in page


def test_password_reset_sends_a_link(client, db, committed):
    UserFactory(email="forgot@example.com")
    with committed():
        response = client.post(reverse("account_reset_password"), {"email": "forgot@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_two_factor_settings_offer_an_authenticator_app(member_client):
    response = member_client.get("/accounts/2fa/")
    assert response.status_code == 200
    assert b"Authenticator" in response.content
