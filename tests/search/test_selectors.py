"""People search: who is found, in which order, and who never is."""

import pytest
from django.utils import timezone

from accounts import services as accounts_services
from matching.models import Match
from messaging import services as messaging
from profiles import services
from profiles.models import Tag
from search.selectors import people_search
from tests.factories import TagFactory, complete_profile

pytestmark = pytest.mark.django_db


def _names(viewer, query, **kwargs):
    page = people_search(viewer=viewer.user, query=query, **kwargs)
    return [person.name for person in page.object_list]


@pytest.fixture
def viewer():
    return complete_profile(display_name="Viewer Person", headline="Reader")


def test_finds_people_by_name_headline_company_place_interest_and_value(viewer):
    kelp = TagFactory(name="Kelp farming")
    candour = TagFactory(name="Candour", kind=Tag.Kind.VALUE)
    ana = complete_profile(
        display_name="Ana Sílva",
        headline="Ocean engineer",
        company="Tidewater",
        city="Lisbon",
        interests=[kelp, *TagFactory.create_batch(2)],
        values=[candour],
    )
    complete_profile(display_name="Ben Okoro", headline="Accountant", city="Lagos")
    for query in ("ana", "SILVA", "silv", "ocean eng", "tidewater", "lisbon", "kelp", "candour"):
        assert _names(viewer, query) == ["Ana Sílva"], query
    assert _names(viewer, "ana lagos") == []  # every word must match
    assert ana.search.name_text == " ana silva"  # folded: no accents, no capitals


def test_a_part_without_words_is_stored_empty_and_found_by_the_others(viewer):
    """No headline, role or company: the work part is empty, not a lone space."""
    quiet = complete_profile(display_name="Quinn Ash", headline="", current_role="", company="")
    quiet.search.refresh_from_db()
    assert quiet.search.work_text == ""
    assert _names(viewer, "quinn") == ["Quinn Ash"]


def test_name_hits_rank_above_headline_hits_then_the_better_match(viewer):
    by_headline = complete_profile(display_name="Kim Lee", headline="Works with Morgan Stanley")
    by_name = complete_profile(display_name="Morgan Blake", headline="Designer")
    by_name_too = complete_profile(display_name="Morgan Ayers", headline="Designer")
    now = timezone.now()
    Match.objects.create(
        user=viewer.user,
        candidate=by_name_too.user,
        rank=1,
        score=80,
        similarity=0.5,
        computed_at=now,
    )
    Match.objects.create(
        user=viewer.user,
        candidate=by_name.user,
        rank=2,
        score=40,
        similarity=0.4,
        computed_at=now,
    )
    assert _names(viewer, "morgan") == [by_name_too.name, by_name.name, by_headline.name]
    page = people_search(viewer=viewer.user, query="morgan")
    assert [person.match_score for person in page.object_list] == [80, 40, None]


def test_hidden_blocked_suspended_unfinished_and_self_are_never_found(viewer):
    shown = complete_profile(display_name="Zed Shown")
    hidden = complete_profile(display_name="Zed Hidden")
    services.profile_update(profile=hidden, data={"discoverable": False})
    blocker = complete_profile(display_name="Zed Blocker")
    accounts_services.block_create(blocker=blocker.user, blocked=viewer.user)
    blocked = complete_profile(display_name="Zed Blocked")
    accounts_services.block_create(blocker=viewer.user, blocked=blocked.user)
    suspended = complete_profile(display_name="Zed Suspended")
    accounts_services.account_suspend(user=suspended.user)
    newcomer = complete_profile(display_name="Zed Newcomer", onboarded_at=None)
    assert newcomer.onboarded_at is None
    services.profile_update(profile=viewer, data={"display_name": "Zed Viewer"})
    assert _names(viewer, "zed") == [shown.name]


def test_results_say_where_you_stand(viewer):
    sam = complete_profile(display_name="Sam Quill")
    messaging.conversation_start(sender=viewer.user, recipient=sam.user, text="Hi")
    page = people_search(viewer=viewer.user, query="quill")
    assert page.object_list[0].contact == "sent"


def test_edits_renames_and_merges_keep_documents_current(
    viewer, tasks_inline, django_capture_on_commit_callbacks
):
    kelp = TagFactory(name="Kelp farming")
    seaweed = TagFactory(name="Seaweed")
    person = complete_profile(
        display_name="Uma Reed", interests=[kelp, seaweed, TagFactory()], company="Old Co"
    )
    services.profile_update(profile=person, data={"company": "Brightwave"})
    assert _names(viewer, "brightwave") == ["Uma Reed"] and _names(viewer, "old co") == []

    services.profile_tags_set(profile=person, interests=[seaweed, *TagFactory.create_batch(2)])
    assert _names(viewer, "kelp") == [] and _names(viewer, "seaweed") == ["Uma Reed"]

    complete_profile(display_name="Vic Marsh", interests=[kelp, *TagFactory.create_batch(2)])
    with django_capture_on_commit_callbacks(execute=True):
        services.tag_merge(source=kelp, target=seaweed)
    assert _names(viewer, "seaweed") == ["Uma Reed", "Vic Marsh"]
    assert _names(viewer, "kelp") == []

    with django_capture_on_commit_callbacks(execute=True):
        services.tags_set_status(tag_ids=[seaweed.pk], status=Tag.Status.REJECTED)
    assert _names(viewer, "seaweed") == []
    assert _names(viewer, "vic") == ["Vic Marsh"]  # still found by the rest


def test_a_query_without_a_real_word_searches_nothing(viewer):
    complete_profile(display_name="A B")
    assert people_search(viewer=viewer.user, query="a") is None
    assert people_search(viewer=viewer.user, query="  !!! ") is None


def test_hostile_queries_are_just_text(viewer):
    complete_profile(display_name="Quinn Roe")
    for query in ("quinn & | ! ( ) :* <->", "quinn\\", "%quinn_", "'quinn'", "quinn:*a"):
        assert _names(viewer, query) == ["Quinn Roe"], query
    assert _names(viewer, "quinn'; drop table x; --") == []  # "drop" and "table" match nobody
    assert _names(viewer, "quinn & !roe") == ["Quinn Roe"]  # operators are not operators


def test_a_page_takes_three_queries_whatever_its_size(viewer, django_assert_num_queries):
    for n in range(5):
        complete_profile(display_name=f"Pat Number{n}")
    # The count (stopping at MAX_RESULTS), the ranked documents, then the page's people.
    with django_assert_num_queries(3):
        page = people_search(viewer=viewer.user, query="pat", number=2, size=2)
        names = [person.name for person in page.object_list]
    assert page.paginator.count == 5 and page.number == 2 and len(names) == 2
    assert not page.paginator.more
    assert people_search(viewer=viewer.user, query="pat", number=99, size=2).number == 3


def test_a_broad_search_counts_no_further_than_it_pages(viewer, monkeypatch):
    from search import selectors

    monkeypatch.setattr(selectors, "MAX_RESULTS", 4)
    for n in range(6):
        complete_profile(display_name=f"Pat Number{n}")
    page = people_search(viewer=viewer.user, query="pat", number=9, size=3)
    assert page.paginator.count == 4 and page.paginator.more
    assert page.number == 2 and len(page.object_list) == 1  # the 4th, the last one shown
