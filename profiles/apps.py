from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "People and taxonomy"

    def ready(self) -> None:
        # Imported here: these modules load models, which must wait until the apps are ready.
        # `handlers` registers profiles' reactions to domain events (intch/events.py), `home`
        # its sections of the member's home page (intch/home_sections.py).
        from intch import personal_data
        from intch.personal_data import ANONYMISED, Holding
        from profiles import (
            handlers,  # noqa: F401
            home,  # noqa: F401
            selectors,
            services,
        )

        personal_data.declare(
            Holding("profiles.Profile.user", section="profile"),
            Holding(
                "profiles.Tag.proposed_by",
                section="tag_proposals",
                deletion=ANONYMISED,
                kept="Interests and values you proposed that are now in the list stay in it, "
                "without your name; your proposals that were never approved are deleted.",
                kept_where=(("status", "approved"),),
            ),
            Holding(
                "profiles.ProfileSearch.user",
                not_exported="The people-search index: a copy of your profile's name, work, "
                "place and tags, which the profile section already holds.",
            ),
        )
        for name, exporter in (
            ("profile", selectors.profile_export),
            # accounts declares the blocks; their section names people by their profiles.
            ("blocked_people", selectors.blocks_export),
            ("tag_proposals", selectors.tag_proposals_export),
        ):
            personal_data.register_section(name, exporter)
        personal_data.register_eraser(services.tag_proposals_forget)
        personal_data.register_eraser(services.profile_avatar_forget)
