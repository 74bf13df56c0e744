"""The taxonomy admin: usage counts, curation actions, merging, import and export."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from profiles.models import Category, Profile, Tag, TagAlias, TaggedInterest, TaggedValue
from search.selectors import people_search
from tests.admin_forms import profile_form, tag_form
from tests.factories import CategoryFactory, ProfileFactory, TagFactory, complete_profile

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:profiles_tag_changelist")


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def _action(client, action, tags, **extra):
    data = {"action": action, "_selected_action": [tag.pk for tag in tags], **extra}
    return client.post(CHANGELIST, data, follow=True)


def _usage_cells(response):
    return {tag.name: tag.usage for tag in response.context["cl"].result_list}


# --- Changelist -----------------------------------------------------------------------------


def _tags_in_use(first, last):
    category = CategoryFactory(name="Data")
    tags = [
        TagFactory(name=f"Topic {number:03d}", category=category) for number in range(first, last)
    ]
    for tag in tags:
        TagAlias.objects.create(normalized_name=f"alias of {tag.name.lower()}", tag=tag)
    return tags


def test_changelist_shows_people_per_tag_and_aliases(admin_client):
    machine_learning = TagFactory(name="Machine learning")
    TagAlias.objects.create(normalized_name="ml", tag=machine_learning)
    rust = TagFactory(name="Rust")
    honesty = TagFactory(name="Honesty", kind=Tag.Kind.VALUE)
    for _ in range(3):
        ProfileFactory(interests=[machine_learning], values=[honesty])
    ProfileFactory(interests=[machine_learning, rust])

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert _usage_cells(response) == {"Honesty": 3, "Machine learning": 4, "Rust": 1}
    content = response.content.decode()
    assert '<td class="field-usage_count">4</td>' in content
    assert '<td class="field-alias_list">ml</td>' in content


def test_changelist_queries_do_not_grow_with_the_number_of_tags(
    admin_client, django_assert_max_num_queries
):
    tags = _tags_in_use(0, 5)
    ProfileFactory(interests=tags)
    with django_assert_max_num_queries(12) as few:
        admin_client.get(CHANGELIST)

    more = _tags_in_use(5, 45)
    ProfileFactory(interests=more)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == 45


def test_changelist_links_to_import_and_exports(admin_client):
    content = admin_client.get(CHANGELIST).content.decode()

    assert reverse("admin:profiles_tag_import") in content
    assert reverse("admin:profiles_tag_export_json") in content
    assert reverse("admin:profiles_tag_export_csv") in content


def test_search_finds_a_tag_by_its_alias(admin_client):
    kubernetes = TagFactory(name="Kubernetes")
    TagAlias.objects.create(normalized_name="k8s", tag=kubernetes)
    TagFactory(name="Docker")

    response = admin_client.get(CHANGELIST, {"q": "k8s"})

    assert [tag.name for tag in response.context["cl"].result_list] == ["Kubernetes"]


def test_adding_a_tag_that_only_differs_in_punctuation_is_refused(admin_client):
    TagFactory(name="Machine learning")

    response = admin_client.post(
        reverse("admin:profiles_tag_add"),
        {
            "name": "machine-learning",
            "slug": "machine-learning-2",
            "kind": "interest",
            "status": "approved",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Tag.objects.count() == 1


# --- Approve and reject ----------------------------------------------------------------------


def test_approve_action_approves_the_selected_pending_tags(admin_client):
    proposed = [TagFactory(status=Tag.Status.PENDING) for _ in range(2)]
    untouched = TagFactory(status=Tag.Status.PENDING)

    response = _action(admin_client, "approve_tags", proposed)

    assert "Approved 2 tags." in _messages(response)
    assert {tag.status for tag in Tag.objects.filter(pk__in=[t.pk for t in proposed])} == {
        "approved"
    }
    untouched.refresh_from_db()
    assert untouched.status == Tag.Status.PENDING


def test_reject_action_rejects_the_selected_tags(admin_client):
    spam = TagFactory(name="Buy followers", status=Tag.Status.PENDING)

    response = _action(admin_client, "reject_tags", [spam])

    assert "Rejected 1 tag." in _messages(response)
    spam.refresh_from_db()
    assert spam.status == Tag.Status.REJECTED


# --- Merge -----------------------------------------------------------------------------------


def test_merge_page_offers_only_other_tags_of_the_same_kind(admin_client):
    source = TagFactory(name="ML")
    target = TagFactory(name="Machine learning")
    value = TagFactory(name="Honesty", kind=Tag.Kind.VALUE)

    response = admin_client.post(
        CHANGELIST, {"action": "merge_tags", "_selected_action": [source.pk]}
    )

    assert response.status_code == 200
    choices = [tag.pk for tag in response.context["form"].fields["target"].queryset]
    assert choices == [target.pk]
    assert value.pk not in choices
    assert Tag.objects.filter(pk=source.pk).exists()


def test_merge_moves_people_to_the_target_without_duplicates(admin_client):
    source = TagFactory(name="ML")
    target = TagFactory(name="Machine learning")
    had_both = ProfileFactory(interests=[source, target])
    had_source = ProfileFactory(interests=[source])
    had_target = ProfileFactory(interests=[target])

    response = _action(admin_client, "merge_tags", [source], target=target.pk, post="yes")

    assert response.status_code == 200
    assert any("1 tagging moved" in message for message in _messages(response))
    assert not Tag.objects.filter(pk=source.pk).exists()
    assert TagAlias.objects.get(normalized_name="ml").tag == target
    for person in (had_both, had_source, had_target):
        assert list(person.interests.values_list("name", flat=True)) == ["Machine learning"]
    assert TaggedInterest.objects.filter(tag=target).count() == 3


def test_merging_several_tags_at_once_keeps_every_person(admin_client):
    sources = [TagFactory(name="JS"), TagFactory(name="Javascript dev")]
    target = TagFactory(name="JavaScript")
    person = ProfileFactory(interests=sources)

    _action(admin_client, "merge_tags", sources, target=target.pk, post="yes")

    assert list(person.interests.all()) == [target]
    assert set(TagAlias.objects.values_list("normalized_name", flat=True)) == {
        "js",
        "javascript dev",
    }


def test_merging_an_interest_with_a_value_is_refused(admin_client):
    interest = TagFactory(name="Open source")
    value = TagFactory(name="Openness", kind=Tag.Kind.VALUE)
    person = ProfileFactory(interests=[interest], values=[value])

    response = _action(admin_client, "merge_tags", [interest, value])

    assert any("different kinds" in message for message in _messages(response))
    assert Tag.objects.filter(pk__in=[interest.pk, value.pk]).count() == 2
    assert list(person.interests.all()) == [interest]
    assert list(person.values.all()) == [value]


def test_merge_into_a_tag_of_the_other_kind_is_refused_even_if_forged(admin_client):
    interest = TagFactory(name="Open source")
    value = TagFactory(name="Openness", kind=Tag.Kind.VALUE)
    person = ProfileFactory(interests=[interest])

    response = admin_client.post(
        CHANGELIST,
        {
            "action": "merge_tags",
            "_selected_action": [interest.pk],
            "target": value.pk,
            "post": "yes",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["target"]
    assert list(person.interests.all()) == [interest]
    assert Tag.objects.filter(pk=interest.pk).exists()


def _people(count):
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [user_model(email=f"bulk{n}@example.com") for n in range(count)]
    )
    return Profile.objects.bulk_create([Profile(user=user) for user in users])


def test_merging_5000_taggings_takes_a_handful_of_queries(
    admin_client, django_assert_max_num_queries
):
    source = TagFactory(name="Golang")
    target = TagFactory(name="Go")
    people = _people(5000)
    TaggedInterest.objects.bulk_create(
        [TaggedInterest(content_object=person, tag=source) for person in people]
    )
    TaggedInterest.objects.bulk_create(
        [TaggedInterest(content_object=person, tag=target) for person in people[:1000]]
    )

    data = {"action": "merge_tags", "_selected_action": [source.pk], "target": target.pk}
    # Session, user and changelist set-up included; one query per tagging would be 5,000+.
    with django_assert_max_num_queries(30):
        response = admin_client.post(CHANGELIST, {**data, "post": "yes"})

    assert any("4000 taggings moved" in message for message in _messages(response))
    assert TaggedInterest.objects.filter(tag=target).count() == 5000
    assert not Tag.objects.filter(pk=source.pk).exists()


# --- Export and import -----------------------------------------------------------------------


def _sample_taxonomy():
    data = CategoryFactory(name="Data & AI", slug="data-ai", description="Models, data.")
    data.position = 2
    data.save()
    craft = CategoryFactory(name="Craft", slug="craft", description="Making, with “quotes”, commas")
    values = CategoryFactory(name="Values", slug="values")
    machine_learning = TagFactory(
        name="Machine learning", category=data, description="Learning from data, at scale."
    )
    TagAlias.objects.create(normalized_name="ml", tag=machine_learning)
    TagAlias.objects.create(normalized_name="statistical learning", tag=machine_learning)
    TagFactory(name="Woodworking", category=craft)
    TagFactory(name="=HYPERLINK(evil)", category=craft, status=Tag.Status.PENDING)
    TagFactory(name="Crypto shilling", category=None, status=Tag.Status.REJECTED)
    TagFactory(name="Café culture", category=craft, description="Ça va")
    TagFactory(name="Honesty", kind=Tag.Kind.VALUE, category=values)


def _wipe_taxonomy():
    Tag.objects.all().delete()
    Category.objects.all().delete()


@pytest.mark.parametrize("extension", ["json", "csv"])
def test_export_then_import_into_an_empty_taxonomy_gives_it_back(admin_client, extension):
    _sample_taxonomy()
    export_url = reverse(f"admin:profiles_tag_export_{extension}")
    exported = admin_client.get(export_url)
    assert exported.status_code == 200
    assert f".{extension}" in exported["Content-Disposition"]
    _wipe_taxonomy()

    response = admin_client.post(
        reverse("admin:profiles_tag_import"),
        {"file": SimpleUploadedFile(f"taxonomy.{extension}", exported.content)},
        follow=True,
    )

    assert "created 3 categories, 6 tags and 2 aliases" in " ".join(_messages(response))
    assert admin_client.get(export_url).content == exported.content
    machine_learning = Tag.objects.get(name="Machine learning")
    assert machine_learning.category.name == "Data & AI"
    assert set(machine_learning.aliases.values_list("normalized_name", flat=True)) == {
        "ml",
        "statistical learning",
    }
    assert Tag.objects.get(name="=HYPERLINK(evil)").status == Tag.Status.PENDING
    assert Tag.objects.get(name="Honesty").kind == Tag.Kind.VALUE


def test_csv_export_defuses_spreadsheet_formulas(admin_client):
    _sample_taxonomy()

    content = admin_client.get(reverse("admin:profiles_tag_export_csv")).content.decode()

    assert "'=HYPERLINK(evil)" in content
    assert "\n=HYPERLINK" not in content


def test_json_export_has_the_shipped_format(admin_client):
    _sample_taxonomy()

    data = json.loads(admin_client.get(reverse("admin:profiles_tag_export_json")).content)

    assert [category["slug"] for category in data["categories"]] == ["craft", "values", "data-ai"]
    tag = next(tag for tag in data["tags"] if tag["name"] == "Machine learning")
    assert tag == {
        "name": "Machine learning",
        "kind": "interest",
        "category": "data-ai",
        "description": "Learning from data, at scale.",
        "status": "approved",
        "aliases": ["ml", "statistical learning"],
    }


def test_importing_a_csv_creates_categories_named_in_the_category_column(admin_client):
    csv = (
        "name,kind,category,description,status,aliases\n"
        "Kotlin,interest,Software engineering,A language,,kt|kotlin lang\n"
        "Swift,,software-engineering,,pending,\n"
        "Curiosity,value,Values,,,\n"
    )

    response = admin_client.post(
        reverse("admin:profiles_tag_import"),
        {"file": SimpleUploadedFile("mine.csv", csv.encode())},
        follow=True,
    )

    assert "created 2 categories, 3 tags and 2 aliases" in " ".join(_messages(response))
    kotlin = Tag.objects.get(name="Kotlin")
    assert (kotlin.category.name, kotlin.category.slug) == (
        "Software engineering",
        "software-engineering",
    )
    assert Tag.objects.get(name="Swift").category == kotlin.category
    assert Tag.objects.get(name="Swift").status == Tag.Status.PENDING
    assert Tag.objects.get(name="Curiosity").kind == Tag.Kind.VALUE


def test_importing_the_same_file_twice_creates_nothing_the_second_time(admin_client):
    csv = b"name,kind,category,description,status,aliases\nKotlin,interest,Languages,,,kt\n"
    url = reverse("admin:profiles_tag_import")
    admin_client.post(url, {"file": SimpleUploadedFile("a.csv", csv)})

    response = admin_client.post(url, {"file": SimpleUploadedFile("a.csv", csv)}, follow=True)

    assert any("nothing new" in message for message in _messages(response))
    assert Tag.objects.count() == 1


BAD_FILES = [
    ("missing.csv", b"name,kind\nKotlin,interest\n", "missing column(s): category"),
    ("broken.json", b'{"tags": [{"name": "Kotlin"}', "not valid JSON"),
    ("shape.json", b'[{"name": "Kotlin"}]', "must be an object"),
    ("kind.json", b'{"tags": [{"name": "Kotlin", "kind": "hobby"}]}', "unknown kind"),
    (
        "latin1.csv",
        "name,kind,category,description,status,aliases\nCafé,interest,,,,\n".encode("latin-1"),
        "not UTF-8",
    ),
    ("blank.csv", b"  \n\n", "empty"),
    ("notes.txt", b"Kotlin", ".json or .csv"),
    (
        "late-error.csv",
        b"name,kind,category,description,status,aliases\n"
        b"Kotlin,interest,Languages,,,\nSwift,interest,Languages,,archived,\n",
        "Line 3",
    ),
]


@pytest.mark.parametrize(("filename", "content", "error"), BAD_FILES)
def test_a_bad_file_shows_an_error_and_changes_nothing(admin_client, filename, content, error):
    existing = TagFactory(name="Rust", description="")

    response = admin_client.post(
        reverse("admin:profiles_tag_import"),
        {"file": SimpleUploadedFile(filename, content)},
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert list(Tag.objects.all()) == [existing]
    assert list(Category.objects.values_list("name", flat=True)) == ["Technology"]


def test_a_file_over_5_mb_is_refused(admin_client):
    big = b'{"tags": [], "padding": "' + b"x" * (5 * 1024 * 1024) + b'"}'

    response = admin_client.post(
        reverse("admin:profiles_tag_import"), {"file": SimpleUploadedFile("big.json", big)}
    )

    assert "larger than 5 MB" in response.content.decode()


def test_people_without_admin_rights_cannot_export(client, user):
    client.force_login(user)

    response = client.get(reverse("admin:profiles_tag_export_json"))

    assert response.status_code == 302
    assert "login" in response["Location"]


# --- People -----------------------------------------------------------------------------------


def test_profile_changelist_queries_do_not_grow_with_people(
    admin_client, django_assert_max_num_queries
):
    url = reverse("admin:profiles_profile_changelist")
    ProfileFactory.create_batch(3)
    with django_assert_max_num_queries(10) as few:
        admin_client.get(url)
    ProfileFactory.create_batch(20)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(url)

    assert len(response.context["cl"].result_list) == 23
    assert "@example.com" in response.content.decode()


def test_category_changelist_counts_tags(admin_client):
    category = CategoryFactory(name="Craft")
    TagFactory.create_batch(3, category=category)

    response = admin_client.get(reverse("admin:profiles_category_changelist"))

    assert '<td class="field-tag_count">3</td>' in response.content.decode()


def test_blocks_are_read_only_but_can_be_lifted(admin_client):
    from accounts.models import Block

    blocker, blocked = ProfileFactory(), ProfileFactory()
    block = Block.objects.create(blocker=blocker.user, blocked=blocked.user)

    add = admin_client.get(reverse("admin:accounts_block_add"))
    admin_client.post(reverse("admin:accounts_block_delete", args=[block.pk]), {"post": "yes"})

    assert add.status_code == 403
    assert not Block.objects.exists()


def test_value_taggings_count_too(admin_client):
    honesty = TagFactory(name="Honesty", kind=Tag.Kind.VALUE)
    TaggedValue.objects.create(content_object=ProfileFactory(), tag=honesty)

    response = admin_client.get(CHANGELIST)

    assert _usage_cells(response) == {"Honesty": 1}


def _change_form_data(tag, **changes):
    data = {
        "name": tag.name,
        "slug": tag.slug,
        "kind": tag.kind,
        "category": tag.category_id or "",
        "status": tag.status,
        "description": tag.description,
        "aliases-TOTAL_FORMS": "1",
        "aliases-INITIAL_FORMS": "0",
        "aliases-0-normalized_name": "",
    }
    data.update(changes)
    return data


def test_change_page_stores_aliases_in_their_normal_form(admin_client):
    tag = TagFactory(name="Machine learning")
    url = reverse("admin:profiles_tag_change", args=[tag.pk])
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(
        url, _change_form_data(tag, **{"aliases-0-normalized_name": "  Machine-Learning_Stuff "})
    )

    assert response.status_code == 302
    assert list(tag.aliases.values_list("normalized_name", flat=True)) == ["machine learning stuff"]


def test_an_alias_that_is_another_tags_name_is_refused(admin_client):
    tag = TagFactory(name="Machine learning")
    TagFactory(name="Deep learning")

    response = admin_client.post(
        reverse("admin:profiles_tag_change", args=[tag.pk]),
        _change_form_data(tag, **{"aliases-0-normalized_name": "deep-learning"}),
    )

    assert response.status_code == 200
    assert "is a tag of its own" in response.content.decode()
    assert not TagAlias.objects.exists()


def test_the_kind_of_a_tag_in_use_cannot_change(admin_client):
    tag = TagFactory(name="Open source")
    person = ProfileFactory(interests=[tag])

    response = admin_client.post(
        reverse("admin:profiles_tag_change", args=[tag.pk]),
        _change_form_data(tag, kind="value"),
    )

    assert response.status_code == 200
    assert "People already use this tag" in response.content.decode()
    tag.refresh_from_db()
    assert tag.kind == Tag.Kind.INTEREST
    assert list(person.interests.all()) == [tag]


def test_status_edited_in_the_list_is_saved(admin_client):
    tag = TagFactory(name="Zig", status=Tag.Status.PENDING)

    response = admin_client.post(
        CHANGELIST,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": tag.pk,
            "form-0-category": tag.category_id,
            "form-0-status": "approved",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    tag.refresh_from_db()
    assert tag.status == Tag.Status.APPROVED


# --- People search follows the taxonomy ------------------------------------------------------


def _found(person, query):
    """Whether someone else's people search finds `person`."""
    page = people_search(viewer=complete_profile().user, query=query)
    return person in page.object_list


def test_renaming_or_deleting_a_tag_updates_who_people_search_finds(
    admin_client, tasks_inline, django_capture_on_commit_callbacks
):
    tag = TagFactory(name="Golang", slug="golang")
    person = complete_profile(interests=[tag, *TagFactory.create_batch(2)])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:profiles_tag_change", args=[tag.pk]), tag_form(tag, name="Go language")
        )
    assert response.status_code == 302
    assert _found(person, "go language") and not _found(person, "golang")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:profiles_tag_delete", args=[tag.pk]), {"post": "yes"})
    assert not _found(person, "go language")


def test_editing_a_person_in_the_admin_updates_their_search_document(admin_client):
    person = complete_profile(display_name="Old Name")
    data = profile_form(person, display_name="Renamed Person")
    response = admin_client.post(reverse("admin:profiles_profile_change", args=[person.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _found(person, "renamed person") and not _found(person, "old name")


def test_renaming_a_tag_leaves_no_chip_linking_to_a_missing_page(admin_client, committed):
    """Stored match reasons name the tag's old slug until they are recomputed (at once here,
    within a minute in services mode); meanwhile the old address leads to the tag."""
    from matching import services as matching
    from matching.models import Match

    tag = TagFactory(name="Golang", slug="golang")
    alice = complete_profile(interests=[tag, *TagFactory.create_batch(2)])
    bob = complete_profile(interests=[tag, *TagFactory.create_batch(2)])
    with committed():
        matching.matches_recompute_all(reason="test")
    assert Match.objects.get(user=alice.user, candidate=bob.user).reasons["interests"][0] == {
        "name": "Golang",
        "slug": "golang",
    }

    with committed():
        response = admin_client.post(
            reverse("admin:profiles_tag_change", args=[tag.pk]),
            tag_form(tag, name="Go language", slug="go-language"),
        )

    assert response.status_code == 302
    assert Match.objects.get(user=alice.user, candidate=bob.user).reasons["interests"][0] == {
        "name": "Go language",
        "slug": "go-language",
    }
    assert TagAlias.objects.filter(normalized_name="golang", tag=tag).exists()
    old_link = admin_client.get(reverse("profiles:tag_detail", kwargs={"slug": "golang"}))
    assert old_link.status_code == 302
    assert old_link["Location"] == reverse("profiles:tag_detail", kwargs={"slug": "go-language"})
