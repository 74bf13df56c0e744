"""The Sites record that allauth's emails name follows SITE_URL and SITE_NAME."""

from django.contrib.sites.models import Site
from django.core.management import call_command

from intch.sites import site_sync


def test_migrating_names_the_site_intch_at_site_url(db):
    # The test database was made by `migrate`, whose post_migrate step set the record.
    site = Site.objects.get_current()
    assert (site.name, site.domain) == ("intch", "127.0.0.1:8000")


def test_the_record_follows_a_new_site_url_on_the_next_migrate(db, settings):
    settings.SITE_URL = "https://intch.example.org"

    call_command("migrate", verbosity=0)

    assert Site.objects.get_current().domain == "intch.example.org"
    settings.SITE_URL = "http://10.0.0.5:9000"
    site_sync()
    site_sync()  # idempotent
    assert list(Site.objects.values_list("domain", "name")) == [("10.0.0.5:9000", "intch")]
