from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        # Imported here: these modules load models, which must wait until the apps are ready.
        # `handlers` registers messaging's reactions to domain events (intch/events.py), `home`
        # its sections of the member's home page (intch/home_sections.py).
        from intch import personal_data
        from intch.personal_data import ANONYMISED, Holding
        from messaging import (
            handlers,  # noqa: F401
            home,  # noqa: F401
            selectors,
            services,
        )
        from profiles.hooks import profile_page_register

        # Another person's profile says where the viewer stands with them.
        profile_page_register(selectors.profile_page_contact)

        personal_data.declare(
            # A conversation is listed once, with every message in it, whoever started it.
            Holding("messaging.Conversation.initiator", section="conversations", per_row=False),
            Holding("messaging.Conversation.recipient", section="conversations", per_row=False),
            Holding("messaging.Participant.user", section="conversations"),
            Holding("messaging.Message.sender", section="conversations", per_row=False),
            Holding("messaging.MessageNotification.recipient", section="emails_sent"),
            Holding(
                "messaging.Report.reporter",
                section="reports_filed",
                deletion=ANONYMISED,
                kept="Reports you filed stay with our moderators, so they can still act on "
                "them, without your name and without the details you wrote.",
                erased=("details",),
            ),
            Holding(
                "messaging.Report.reported",
                not_exported="Reports about you are not shown, to protect the people who filed "
                "them.",
            ),
            Holding(
                "messaging.Report.resolved_by",
                not_exported="The moderator who handled a report is part of the report, which "
                "belongs to the moderation record.",
                deletion=ANONYMISED,
                kept="Reports you handled as a moderator keep their outcome, without your name.",
            ),
        )
        for name, exporter in (
            ("conversations", selectors.messages_export),
            ("emails_sent", selectors.notifications_export),
            ("reports_filed", selectors.reports_filed_export),
        ):
            personal_data.register_section(name, exporter)
        personal_data.register_eraser(services.reports_filed_anonymise)
