from django.apps import AppConfig

OTHERS_LISTS = (
    "Other people's lists: whom they were suggested, saved or passed on is theirs. You leave "
    "their lists with your account."
)


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching"

    def ready(self) -> None:
        # Imported here: these modules load models, which must wait until the apps are ready.
        # `handlers` registers matching's reactions to domain events (intch/events.py), `home`
        # its sections of the member's home page (intch/home_sections.py).
        from intch import personal_data
        from intch.personal_data import Holding
        from matching import (
            handlers,  # noqa: F401
            home,  # noqa: F401
            selectors,
        )
        from messaging.hooks import request_reasons_register
        from profiles.hooks import profile_page_register

        # A request shows its recipient the reasons its sender saw (messaging cannot ask).
        request_reasons_register(selectors.request_reasons)
        # Another person's profile shows the match with them, when there is one.
        profile_page_register(selectors.profile_page_match)

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
