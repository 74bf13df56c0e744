"""Reads for accounts: blocks, presence, and the account's own sections of the data export."""

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.db.models import Q, QuerySet

from accounts import caches
from accounts.models import Block, User
from intch import personal_data

# A person, a person's id, or an OuterRef to one (for Exists() in a query of other rows).
PersonRef = Any


def blocks_between(*, first: PersonRef, second: PersonRef) -> QuerySet[Block]:
    """The blocks between two people, whoever blocked whom: "blocked either way"."""
    return Block.objects.filter(Q(blocker=first, blocked=second) | Q(blocker=second, blocked=first))


def blocked_either_way(*, first: User, second: User) -> bool:
    """True when one of the two blocked the other."""
    return blocks_between(first=first, second=second).exists()


def person_is_active(*, user_id: int) -> bool:
    """True while the person used the app within MESSAGING_ACTIVE_SECONDS (presence_touch)."""
    return caches.PRESENCE.get(user_id=user_id) is not None


def account_data_export(*, user: User) -> dict[str, Any]:
    """Everything intch holds about a person, section by section (intch.personal_data)."""
    return personal_data.export(user=user)


def account_deletion_keeps(*, user: User) -> list[str]:
    """What deleting this person's account keeps, and why (the delete page says it)."""
    return personal_data.kept_after_deletion(user=user)


# --- The account's sections of the data export (registered in accounts/apps.py) ------------


def _when(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def account_export(*, user: User) -> dict[str, Any]:
    """The account itself: login address and dates."""
    return {
        "email": user.email,
        "date_joined": _when(user.date_joined),
        "last_login": _when(user.last_login),
    }


def email_addresses_export(*, user: User) -> list[dict[str, Any]]:
    """The person's email addresses and which are verified."""
    return [
        {"email": address.email, "verified": address.verified, "primary": address.primary}
        for address in EmailAddress.objects.filter(user=user).order_by("pk")
    ]


def sessions_export(*, user: User) -> list[dict[str, Any]]:
    """Where the person is logged in (allauth's user sessions)."""
    return [
        {
            "started_at": _when(session.created_at),
            "last_seen_at": _when(session.last_seen_at),
            "ip_address": session.ip,
            "browser": session.user_agent,
        }
        for session in UserSession.objects.filter(user=user).order_by("created_at", "pk")
    ]


def authenticators_export(*, user: User) -> list[dict[str, Any]]:
    """The two-factor methods set up (their secrets stay out of the file)."""
    return [
        {
            "type": authenticator.type,
            "created_at": _when(authenticator.created_at),
            "last_used_at": _when(authenticator.last_used_at),
        }
        for authenticator in Authenticator.objects.filter(user=user).order_by("pk")
    ]


def social_accounts_export(*, user: User) -> list[dict[str, Any]]:
    """Accounts of other sites linked for logging in, with what they told us."""
    return [
        {
            "provider": account.provider,
            "uid": account.uid,
            "linked_at": _when(account.date_joined),
            "last_login": _when(account.last_login),
            "data": account.extra_data,
        }
        for account in SocialAccount.objects.filter(user=user).order_by("pk")
    ]
