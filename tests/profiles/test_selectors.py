import pytest
from django.http import Http404
from django.urls import reverse

from accounts import services as accounts_services
from matching import selectors as matching_selectors
from profiles import selectors, services
from profiles.models import Tag, TagAlias
from tests.factories import ProfileFactory, TagFactory, UserFactory, complete_profile


def test_missing_minimum_names_what_is_left(db):
    profile = ProfileFactory(goal_bits=0)
    assert selectors.profile_missing_minimum(profile=profile) == (
        "Add 3 more interests, a value and a goal."
    )
    assert selectors.profile_missing_minimum(profile=complete_profile()) == ""


def test_hidden_people_are_a_404(db):
    viewer = UserFactory()
    hidden = complete_profile(discoverable=False)
    with pytest.raises(Http404):
        selectors.profile_get_visible(viewer=viewer, profile_id=hidden.pk)


@pytest.mark.parametrize("direction", ["viewer_blocked", "viewer_was_blocked"])
def test_blocked_people_are_a_404_both_ways(db, direction):
    viewer, other = complete_profile(), complete_profile()
    if direction == "viewer_blocked":
        accounts_services.block_create(blocker=viewer.user, blocked=other.user)
    else:
        accounts_services.block_create(blocker=other.user, blocked=viewer.user)
    with pytest.raises(Http404):
        selectors.profile_get_visible(viewer=viewer.user, profile_id=other.pk)


def test_pending_tags_show_only_to_their_owner(db):
    profile = complete_profile()
    proposal = services.tag_propose(name="Moss gardens", kind=Tag.Kind.INTEREST, user=profile.user)
    profile.interests.add(proposal)
    assert proposal in selectors.profile_tags(profile=profile, viewer_is_owner=True)["interests"]
    assert (
        proposal not in selectors.profile_tags(profile=profile, viewer_is_owner=False)["interests"]
    )


def test_suggestions_find_names_and_aliases_but_not_others_pending_tags(db):
    from profiles.models import TagAlias

    user = UserFactory()
    ml = TagFactory(name="Machine learning")
    TagAlias.objects.create(normalized_name="ml", tag=ml)
    TagFactory(name="Machinery history", status=Tag.Status.PENDING, proposed_by=UserFactory())
    TagFactory(name="Mach numbers", status=Tag.Status.REJECTED)
    names = [t.name for t in selectors.tag_suggestions(kind="interest", query="mach", user=user)]
    assert names == ["Machine learning"]
    assert selectors.tag_suggestions(kind="interest", query="ML", user=user) == [ml]


def test_people_with_tag_lists_only_visible_people(db):
    tag = TagFactory(name="Climate tech")
    viewer = complete_profile()
    shown = complete_profile(interests=[tag, *TagFactory.create_batch(2)])
    complete_profile(interests=[tag, *TagFactory.create_batch(2)], discoverable=False)
    blocker = complete_profile(interests=[tag, *TagFactory.create_batch(2)])
    accounts_services.block_create(blocker=blocker.user, blocked=viewer.user)
    assert list(selectors.people_with_tag(tag=tag, viewer=viewer.user)) == [shown]


def test_export_holds_profile_tags_and_goals(db):
    profile = complete_profile(goals=["hire", "invest"], headline="Founder at Tidal")
    from intch import personal_data

    data = personal_data.export(user=profile.user)
    assert data["account"]["email"] == profile.user.email
    assert data["profile"]["headline"] == "Founder at Tidal"
    assert data["profile"]["goals"] == ["hire", "invest"]
    assert len(data["profile"]["interests"]) == 3
    assert "matches" in data


def test_popular_prefix_matches_come_first_in_every_tag_search(member_client, climbing_and_climate):
    _climbing, _climate = climbing_and_climate
    TagFactory(name="Anticlimax studies")
    expected = ["Climate tech", "Climbing", "Anticlimax studies"]

    picker = selectors.tag_suggestions(kind=Tag.Kind.INTEREST, query="clim", user=None)
    assert [tag.name for tag in picker] == expected
    assert [tag.people_count for tag in picker] == [3, 1, 0]  # the hidden person not counted
    _, did_you_mean = matching_selectors.filter_tag_lookup(text="clim")
    assert [tag.name for tag in did_you_mean] == expected
    assert [tag.name for tag in matching_selectors.filter_tag_suggestions(query="clim")] == expected

    body = member_client.get(reverse("profiles:tag_index"), {"q": "clim"}).content.decode()
    assert body.index("Climate tech") < body.index("Climbing") < body.index("Anticlimax")


def test_exact_names_then_prefixes_then_words_then_the_rest(db):
    popular = TagFactory(name="Data engineering")
    for _ in range(2):
        complete_profile(interests=[popular, *TagFactory.create_batch(2)])
    data = TagFactory(name="Data")
    TagFactory(name="Open data")
    TagFactory(name="Metadata")
    aliased = TagFactory(name="Statistics")
    TagAlias.objects.create(normalized_name="data science basics", tag=aliased)
    names = [t.name for t in selectors.tag_suggestions(kind=None, query="data", user=None)]
    assert names == ["Data", "Data engineering", "Open data", "Statistics", "Metadata"]
    assert selectors.tag_lookup(text="DATA") == (data, [])


def test_with_equal_popularity_shorter_names_come_first(db):
    TagFactory(name="Honest feedback")
    TagFactory(name="Honesty", kind=Tag.Kind.VALUE)
    names = [t.name for t in selectors.tag_suggestions(kind=None, query="hones", user=None)]
    assert names == ["Honesty", "Honest feedback"]
