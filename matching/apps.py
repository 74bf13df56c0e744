from django.apps import AppConfig

OTHERS_LISTS = (
    "Other people's lists: whom they were suggested, saved or passed on is theirs. You leave "
    "their lists with your account."
)


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching"

    def ready(self):
        # Imported here: these modules load models, which must wait until the apps are ready.
        # Importing `home` adds its sections of the member's home page (intch/home_sections.py).
        from intch import personal_data
        from intch.personal_data import Holding
        from matching import (
            home,  # noqa: F401
            selectors,
        )
        from matching.services import match_pages_forget
        from messaging.hooks import conversation_changed_register, request_reasons_register

        # A request shows its recipient the reasons its sender saw (messaging cannot ask).
        request_reasons_register(selectors.request_reasons)
        # Cards say whether a request is on its way or the two already talk.
        conversation_changed_register(match_pages_forget)

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
