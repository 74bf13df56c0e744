"""Management commands that set up an instance: taxonomy, demo people, admin login."""

import json
import statistics
from io import StringIO
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.urls import reverse

from profiles.models import Category, Profile, ProfileSearch, Tag, TagAlias, TaggedInterest
from profiles.selectors import profile_is_ready
from profiles.services import taxonomy_load_default
from search.selectors import people_search
from tests.factories import ProfileFactory, TagFactory

pytestmark = pytest.mark.django_db

DEFAULT_TAXONOMY = json.loads(
    (Path(settings.BASE_DIR) / "profiles" / "data" / "taxonomy.json").read_text(encoding="utf-8")
)


def _run(command, *args, **options):
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=out, **options)
    return out.getvalue()


def _tag_snapshot():
    return list(
        Tag.objects.order_by("pk").values_list(
            "pk", "name", "slug", "kind", "category_id", "description", "status"
        )
    )


# --- load_taxonomy ------------------------------------------------------------------------


def test_load_taxonomy_creates_the_shipped_taxonomy():
    output = _run("load_taxonomy")

    tags = DEFAULT_TAXONOMY["tags"]
    aliases = sum(len(tag.get("aliases", [])) for tag in tags)
    expected = (
        f"Created {len(tags)} tags, {len(DEFAULT_TAXONOMY['categories'])} categories, "
        f"{aliases} aliases"
    )
    assert expected in output
    assert Tag.objects.count() == len(tags)
    assert TagAlias.objects.get(normalized_name="ai").tag.name == "Artificial intelligence"


def test_load_taxonomy_twice_creates_nothing_and_keeps_admin_edits():
    _run("load_taxonomy")
    curated = Tag.objects.get(name="Artificial intelligence")
    curated.status = Tag.Status.REJECTED
    curated.description = "Edited by an admin."
    curated.category = Category.objects.get(slug="data-ai")
    curated.save()
    before = _tag_snapshot()
    aliases_before = TagAlias.objects.count()

    output = _run("load_taxonomy")

    assert "Taxonomy already up to date" in output
    assert _tag_snapshot() == before
    assert TagAlias.objects.count() == aliases_before


def test_load_taxonomy_never_removes_tags_missing_from_the_file(tmp_path):
    _run("load_taxonomy")
    in_use = Tag.objects.get(name="Kotlin")
    person = ProfileFactory(interests=[in_use])
    proposed = TagFactory(name="Zig", status=Tag.Status.PENDING)
    small = tmp_path / "small.json"
    small.write_text(
        json.dumps({"tags": [{"name": "Quantum computing", "kind": "interest"}]}),
        encoding="utf-8",
    )
    count = Tag.objects.count()

    output = _run("load_taxonomy", file=str(small))

    assert "Taxonomy already up to date" in output
    assert Tag.objects.count() == count
    assert list(person.interests.all()) == [in_use]
    assert Tag.objects.filter(pk=proposed.pk).exists()


def test_load_taxonomy_reads_a_csv_file(tmp_path):
    csv = tmp_path / "extra.csv"
    csv.write_text(
        "name,kind,category,description,status,aliases\n"
        "Zig,interest,Software engineering,A systems language,,ziglang\n",
        encoding="utf-8",
    )

    output = _run("load_taxonomy", file=str(csv))

    assert "Created 1 tags, 1 categories, 1 aliases" in output
    assert Tag.objects.get(name="Zig").category.slug == "software-engineering"


@pytest.mark.parametrize(
    ("content", "error"),
    [('{"tags": "nope"}', "list of “tags”"), ("{", "not valid JSON")],
)
def test_load_taxonomy_explains_a_bad_file(tmp_path, content, error):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError, match=error):
        _run("load_taxonomy", file=str(bad))
    assert not Tag.objects.exists()


def test_load_taxonomy_explains_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        _run("load_taxonomy", file=str(tmp_path / "nowhere.json"))


# --- seed_demo ------------------------------------------------------------------------------


DEMO_DOMAIN = "@demo.intch.local"


def _demo_people():
    return Profile.objects.filter(user__email__endswith=DEMO_DOMAIN)


def _names_by_number():
    rows = _demo_people().values_list("user__email", "display_name")
    return [name for _, name in sorted(rows, key=lambda row: int(row[0][5:].split("@")[0]))]


def _interests_by_number():
    rows = TaggedInterest.objects.filter(
        content_object__user__email__endswith=DEMO_DOMAIN
    ).values_list("content_object__user__email", "tag__name")
    people = {}
    for email, tag in rows:
        people.setdefault(email, set()).add(tag)
    return people


@pytest.fixture
def demo_300(settings):
    taxonomy_load_default()
    return _run("seed_demo", users=300, seed=1)


def test_seed_demo_makes_the_people_and_the_demo_login(demo_300, settings, client):
    assert _demo_people().count() == 300
    assert Profile.objects.count() == 301
    demo = Profile.objects.get(user__email="demo@intch.local")
    assert profile_is_ready(profile=demo)
    assert f"Log in as demo@intch.local with password {settings.INTCH_DEMO_PASSWORD}" in demo_300

    response = client.post(
        reverse("account_login"),
        {"login": "demo@intch.local", "password": settings.INTCH_DEMO_PASSWORD},
    )
    assert response.status_code == 302
    assert "confirm" not in response["Location"] and "verif" not in response["Location"]


def test_seeded_people_can_log_in_with_a_verified_email(demo_300, settings, client):
    person = _demo_people().select_related("user").first()
    assert EmailAddress.objects.filter(
        user=person.user, email=person.user.email, verified=True, primary=True
    ).exists()

    response = client.post(
        reverse("account_login"),
        {"login": person.user.email, "password": settings.INTCH_DEMO_PASSWORD},
    )

    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(person.user.pk)


def test_seeded_people_have_complete_profiles(demo_300):
    people = _demo_people().annotate(
        interest_count=Count("interest_items", distinct=True),
        value_count=Count("value_items", distinct=True),
    )
    interest_counts = [person.interest_count for person in people]
    value_counts = [person.value_count for person in people]

    assert min(interest_counts) >= 5 and max(interest_counts) <= 30
    assert min(value_counts) >= 1 and max(value_counts) <= 6
    assert all(person.goal_bits for person in people)
    assert all(person.onboarded_at for person in people)

    assert all(person.display_name for person in people)
    assert all(p.headline.startswith("Freelance") or " at " in p.headline for p in people)
    assert len({person.city for person in people}) > 20
    assert 0.8 < sum(person.discoverable for person in people) / 300 < 1
    assert not Tag.objects.filter(
        interest_items__content_object__in=people, status__in=["pending", "rejected"]
    ).exists()


def test_seeded_people_can_be_found_by_people_search(demo_300):
    assert ProfileSearch.objects.count() == Profile.objects.count() == 301
    demo = Profile.objects.get(user__email="demo@intch.local")
    someone = _demo_people().filter(discoverable=True).first()
    found = people_search(viewer=demo.user, query=someone.name)
    assert someone in found.object_list


def test_seeded_interests_are_skewed_like_real_popularity(demo_300):
    people = _demo_people().count()
    per_tag = dict(
        Tag.objects.filter(kind=Tag.Kind.INTEREST, status=Tag.Status.APPROVED)
        .annotate(
            holders=Count(
                "interest_items",
                filter=Q(interest_items__content_object__user__email__endswith=DEMO_DOMAIN),
            )
        )
        .values_list("name", "holders")
    )
    shares = sorted((holders / people for holders in per_tag.values()), reverse=True)

    assert shares[0] > 0.15
    assert statistics.median(shares) < 0.03


def test_seed_demo_is_deterministic_for_a_seed(demo_300):
    names, interests = _names_by_number(), _interests_by_number()
    get_user_model().objects.filter(email__endswith="intch.local").delete()

    _run("seed_demo", users=300, seed=1)

    assert _names_by_number() == names
    assert _interests_by_number() == interests
    get_user_model().objects.filter(email__endswith="intch.local").delete()
    _run("seed_demo", users=300, seed=2)
    assert _names_by_number() != names


def test_seed_demo_if_empty_does_nothing_the_second_time(demo_300):
    profiles, taggings = Profile.objects.count(), TaggedInterest.objects.count()

    output = _run("seed_demo", users=300, seed=1, if_empty=True)

    assert "nothing to do" in output
    assert "Log in as demo@intch.local" in output
    assert (Profile.objects.count(), TaggedInterest.objects.count()) == (profiles, taggings)


def test_seed_demo_without_if_empty_adds_more_people(demo_300):
    _run("seed_demo", users=20, seed=1)

    assert _demo_people().count() == 320
    assert get_user_model().objects.filter(email="demo@intch.local").count() == 1


def test_seed_demo_loads_the_taxonomy_when_there_is_none():
    output = _run("seed_demo", users=10)

    assert "loaded the default taxonomy" in output
    assert Tag.objects.count() == len(DEFAULT_TAXONOMY["tags"])
    assert _demo_people().count() == 10


def test_seed_demo_keeps_an_existing_demo_login(demo_300):
    demo = Profile.objects.get(user__email="demo@intch.local")
    demo.display_name = "Renamed by the operator"
    demo.save()

    _run("seed_demo", users=5, seed=3)

    demo.refresh_from_db()
    assert demo.display_name == "Renamed by the operator"


# --- ensure_admin ---------------------------------------------------------------------------


@pytest.fixture
def project_root(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    return tmp_path


def _password(output):
    line = next(line for line in output.splitlines() if line.startswith("Admin: "))
    return line.rsplit(" / ", 1)[1]


def test_ensure_admin_twice_gives_one_admin_and_the_same_password(project_root):
    first = _run("ensure_admin")
    second = _run("ensure_admin")

    admins = get_user_model().objects.filter(email="admin@intch.local")
    assert admins.count() == 1
    admin = admins.get()
    assert admin.is_superuser and admin.is_staff
    assert "http://127.0.0.1:8000/admin/ — admin@intch.local / " in second
    assert _password(first) == _password(second)
    assert admin.check_password(_password(second))
    assert EmailAddress.objects.filter(user=admin, verified=True, primary=True).exists()
    assert Profile.objects.filter(user=admin).exists()
    login_file = project_root / ".admin-login"
    assert login_file.read_text().strip() == f"admin@intch.local {_password(first)}"
    assert login_file.stat().st_mode & 0o777 == 0o600


def test_ensure_admin_resets_the_password_when_the_file_is_lost(project_root):
    old = _password(_run("ensure_admin"))
    (project_root / ".admin-login").unlink()

    new = _password(_run("ensure_admin"))

    assert new != old
    admin = get_user_model().objects.get(email="admin@intch.local")
    assert admin.check_password(new)
    assert (project_root / ".admin-login").exists()


def test_ensure_admin_does_not_promote_someone_elses_account(project_root):
    from tests.factories import UserFactory

    stranger = UserFactory(email="admin@intch.local")

    with pytest.raises(CommandError, match="not an administrator"):
        _run("ensure_admin")
    stranger.refresh_from_db()
    assert not stranger.is_superuser
    assert not (project_root / ".admin-login").exists()


def test_ensure_admin_prints_the_admin_at_site_url_by_default(project_root, settings):
    settings.SITE_URL = "http://127.0.0.1:9123"

    output = _run("ensure_admin")

    assert "Admin: http://127.0.0.1:9123/admin/ — admin@intch.local / " in output


def test_intch_welcome_prints_site_url_by_default(settings):
    settings.SITE_URL = "http://127.0.0.1:9123"

    output = _run("intch_welcome")

    assert "intch is starting on http://127.0.0.1:9123/" in output
