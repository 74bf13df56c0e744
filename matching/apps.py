from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching"

    def ready(self):
        # Its sections of the member's home page (intch/home_sections.py).
        from matching import home  # noqa: F401
        from matching.selectors import request_reasons
        from messaging.hooks import request_reasons_register

        # A request shows its recipient the reasons its sender saw (messaging cannot ask).
        request_reasons_register(request_reasons)
