"""The Sites record (django.contrib.sites) follows SITE_URL and SITE_NAME.

allauth names the site in its emails and builds their links from this record; left alone it
says "example.com".
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sites.models import Site
from django.db import DEFAULT_DB_ALIAS


def site_domain() -> str:
    """The host (and port, if any) of SITE_URL: what the Sites record calls the domain."""
    return urlsplit(settings.SITE_URL).netloc or "localhost"


def site_sync(*, using: str = DEFAULT_DB_ALIAS) -> Site:
    """Make the current Sites record say SITE_URL's domain and SITE_NAME (idempotent)."""
    wanted = {"domain": site_domain(), "name": settings.SITE_NAME}
    site, created = Site.objects.using(using).get_or_create(pk=settings.SITE_ID, defaults=wanted)
    if not created and (site.domain, site.name) != (wanted["domain"], wanted["name"]):
        site.domain, site.name = wanted["domain"], wanted["name"]
        site.save(using=using, update_fields=["domain", "name"])
    Site.objects.clear_cache()
    return site


def site_sync_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    site_sync(using=using)
