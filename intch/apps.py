from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntchConfig(AppConfig):
    """The core: wiring shared by every app, and the outbox every email goes through."""

    name = "intch"
    verbose_name = "intch"

    def ready(self) -> None:
        # Imported here: these modules load models, which must wait until the apps are ready.
        from intch import outbox, personal_data
        from intch.sites import site_sync_after_migrate

        # After every `migrate` (make run, the deploy's migrate service, a test database):
        # the Sites record that allauth's emails name follows SITE_URL.
        post_migrate.connect(site_sync_after_migrate, sender=self)

        personal_data.declare(
            personal_data.Holding("intch.OutboxEmail.user", section="emails"),
        )
        personal_data.register_section("emails", outbox.emails_export)
