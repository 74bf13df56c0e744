import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts import services as accounts_services
from profiles import services
from profiles.models import Category, Tag, TagAlias, TaggedInterest, normalise_tag_name
from profiles.services import taxonomy_import
from tests.factories import CategoryFactory, ProfileFactory, TagFactory, UserFactory


def _image_upload(fmt="PNG", size=(600, 400), exif=None, name="me.png"):
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=fmt, **kwargs)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


@pytest.mark.parametrize(
    "typed", ["Machine learning", "machine-learning", "  MACHINE   learning ", "machine_learning"]
)
def test_tag_names_are_normalised_to_one_form(typed):
    assert normalise_tag_name(typed) == "machine learning"


def test_aliases_resolve_to_the_canonical_tag(db):
    tag = TagFactory(name="Machine learning")
    TagAlias.objects.create(normalized_name="ml", tag=tag)
    assert services.tag_resolve(name="ML", kind=Tag.Kind.INTEREST) == tag
    assert services.tag_resolve(name="machine-learning", kind=Tag.Kind.INTEREST) == tag
    assert services.tag_resolve(name="ml", kind=Tag.Kind.VALUE) is None


def test_a_proposal_is_pending_and_belongs_to_its_proposer(db):
    user = UserFactory()
    tag = services.tag_propose(name="Solarpunk fiction", kind=Tag.Kind.INTEREST, user=user)
    assert tag.status == Tag.Status.PENDING
    assert tag.proposed_by == user


def test_proposing_an_existing_name_or_alias_returns_the_existing_tag(db):
    tag = TagFactory(name="Climate tech")
    TagAlias.objects.create(normalized_name="climatetech", tag=tag)
    user = UserFactory()
    assert services.tag_propose(name="climate-tech", kind=Tag.Kind.INTEREST, user=user) == tag
    assert services.tag_propose(name="ClimateTech", kind=Tag.Kind.INTEREST, user=user) == tag
    assert Tag.objects.count() == 1


def test_a_proposal_longer_than_50_characters_is_refused(db):
    with pytest.raises(ValidationError, match="at most 50"):
        services.tag_propose(name="x" * 51, kind=Tag.Kind.INTEREST, user=UserFactory())


@pytest.mark.parametrize(
    ("count", "message"), [(2, "at least 3 interests"), (31, "at most 30 interests")]
)
def test_interest_limits(db, count, message):
    profile = ProfileFactory()
    with pytest.raises(ValidationError, match=message):
        services.profile_tags_set(profile=profile, interests=TagFactory.create_batch(count))
    assert profile.interests.count() == 0


def test_value_limits(db):
    profile = ProfileFactory()
    values = TagFactory.create_batch(11, kind=Tag.Kind.VALUE)
    with pytest.raises(ValidationError, match="at most 10 values"):
        services.profile_tags_set(profile=profile, values=values)
    with pytest.raises(ValidationError, match="at least 1 values"):
        services.profile_tags_set(profile=profile, values=[])


def test_someone_elses_pending_tag_cannot_be_used(db):
    other_proposal = TagFactory(status=Tag.Status.PENDING, proposed_by=UserFactory())
    profile = ProfileFactory()
    with pytest.raises(ValidationError, match="not available"):
        services.profile_tags_set(
            profile=profile, interests=[other_proposal, *TagFactory.create_batch(3)]
        )


def test_own_pending_tag_can_be_used(db):
    profile = ProfileFactory()
    proposal = services.tag_propose(name="Tide pools", kind=Tag.Kind.INTEREST, user=profile.user)
    services.profile_tags_set(profile=profile, interests=[proposal, *TagFactory.create_batch(2)])
    assert proposal in profile.interests.all()


def test_avatar_is_reencoded_square_and_stripped_of_metadata(db):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # camera make
    exif[0x8825] = {1: "N"}  # GPS info
    content = services.avatar_process(uploaded=_image_upload("JPEG", exif=exif, name="a.jpg"))
    with Image.open(content) as image:
        assert image.format == "WEBP"
        assert image.size == (services.AVATAR_SIZE, services.AVATAR_SIZE)
        assert not image.getexif()


def _three_stripes(fmt="PNG", exif=None):
    """600 × 200: red, green and blue squares side by side."""
    buffer = io.BytesIO()
    image = Image.new("RGB", (600, 200))
    for n, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        image.paste(colour, (n * 200, 0, n * 200 + 200, 200))
    image.save(buffer, format=fmt, **({"exif": exif} if exif else {}))
    return SimpleUploadedFile(f"s.{fmt.lower()}", buffer.getvalue(), f"image/{fmt.lower()}")


def _middle_colour(content):
    with Image.open(content) as image:
        assert image.size == (services.AVATAR_SIZE, services.AVATAR_SIZE)
        return image.convert("RGB").getpixel((128, 128))


def _is(colour, expected):
    return all(abs(a - b) < 40 for a, b in zip(colour, expected, strict=True))


def test_the_middle_square_is_kept_unless_the_person_chose_one(db):
    assert _is(_middle_colour(services.avatar_process(uploaded=_three_stripes())), (0, 255, 0))
    chosen = services.avatar_process(uploaded=_three_stripes(), crop=(400, 0, 200))
    assert _is(_middle_colour(chosen), (0, 0, 255))
    zoomed = services.avatar_process(uploaded=_three_stripes(), crop=(20, 40, 100))
    assert _is(_middle_colour(zoomed), (255, 0, 0))


def test_the_chosen_square_is_in_the_upright_picture(db):
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90° clockwise: 200 wide, 600 high, red on top
    content = services.avatar_process(uploaded=_three_stripes("JPEG", exif), crop=(0, 0, 200))
    assert _is(_middle_colour(content), (255, 0, 0))


@pytest.mark.parametrize(
    ("crop", "error"),
    [
        ((500, 0, 200), "does not fit in the picture (600 × 200 pixels)"),
        ((0, 1, 200), "does not fit"),
        ((-1, 0, 100), "does not fit"),
        ((0, 0, 20), "too small: choose at least 64 pixels"),
        (("x", 0, 100), "Choose the square of your picture again."),
    ],
)
def test_a_square_that_does_not_fit_is_refused(db, crop, error):
    with pytest.raises(ValidationError, match=re.escape(error)):
        services.avatar_process(uploaded=_three_stripes(), crop=crop)


def test_a_file_that_claims_to_be_an_image_is_refused(db):
    fake = SimpleUploadedFile("evil.png", b"<html><script>alert(1)</script></html>", "image/png")
    with pytest.raises(ValidationError, match="JPEG, PNG or WebP"):
        services.avatar_process(uploaded=fake)


def test_a_gif_is_refused(db):
    with pytest.raises(ValidationError, match="JPEG, PNG or WebP"):
        services.avatar_process(uploaded=_image_upload("GIF", name="a.gif"))


def test_an_oversized_file_is_refused(db):
    big = SimpleUploadedFile("big.png", b"0" * (5 * 1024 * 1024 + 1), "image/png")
    with pytest.raises(ValidationError, match="larger than 5 MB"):
        services.avatar_process(uploaded=big)


def test_a_decompression_bomb_is_refused(db):
    bomb = _image_upload("PNG", size=(10_000, 10_000), name="bomb.png")
    assert bomb.size < 5 * 1024 * 1024
    with pytest.raises(ValidationError, match=r"too many pixels|not one of them"):
        services.avatar_process(uploaded=bomb)


def test_merge_moves_taggings_without_duplicates_and_records_the_alias(db):
    source, target = TagFactory(name="Machine-learning stuff"), TagFactory(name="Machine learning")
    both = ProfileFactory(interests=[source, target])
    only_source = ProfileFactory(interests=[source])
    moved = services.tag_merge(source=source, target=target)
    assert moved == 1
    assert list(both.interests.all()) == [target]
    assert list(only_source.interests.all()) == [target]
    assert TaggedInterest.objects.filter(tag=target).count() == 2
    assert not Tag.objects.filter(pk=source.pk).exists()
    assert services.tag_resolve(name="machine learning stuff", kind=Tag.Kind.INTEREST) == target


def test_merge_refuses_tags_of_different_kinds(db):
    with pytest.raises(ValidationError, match="same kind"):
        services.tag_merge(source=TagFactory(), target=TagFactory(kind=Tag.Kind.VALUE))


def test_block_is_refused_for_oneself(db):
    user = UserFactory()
    with pytest.raises(ValidationError):
        accounts_services.block_create(blocker=user, blocked=user)


def test_finishing_onboarding_queues_the_newcomers_first_matches(
    db, tasks_inline, django_capture_on_commit_callbacks
):
    from matching.models import Match
    from tests.factories import complete_profile

    shared = TagFactory.create_batch(3)
    value = TagFactory(kind=Tag.Kind.VALUE)
    other = complete_profile(interests=shared, values=[value])
    newcomer = ProfileFactory(onboarded_at=None, interests=shared, values=[value])
    # The goals step saves the goals first: that recompute runs before onboarding is done
    # (at once, with tasks in-process), while the newcomer cannot be matched yet.
    with django_capture_on_commit_callbacks(execute=True):
        services.profile_update(profile=newcomer, data={"goals": ["hire"]})
    assert not Match.objects.filter(user=newcomer.user).exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.profile_onboarding_complete(profile=newcomer)
    assert Match.objects.filter(user=newcomer.user, candidate=other.user).exists()


def test_values_have_categories_of_their_own(db):
    taxonomy_import(data=_shipped())
    categories = set(
        Tag.objects.filter(kind=Tag.Kind.VALUE).values_list("category__slug", flat=True)
    )
    assert len(categories) >= 5 and None not in categories
    assert not Category.objects.filter(slug="values").exists()


def test_load_taxonomy_moves_values_out_of_the_old_single_category(db):
    """An existing database: every value in one “Values” category, one a curator added."""
    old = CategoryFactory(name="Values", slug="values")
    curiosity = TagFactory(name="Curiosity", kind=Tag.Kind.VALUE, category=old)
    own = TagFactory(name="Tidiness", kind=Tag.Kind.VALUE, category=old)
    moved_interest = TagFactory(name="Kotlin", category=CategoryFactory(name="Languages"))

    created = taxonomy_import(data=_shipped())

    curiosity.refresh_from_db()
    own.refresh_from_db()
    moved_interest.refresh_from_db()
    assert curiosity.category.slug == "values-growth-learning"
    assert created["moved"] == 1
    assert own.category == old  # not in the file: stays, and so does its category
    assert moved_interest.category.name == "Languages"  # filled already: left alone
    Tag.objects.filter(pk=own.pk).delete()
    assert taxonomy_import(data=_shipped())["moved"] == 0
    assert not Category.objects.filter(slug="values").exists()


def _shipped():
    import json
    from pathlib import Path

    from django.conf import settings

    path = Path(settings.BASE_DIR) / "profiles" / "data" / "taxonomy.json"
    return json.loads(path.read_text(encoding="utf-8"))
