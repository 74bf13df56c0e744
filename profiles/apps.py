from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "People and taxonomy"

    def ready(self):
        from profiles import home

        home.register()
