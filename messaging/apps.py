from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self):
        # Imported here: selectors load models, which must wait until the apps are ready.
        from messaging.selectors import profile_page_contact
        from profiles.hooks import on_profile_page

        on_profile_page(profile_page_contact)
