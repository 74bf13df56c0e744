import pytest
from django.urls import reverse

from matching.models import Match, MatchRun
from tests.factories import TagFactory, UserFactory, complete_profile


@pytest.fixture
def admin_client(client, db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_runs_are_listed_with_their_figures(admin_client):
    MatchRun.objects.create(reason="nightly", people=12, chunks_total=2, chunks_done=1)
    body = admin_client.get(reverse("admin:matching_matchrun_changelist")).content.decode()
    assert "nightly" in body and "1 / 2" in body
    assert "Recompute all matches now" in body


def test_the_admin_button_runs_a_full_recompute(
    admin_client, tasks_inline, django_capture_on_commit_callbacks
):
    tags = TagFactory.create_batch(3)
    complete_profile(interests=tags), complete_profile(interests=tags)
    response = admin_client.post(reverse("admin:matching_matchrun_recompute"))
    assert response.status_code == 302
    run = MatchRun.objects.get()
    assert run.status == MatchRun.Status.SUCCEEDED
    assert Match.objects.count() == 2


def test_the_button_does_nothing_on_get(admin_client):
    admin_client.get(reverse("admin:matching_matchrun_recompute"))
    assert not MatchRun.objects.exists()
