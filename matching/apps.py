from django.apps import AppConfig

OTHERS_LISTS = (
    "Other people's lists: whom they were suggested, saved or passed on is theirs. You leave "
    "their lists with your account."
)


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
        from intch import personal_data
        from intch.personal_data import Holding
        from matching import selectors

        personal_data.declare(
            Holding("matching.Match.user", section="matches"),
            Holding("matching.Match.candidate", not_exported=OTHERS_LISTS),
            Holding("matching.MatchState.user", section="match_list"),
            Holding("matching.Saved.user", section="saved_people"),
            Holding("matching.Saved.saved", not_exported=OTHERS_LISTS),
            Holding("matching.Pass.user", section="passed_people"),
            Holding("matching.Pass.passed", not_exported=OTHERS_LISTS),
        )
        for name, exporter in (
            ("matches", selectors.matches_export),
            ("match_list", selectors.match_state_export),
            ("saved_people", selectors.saved_export),
            ("passed_people", selectors.passes_export),
        ):
            personal_data.register_section(name, exporter)
