from django.apps import AppConfig

ACCOUNT_SECURITY = (
    "Not in the file: it says which staff groups and permissions an account has, and only "
    "staff accounts have any."
)


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "People and taxonomy"

    def ready(self):
        # Its sections of the member's home page (intch/home_sections.py).
        from intch import personal_data
        from intch.personal_data import ANONYMISED, Holding
        from profiles import (
            home,  # noqa: F401
            selectors,
            services,
        )

        # The account's own tables (allauth, Django's auth and admin) are declared here too:
        # profiles owns the account settings, the export and the delete page.
        personal_data.declare(
            Holding("account.EmailAddress.user", section="email_addresses"),
            Holding("profiles.Profile.user", section="profile"),
            Holding("profiles.Block.blocker", section="blocked_people"),
            Holding(
                "profiles.Block.blocked",
                not_exported="Who blocked you is theirs to know: blocks stay private, for the "
                "blocker's safety.",
            ),
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
            Holding("usersessions.UserSession.user", section="sessions"),
            Holding("mfa.Authenticator.user", section="two_factor"),
            Holding("socialaccount.SocialAccount.user", section="social_accounts"),
            Holding(
                "admin.LogEntry.user",
                not_exported="The admin's history of changes made by staff: only staff "
                "accounts have one, and the admin shows it.",
            ),
            Holding("auth.User_groups.user", not_exported=ACCOUNT_SECURITY),
            Holding("auth.User_user_permissions.user", not_exported=ACCOUNT_SECURITY),
        )
        for name, exporter in (
            ("account", selectors.account_export),
            ("email_addresses", selectors.email_addresses_export),
            ("profile", selectors.profile_export),
            ("blocked_people", selectors.blocks_export),
            ("tag_proposals", selectors.tag_proposals_export),
            ("sessions", selectors.sessions_export),
            ("two_factor", selectors.authenticators_export),
            ("social_accounts", selectors.social_accounts_export),
        ):
            personal_data.register_section(name, exporter)
        personal_data.register_eraser(services.sessions_end)
        personal_data.register_eraser(services.tag_proposals_forget)
