from django.apps import AppConfig

ACCOUNT_SECURITY = (
    "Not in the file: it says which staff groups and permissions an account has, and only "
    "staff accounts have any."
)


class AccountsConfig(AppConfig):
    """Accounts: the user model, blocks, suspension, deletion and export, presence.

    The layer above the core: every app may import it, it imports none of them.
    """

    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Imported here: these modules load models, which must wait until the apps are ready.
        from accounts import selectors, services
        from intch import personal_data
        from intch.personal_data import Holding

        # The account's own tables, and those of allauth, Django's auth and admin about it.
        personal_data.declare(
            Holding("account.EmailAddress.user", section="email_addresses"),
            # Listed with the blocked people's profiles (profiles registers the section).
            Holding("accounts.Block.blocker", section="blocked_people"),
            Holding(
                "accounts.Block.blocked",
                not_exported="Who blocked you is theirs to know: blocks stay private, for the "
                "blocker's safety.",
            ),
            Holding("usersessions.UserSession.user", section="sessions"),
            Holding("mfa.Authenticator.user", section="two_factor"),
            Holding("socialaccount.SocialAccount.user", section="social_accounts"),
            Holding(
                "admin.LogEntry.user",
                not_exported="The admin's history of changes made by staff: only staff "
                "accounts have one, and the admin shows it.",
            ),
            Holding("accounts.User_groups.user", not_exported=ACCOUNT_SECURITY),
            Holding("accounts.User_user_permissions.user", not_exported=ACCOUNT_SECURITY),
        )
        for name, exporter in (
            ("account", selectors.account_export),
            ("email_addresses", selectors.email_addresses_export),
            ("sessions", selectors.sessions_export),
            ("two_factor", selectors.authenticators_export),
            ("social_accounts", selectors.social_accounts_export),
        ):
            personal_data.register_section(name, exporter)
        personal_data.register_eraser(services.sessions_end)
