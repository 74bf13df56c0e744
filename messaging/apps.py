from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self):
        # Its sections of the member's home page (intch/home_sections.py).
        from messaging import home  # noqa: F401
