"""The people search page: a plain GET form, htmx results, pages and honest empty states."""

import pytest
from django.urls import reverse

from tests.factories import complete_profile

pytestmark = pytest.mark.django_db

URL = reverse("search:people")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "search-results"}


def test_the_page_explains_itself_before_a_search(member_client):
    body = member_client.get(URL).content.decode()
    assert 'role="search"' in body and 'name="q"' in body
    assert "Find people by their name" in body
    assert f'href="{URL}"' in body  # reachable from the header


def test_a_search_lists_people_with_their_main_action(member_client):
    ana = complete_profile(display_name="Ana Quayle", headline="Ocean engineer", city="Lisbon")
    body = member_client.get(URL, {"q": "quayle"}).content.decode()
    assert "1 person for “quayle”" in body
    assert ana.get_absolute_url() in body and "Ocean engineer" in body
    assert reverse("messaging:start", kwargs={"profile_id": ana.pk}) in body
    assert 'value="quayle"' in body


def test_htmx_gets_only_the_results(member_client):
    complete_profile(display_name="Ana Quayle")
    body = member_client.get(URL, {"q": "quay"}, **HTMX).content.decode()
    assert body.lstrip().startswith('<section id="search-results"')
    assert "<html" not in body and "Ana Quayle" in body


def test_nobody_found_and_too_short_say_so(member_client):
    body = member_client.get(URL, {"q": "zzqxv"}).content.decode()
    assert "Nobody matches “zzqxv”" in body
    body = member_client.get(URL, {"q": "z"}).content.decode()
    assert "Type a little more" in body


def test_a_long_query_is_cut_and_says_so(member_client):
    complete_profile(display_name="Ana Quayle")
    body = member_client.get(URL, {"q": "quayle " + "x" * 500}).content.decode()
    assert "we searched for the first 100" in body
    assert 'maxlength="100"' in body


def test_results_are_paged_and_pages_keep_the_query(member_client):
    for n in range(23):
        complete_profile(display_name=f"Pat Number{n}")
    first = member_client.get(URL, {"q": "pat"}).content.decode()
    assert "23 people for “pat”" in first and first.count('class="card person-card') == 20
    assert "?q=pat&amp;page=2" in first
    second = member_client.get(URL, {"q": "pat", "page": "2"}).content.decode()
    assert second.count('class="card person-card') == 3
    for bad in ("-1", "abc", "99999999999"):
        assert member_client.get(URL, {"q": "pat", "page": bad}).status_code == 200


@pytest.mark.parametrize("query", ["pat", "pat number1", "nobody-like-this"])
def test_the_page_runs_a_fixed_number_of_queries(
    member_client, query, django_assert_max_num_queries
):
    for n in range(25):
        complete_profile(display_name=f"Pat Number{n}")
    member_client.get(URL)  # the session and the header's counts are cached from here on
    # user, the count, the ranked page of search documents, the page's people
    with django_assert_max_num_queries(4):
        assert member_client.get(URL, {"q": query}).status_code == 200


def test_visitors_are_sent_to_log_in(client):
    assert client.get(URL, {"q": "x"})["Location"].startswith(reverse("account_login"))


def test_a_broad_search_says_there_are_more_and_how_to_narrow_it(member_client, monkeypatch):
    from search import selectors

    monkeypatch.setattr(selectors, "MAX_RESULTS", 3)
    for n in range(5):
        complete_profile(display_name=f"Pat Number{n}")
    body = member_client.get(URL, {"q": "pat"}).content.decode()
    assert "3+ people for “pat”" in body and "add a word" in body
