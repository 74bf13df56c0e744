import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from profiles import caches
from profiles.models import Tag
from tests.factories import (
    ProfileFactory,
    TagFactory,
    UserFactory,
    complete_profile,
    conversation_between,
)
from tests.security.conftest import profile_form_data

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def newcomer_client(client, db):
    user = UserFactory()
    client.force_login(user)
    client.user = user
    return client


def test_onboarding_walks_through_basics_interests_values_and_goals(newcomer_client):
    client = newcomer_client
    interests = TagFactory.create_batch(3)
    value = TagFactory(kind=Tag.Kind.VALUE, name="Curiosity")
    assert client.get(reverse("profiles:onboarding"))["Location"].endswith("/basics/")

    response = client.post(
        reverse("profiles:onboarding_step", args=["basics"]),
        {"display_name": "Ada Byron", "headline": "Analyst", "city": "London", "country": "UK"},
    )
    assert response["Location"].endswith("/photo/")
    response = client.post(reverse("profiles:onboarding_step", args=["photo"]), {"skip": "1"})
    assert response["Location"].endswith("/interests/")
    response = client.post(
        reverse("profiles:onboarding_step", args=["interests"]),
        {"tags": [t.name for t in interests], "save": "1"},
    )
    assert response["Location"].endswith("/values/")
    response = client.post(
        reverse("profiles:onboarding_step", args=["values"]), {"tags": ["Curiosity"], "save": "1"}
    )
    assert response["Location"].endswith("/goals/")
    response = client.post(
        reverse("profiles:onboarding_step", args=["goals"]), {"goals": ["find_mentor", "learn"]}
    )
    assert response["Location"] == reverse("home:index")
    page = client.get(reverse("profiles:me")).content.decode()
    assert "Ada Byron" in page
    for tag in [*interests, value]:
        assert tag.name in page


def test_too_few_interests_keeps_the_chosen_ones_and_says_why(newcomer_client):
    tags = TagFactory.create_batch(2)
    response = newcomer_client.post(
        reverse("profiles:onboarding_step", args=["interests"]),
        {"tags": [t.name for t in tags], "save": "1"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "at least 3 interests" in body
    for tag in tags:
        assert f'value="{tag.name}"' in body


def test_searching_adding_and_proposing_keep_the_selection(newcomer_client):
    url = reverse("profiles:onboarding_step", args=["interests"])
    chosen = TagFactory(name="Open source")
    TagFactory(name="Climate tech")
    response = newcomer_client.post(url, {"tags": ["Open source"], "q": "clim", "search": "1"})
    body = response.content.decode()
    assert 'value="Climate tech"' in body and 'value="Open source"' in body
    response = newcomer_client.post(url, {"tags": ["Open source"], "add": "Climate tech"})
    body = response.content.decode()
    assert 'name="tags" value="Climate tech"' in body.replace("checked ", "")
    response = newcomer_client.post(
        url, {"tags": ["Open source", "Climate tech"], "q": "Kelp farming", "propose": "1"}
    )
    proposal = Tag.objects.get(name="Kelp farming")
    assert proposal.status == Tag.Status.PENDING
    assert proposal.name in response.content.decode()
    assert chosen.name in response.content.decode()


def test_htmx_search_returns_only_the_picker(newcomer_client):
    TagFactory(name="Climate tech")
    response = newcomer_client.post(
        reverse("profiles:edit_interests"),
        {"q": "clim", "search": "1"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "<html" not in body
    assert "Climate tech" in body


def test_a_refused_pick_shows_in_the_picker_under_htmx_and_on_the_page_without(newcomer_client):
    url = reverse("profiles:edit_interests")
    TagFactory(name="Open source")
    picked = {"tags": ["Open source"], "add": "Not a real tag"}

    htmx = newcomer_client.post(url, picked, HTTP_HX_REQUEST="true")
    plain = newcomer_client.post(url, picked)

    # A 200 with the picker and its error, swapped in place in every mode (a 4xx would not
    # be swapped, and in DEBUG would replace the page); the plain form gets its 400.
    assert htmx.status_code == 200 and "<html" not in htmx.content.decode()
    for response in (htmx, plain):
        assert "“Not a real tag” is not in the list." in response.content.decode()
        assert 'value="Open source"' in response.content.decode()
    assert plain.status_code == 400


def test_matches_page_sends_incomplete_profiles_to_onboarding(newcomer_client):
    response = newcomer_client.get(reverse("matching:list"), follow=True)
    assert response.redirect_chain[-1][0].startswith("/profile/onboarding/")


def test_edit_profile_error_keeps_everything_typed(member_client):
    long_bio = "Line one\nLine two\n" + "x" * 2100
    response = member_client.post(
        reverse("profiles:edit"),
        {
            "display_name": "Grace",
            "headline": "Admiral of code",
            "bio": long_bio,
            "city": "Arlington",
            "goals": ["hire"],
            "discoverable": "on",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This is 2,118 characters long and the limit is 2,000" in body
    assert "Admiral of code" in body and "Arlington" in body
    # The whole bio is back in the box: no maxlength attribute to cut it on the way.
    assert f"{long_bio}</textarea>" in body
    assert 'data-maxlength="2000"' in body and ' maxlength="2000"' not in body


def test_a_name_is_one_line_of_visible_text(member_client):
    """Line breaks and control characters become spaces; invisible characters are no name."""
    profile = member_client.profile
    url = reverse("profiles:edit")
    form = {"headline": "Kept", "goals": ["hire"], "bio": "Line one\r\nLine two\x00"}

    saved = member_client.post(url, {**form, "display_name": "Grace\r\nBcc: x@example.com\x07"})
    profile.refresh_from_db()
    invisible = member_client.post(url, {**form, "display_name": "\u200b\u200d\ufeff \u2060"})

    assert saved.status_code == 302
    assert (profile.display_name, profile.bio) == ("Grace Bcc: x@example.com", "Line one\nLine two")
    assert invisible.status_code == 200
    assert "This field is required." in invisible.content.decode()
    profile.refresh_from_db()
    assert profile.display_name == "Grace Bcc: x@example.com"


def test_read_only_pages_refuse_a_post(member_client, stranger_client):
    tag = member_client.profile.interests.first()
    for url in (
        reverse("profiles:me"),
        reverse("profiles:detail", kwargs={"profile_id": stranger_client.profile.pk}),
        reverse("profiles:tag_index"),
        reverse("profiles:tag_detail", kwargs={"slug": tag.slug}),
        reverse("profiles:tag_suggest"),
        reverse("profiles:settings"),
        reverse("profiles:export"),
    ):
        assert member_client.post(url).status_code == 405, url


def test_fake_image_upload_is_refused_on_the_form(member_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("me.png", b"<html>not an image</html>", content_type="image/png")
    response = member_client.post(
        reverse("profiles:edit"),
        {"display_name": "Grace", "goals": ["hire"], "avatar_upload": fake, "headline": "Kept"},
    )
    assert response.status_code == 200
    assert b"JPEG, PNG or WebP" in response.content
    assert b"Kept" in response.content


@pytest.mark.parametrize("field", ["display_name", "headline", "bio", "city", "company"])
def test_text_fields_are_shown_escaped(member_client, stranger_client, field):
    profile = member_client.profile
    setattr(profile, field, XSS[:80] if field != "bio" else XSS)
    profile.save()
    for client in (member_client, stranger_client):
        url = profile.get_absolute_url() if client is stranger_client else reverse("profiles:me")
        body = client.get(url).content.decode()
        assert "<script>alert" not in body
        assert "&lt;script&gt;" in body


def test_bio_keeps_line_breaks(member_client):
    member_client.profile.bio = "First line\nSecond line"
    member_client.profile.save()
    body = member_client.get(reverse("profiles:me")).content.decode()
    assert "First line<br>Second line" in body


def test_a_hidden_profile_is_a_404_for_others(member_client, stranger_client):
    member_client.profile.discoverable = False
    member_client.profile.save()
    assert stranger_client.get(member_client.profile.get_absolute_url()).status_code == 404


def test_blocking_hides_both_people_from_each_other(member_client, stranger_client):
    me, other = member_client.profile, stranger_client.profile
    response = member_client.post(reverse("profiles:block", args=[other.pk]))
    assert response.status_code == 302
    assert member_client.get(other.get_absolute_url()).status_code == 404
    assert stranger_client.get(me.get_absolute_url()).status_code == 404


def test_blocking_needs_post(member_client, stranger_client):
    response = member_client.get(reverse("profiles:block", args=[stranger_client.profile.pk]))
    assert response.status_code == 405


def test_tag_page_lists_people_into_it(member_client):
    tag = TagFactory(name="Climate tech")
    other = complete_profile(interests=[tag, *TagFactory.create_batch(2)], display_name="Kim Lee")
    body = member_client.get(tag.get_absolute_url()).content.decode()
    assert "Climate tech" in body and "Kim Lee" in body
    assert other.get_absolute_url() in body


def test_unknown_and_pending_tags_have_no_page(member_client):
    pending = TagFactory(status=Tag.Status.PENDING)
    assert member_client.get(pending.get_absolute_url()).status_code == 404
    assert member_client.get("/tags/no-such-tag/").status_code == 404


def test_export_downloads_json(member_client):
    response = member_client.get(reverse("profiles:export"))
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    assert response.json()["profile"]["display_name"] == member_client.profile.display_name


def test_profile_pages_need_a_login(client, db):
    profile = ProfileFactory()
    response = client.get(profile.get_absolute_url())
    assert response.status_code == 302


def test_a_proposed_tag_name_is_shown_escaped(member_client):
    url = reverse("profiles:edit_interests")
    current = [tag.name for tag in member_client.profile.interests.all()]
    response = member_client.post(
        url, {"tags": current, "q": "<b onmouseover=x>Kelp", "propose": "1"}
    )
    body = response.content.decode()
    assert "<b onmouseover" not in body
    assert "&lt;b onmouseover=x&gt;Kelp" in body


def test_the_browse_page_folds_categories_with_counts_and_shows_popular_tags(
    member_client, climbing_and_climate
):
    response = member_client.get(reverse("profiles:tag_index"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="cat-technology"' in body and "<details" in body
    assert "Popular interests" in body
    assert body.index("Climate tech", body.index("Popular interests")) < body.index(
        "Climbing", body.index("Popular interests")
    )
    assert '<span class="chip__count">3<span class="visually-hidden"> people</span>' in body


def test_the_browse_search_works_as_a_plain_get_and_as_htmx(member_client, climbing_and_climate):
    url = reverse("profiles:tag_index")
    page = member_client.get(url, {"q": "  clim ", "kind": "interest"}).content.decode()
    assert 'value="clim"' in page and "for “clim”" in page
    assert 'id="cat-' not in page  # the results instead of the categories

    partial = member_client.get(
        url, {"q": "clim"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="tag-browse-results"
    ).content.decode()
    assert partial.lstrip().startswith('<div id="tag-browse-results"')
    assert "<html" not in partial and "Climate tech" in partial


def test_a_search_that_finds_nothing_says_so(member_client):
    TagFactory(name="Kelp farming")
    body = member_client.get(reverse("profiles:tag_index"), {"q": "zzz" * 40}).content.decode()
    assert "No interest matches “" + "zzz" * 20 + "”" in body  # capped at 60 characters
    assert "Show all interests" in body


def test_the_browse_page_runs_a_fixed_number_of_queries(
    member_client, climbing_and_climate, django_assert_max_num_queries
):
    TagFactory.create_batch(30)
    member_client.get(reverse("profiles:tag_index"))
    # user, tags, and the cached popularity counts once they expire
    caches.TAG_COUNTS.delete()
    with django_assert_max_num_queries(3):
        assert member_client.get(reverse("profiles:tag_index")).status_code == 200
    with django_assert_max_num_queries(3):
        assert member_client.get(reverse("profiles:tag_index"), {"q": "topic"}).status_code == 200


def test_the_headline_is_not_repeated_as_role_and_company(member_client):
    said = complete_profile(
        display_name="Ana Silva",
        headline="Product designer at Tidal",
        current_role="Product designer",
        company="Tidal",
    )
    new = complete_profile(
        display_name="Ben Okoro", headline="Helping teams ship", current_role="CTO", company="Kite"
    )
    body = member_client.get(said.get_absolute_url()).content.decode()
    assert body.count("Product designer at Tidal") == 1
    body = member_client.get(new.get_absolute_url()).content.decode()
    assert "Helping teams ship" in body and "CTO at Kite" in body


def test_the_main_action_on_a_profile_follows_the_conversation(member_client, stranger_client):
    me, other = member_client.profile, stranger_client.profile
    url = other.get_absolute_url()
    body = member_client.get(url).content.decode()
    assert f'>Message<span class="visually-hidden"> {other.name}' in body
    assert body.index("Message<span") < body.index('id="interests-title"')  # near the top
    conversation_between(me.user, other.user, accepted=False)
    assert "View request<span" in member_client.get(url).content.decode()
    assert "Answer request<span" in stranger_client.get(me.get_absolute_url()).content.decode()
    stranger_client.post(
        reverse(
            "messaging:accept",
            kwargs={"conversation_id": me.user.conversations_started.get().pk},
        )
    )
    assert "Open conversation<span" in member_client.get(url).content.decode()


# --- The photo step ---------------------------------------------------------------------------


def _stripes():
    """600 × 200: red, green and blue squares side by side, as an upload."""
    buffer = io.BytesIO()
    image = Image.new("RGB", (600, 200))
    for n, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        image.paste(colour, (n * 200, 0, n * 200 + 200, 200))
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("me.png", buffer.getvalue(), "image/png")


def _avatar_colour(profile):
    profile.refresh_from_db()
    with profile.avatar.open() as stored, Image.open(stored) as image:
        return image.convert("RGB").getpixel((128, 128))


PHOTO = reverse("profiles:onboarding_step", args=["photo"])


def test_the_photo_step_is_offered_after_the_basics_and_can_be_skipped(newcomer_client):
    page = newcomer_client.get(PHOTO).content.decode()
    assert "Add a photo" in page and "Skip for now" in page and "Step 2 of 5" in page
    assert 'enctype="multipart/form-data"' in page and 'name="crop_size"' in page
    response = newcomer_client.post(PHOTO, {"skip": "1"})
    assert response["Location"].endswith("/interests/")
    assert not newcomer_client.user.profile.avatar


def test_the_photo_step_keeps_the_square_the_person_chose(newcomer_client):
    response = newcomer_client.post(
        PHOTO, {"avatar_upload": _stripes(), "crop_x": 400, "crop_y": 0, "crop_size": 200}
    )
    assert response["Location"].endswith("/interests/")
    red, green, blue = _avatar_colour(newcomer_client.user.profile)
    assert blue > 200 and red < 40 and green < 40


def test_without_javascript_the_middle_square_is_used(newcomer_client):
    newcomer_client.post(PHOTO, {"avatar_upload": _stripes()})
    red, green, blue = _avatar_colour(newcomer_client.user.profile)
    assert green > 200 and red < 40 and blue < 40


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"crop_x": 500, "crop_y": 0, "crop_size": 200}, "does not fit in the picture"),
        ({}, "Choose a picture first, or skip this step."),
        ({"crop_x": "abc", "crop_y": 0, "crop_size": 200}, "Enter a whole number."),
    ],
)
def test_a_refused_photo_says_why_and_saves_nothing(newcomer_client, data, error):
    if "crop_size" in data or "crop_x" in data:
        data = {"avatar_upload": _stripes(), **data}
    response = newcomer_client.post(PHOTO, data)
    assert response.status_code == 400
    assert error in response.content.decode()
    newcomer_client.user.profile.refresh_from_db()
    assert not newcomer_client.user.profile.avatar


def test_the_edit_page_takes_a_chosen_square_too(member_client):
    profile = member_client.profile
    data = profile_form_data(profile, avatar_upload=_stripes(), crop_x=0, crop_y=0, crop_size=200)
    response = member_client.post(reverse("profiles:edit"), data)
    assert response.status_code == 302
    red, green, blue = _avatar_colour(profile)
    assert red > 200 and green < 40 and blue < 40
