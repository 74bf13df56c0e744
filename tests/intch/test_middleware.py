"""Site-wide middleware."""

import pytest

pytestmark = pytest.mark.django_db


def test_in_development_a_missing_page_is_the_sites_own_404(member_client, settings):
    settings.DEBUG = True
    for path in ("/no-such-page/", "/people/999999/", "/tags/no-such-tag/"):
        response = member_client.get(path)
        body = response.content.decode()
        assert response.status_code == 404, path
        assert "We could not find that page" in body, path
        assert "URLconf" not in body and "Using the URLconf" not in body, path
    # A missing slash still redirects, as Django's CommonMiddleware does.
    assert member_client.get("/matches")["Location"] == "/matches/"
