from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The member's home page: the top of the layer order, built from the apps' sections."""

    name = "home"
    verbose_name = "Home"
