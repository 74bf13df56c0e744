"""Staff suspend and reactivate accounts in the admin, through the same services as moderators."""

import pytest
from django.urls import reverse

from accounts.models import User
from matching.models import Match
from tests.factories import TagFactory, complete_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = User.objects.create_superuser(email="staff@intch.local", password="x" * 12)
    client.force_login(staff)
    return client


def test_the_user_list_names_people_by_their_address(staff_client):
    complete_profile(user__email="nora@mail.test")

    page = staff_client.get(reverse("admin:accounts_user_changelist")).content.decode()

    assert "nora@mail.test" in page
    assert "username" not in page.lower()


def test_the_suspend_and_reactivate_actions_go_through_the_services(staff_client, committed):
    shared = TagFactory.create_batch(3)
    sam, ana = complete_profile(interests=shared), complete_profile(interests=shared)
    url = reverse("admin:accounts_user_changelist")

    with committed():
        staff_client.post(url, {"action": "suspend", "_selected_action": [sam.user_id]})
    sam.user.refresh_from_db()
    assert not sam.user.is_active

    with committed():
        response = staff_client.post(
            url, {"action": "reactivate", "_selected_action": [sam.user_id]}, follow=True
        )
    sam.user.refresh_from_db()
    assert sam.user.is_active
    assert "Reactivated 1 account" in response.content.decode()
    # Back in the lists: their own was recomputed, and they entered Ana's.
    assert Match.objects.filter(user=sam.user, candidate=ana.user).exists()


def test_unticking_active_on_the_persons_page_suspends_them(staff_client):
    sam = complete_profile(user__email="sam@mail.test")
    url = reverse("admin:accounts_user_change", args=[sam.user_id])
    data = {
        "email": "sam@mail.test",
        "is_staff": "",
        "is_superuser": "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
    }

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    sam.user.refresh_from_db()
    assert not sam.user.is_active


def test_a_new_account_needs_an_address_nobody_has(staff_client):
    complete_profile(user__email="taken@mail.test")

    response = staff_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "TAKEN@mail.test",
            "usable_password": "true",
            "password1": "a-long-password-42",
            "password2": "a-long-password-42",
        },
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
