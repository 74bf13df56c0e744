from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching"

    def ready(self):
        # Imported here: services load models, which must wait until the apps are ready.
        from matching.services import match_pages_forget
        from messaging.hooks import on_conversation_changed

        # Cards say whether a request is on its way or the two already talk.
        on_conversation_changed(match_pages_forget)
