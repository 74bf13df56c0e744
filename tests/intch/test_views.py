import pytest
from django.urls import reverse


def test_landing_page_tells_visitors_what_intch_is_and_leads_to_sign_up(client, db):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("account_signup") in body
    assert "interests" in body.lower()


def test_members_are_sent_from_the_landing_page_into_the_app(member_client):
    response = member_client.get("/")
    assert response.status_code == 302


def test_unknown_url_gets_a_styled_404_page(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"<nav" in response.content or b"<header" in response.content
    assert b"Traceback" not in response.content


def test_form_without_csrf_token_is_refused_with_a_clear_page(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("account_login"), {"login": "a@example.com", "password": "x"})
    assert response.status_code == 403
    assert b"reload" in response.content.lower()


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_every_asset_is_served_by_the_app_itself(client, db):
    body = client.get("/").content.decode()
    assert "https://" not in body.split("<body")[0], "no CDN links in <head>"
    assert "/static/" in body


@pytest.mark.parametrize("path", ["/profile/", "/matches/", "/settings/"])
def test_member_pages_send_visitors_to_log_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_security_headers_and_content_security_policy(client, db):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_the_error_page_renders_while_the_database_and_redis_are_down(member_client, monkeypatch):
    """A page that fails because a service is down still gets the site's own error page."""
    from django.db import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError

    import messaging.selectors
    from profiles import views as profile_views

    def database_down(*args, **kwargs):
        raise OperationalError("connection refused")

    def redis_down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(profile_views, "_profile", database_down)
    monkeypatch.setattr(messaging.selectors, "unread_counts", redis_down)
    member_client.raise_request_exception = False

    response = member_client.get(reverse("profiles:me"))

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
