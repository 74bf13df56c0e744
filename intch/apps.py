from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntchConfig(AppConfig):
    """The core: wiring shared by every app (no models of its own)."""

    name = "intch"
    verbose_name = "intch"

    def ready(self):
        from intch.sites import site_sync_after_migrate

        # After every `migrate` (make run, the deploy's migrate service, a test database):
        # the Sites record that allauth's emails name follows SITE_URL.
        post_migrate.connect(site_sync_after_migrate, sender=self)
