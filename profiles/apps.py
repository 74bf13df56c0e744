from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "People and taxonomy"

    def ready(self):
        # Its sections of the member's home page (intch/home_sections.py).
        from profiles import home  # noqa: F401
