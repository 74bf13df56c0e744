# People search: one search document per person. On PostgreSQL the document's tsvector gets a
# GIN index (created here only there: SQLite searches the folded text with LIKE instead), and
# existing people get their documents at once.

import django.contrib.postgres.search
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEX = "profiles_profilesearch_vector_gin"
# Searches leave out suspended people with an anti-join on the few inactive accounts.
INACTIVE_INDEX = "profiles_search_inactive_users"
BATCH = 2000


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON profiles_profilesearch USING gin (vector)"
        )
        # A broad search ranks tens of thousands of rows. Split across workers, PostgreSQL
        # sorts each part whole (and on disk) to merge them; in one process a top-N sort
        # over the same rows takes a third of the time (bench/search.py).
        schema_editor.execute(
            "ALTER TABLE profiles_profilesearch SET (parallel_workers = 0)"
        )
        user_table = schema_editor.quote_name(apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table)
        schema_editor.execute(
            f"CREATE INDEX {INACTIVE_INDEX} ON {user_table} (id) WHERE NOT is_active"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute(f"DROP INDEX IF EXISTS {INACTIVE_INDEX}")


def fill_documents(apps, schema_editor):
    """The same documents services.profile_search_refresh writes, with the models as they
    are at this migration."""
    from django.contrib.postgres.search import SearchVector

    from profiles.search import document

    Profile = apps.get_model("profiles", "Profile")
    ProfileSearch = apps.get_model("profiles", "ProfileSearch")
    throughs = (
        apps.get_model("profiles", "TaggedInterest"),
        apps.get_model("profiles", "TaggedValue"),
    )
    ids = list(Profile.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        tags = {}
        for through in throughs:
            rows = through.objects.filter(
                content_object_id__in=chunk, tag__status="approved"
            ).values_list("content_object_id", "tag__name")
            for profile_id, name in rows:
                tags.setdefault(profile_id, []).append(name)
        documents = []
        for profile in Profile.objects.filter(pk__in=chunk).select_related("user"):
            name = profile.display_name or profile.user.email.split("@")[0]
            texts = document(
                name=name,
                headline=profile.headline,
                current_role=profile.current_role,
                company=profile.company,
                industry=profile.industry,
                city=profile.city,
                country=profile.country,
                tags=sorted(tags.get(profile.pk, [])),
            )
            documents.append(
                ProfileSearch(
                    profile_id=profile.pk,
                    user_id=profile.user_id,
                    listed=profile.discoverable and profile.onboarded_at is not None,
                    **texts,
                )
            )
        ProfileSearch.objects.bulk_create(documents)
        if schema_editor.connection.vendor == "postgresql":
            ProfileSearch.objects.filter(pk__in=chunk).update(
                vector=SearchVector("name_text", weight="A", config="simple")
                + SearchVector("work_text", weight="B", config="simple")
                + SearchVector("other_text", weight="C", config="simple"),
                work_text="",
                other_text="",
            )


class Migration(migrations.Migration):

    dependencies = [
        ('profiles', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ProfileSearch',
            fields=[
                ('profile', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search', serialize=False, to='profiles.profile')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('listed', models.BooleanField(default=False)),
                ('name_text', models.TextField(blank=True)),
                ('work_text', models.TextField(blank=True)),
                ('other_text', models.TextField(blank=True)),
                ('vector', django.contrib.postgres.search.SearchVectorField(blank=True, null=True)),
            ],
        ),
        migrations.RunPython(create_indexes, drop_indexes),
        migrations.RunPython(fill_documents, migrations.RunPython.noop),
    ]
