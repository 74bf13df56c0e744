"""Every URL of intch that names an object, with the owner's object and others' objects.

`own(world)` gives the URL's parameters for something the owner (member_client) may use: the
table works for her, so a 404 for the stranger is a refusal, not a broken URL. `others(world)`
lists (label, parameters) the stranger may not reach. A new URL with a parameter fails
test_every_object_url_is_in_the_table until it is added here.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from tests.security.checks import fill_route, http_routes

# What a stranger or a visitor gets.
REFUSED = "refused"  # 404 (400 for a malformed path), or 405 from a view of the other method
LOGIN = "login"  # a redirect to the login page
INVALID_LINK = "invalid link"  # a page saying the link is not valid (allauth), or a 404
OWN_ONLY = "own only"  # the URL only ever acts on the requester's own data


@dataclass(frozen=True)
class ObjectRoute:
    own: Callable | None  # None: nothing the owner has (a provider not configured in tests)
    others: Callable
    stranger: str = REFUSED
    visitor: str = LOGIN
    # The parameter is a secret emailed to the owner (a signed token): holding it is the
    # permission, so the owner's own value is not tried by others.
    link_is_permission: bool = False


def _profile(attr):
    return lambda w: {"profile_id": getattr(w, attr).pk}


def _invisible_people(w):
    """People a stranger may not see: hidden, blocking them, suspended, not onboarded, absent."""
    return [
        ("a hidden profile", {"profile_id": w.hidden.pk}),
        ("someone who blocked the stranger", {"profile_id": w.blocker.pk}),
        ("a suspended account", {"profile_id": w.suspended.pk}),
        ("someone who never finished onboarding", {"profile_id": w.newcomer.pk}),
        ("nobody", {"profile_id": w.missing_id}),
    ]


def _owners_conversations(w):
    return [
        ("the owner's conversation", {"conversation_id": w.conversation.pk}),
        ("a request waiting for the owner", {"conversation_id": w.request.pk}),
        ("the owner's declined request", {"conversation_id": w.declined.pk}),
        ("no conversation", {"conversation_id": w.missing_id}),
    ]


def _conversation(w):
    return {"conversation_id": w.conversation.pk}


def _unsubscribe_token(user):
    from messaging import services

    return services.unsubscribe_token(user=user)


def _unsubscribe_tokens(w):
    from django.core import signing

    real = _unsubscribe_token(w.owner.user)
    return [
        ("a forged token", {"token": "forged:token"}),
        ("the owner's id signed for another purpose", {"token": signing.dumps(w.owner.user_id)}),
        (
            "the owner's token, tampered",
            {"token": real[:-2] + ("BB" if real.endswith("AA") else "AA")},
        ),
        ("the owner's token with its id changed", {"token": real.replace(":", "x:", 1)}),
    ]


def _confirmation_key(email_address):
    from allauth.account.models import EmailConfirmationHMAC

    return EmailConfirmationHMAC(email_address).key


def _reset_key(user):
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    return f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"


def _forged_reset_keys(w):
    from allauth.account.utils import user_pk_to_url_str

    uid = user_pk_to_url_str(w.owner.user)
    return [
        ("the owner's id with a forged token", {"uidb36": uid, "key": "set-password-forged"}),
        (
            "the stranger's token on the owner's id",
            {"uidb36": uid, "key": _reset_key(w.stranger.user).split("-", 1)[1]},
        ),
    ]


def _avatar_path(name):
    return {"path": name}


MEDIA = "^media/(?P<path>avatars/.*)$"  # unnamed: keyed by its route

OBJECT_ROUTES = {
    # --- profiles ---
    "profiles:onboarding_step": ObjectRoute(
        own=lambda w: {"step": "basics"},
        others=lambda w: [("another step", {"step": "goals"}), ("no step", {"step": "admin"})],
        stranger=OWN_ONLY,
    ),
    "profiles:detail": ObjectRoute(own=_profile("partner"), others=_invisible_people),
    "profiles:block": ObjectRoute(own=_profile("partner"), others=_invisible_people),
    "profiles:tag_detail": ObjectRoute(
        own=lambda w: {"slug": w.approved_tag.slug},
        others=lambda w: [
            ("the owner's pending proposal", {"slug": w.pending_tag.slug}),
            ("a rejected proposal", {"slug": w.rejected_tag.slug}),
            ("no tag", {"slug": "no-such-tag"}),
        ],
    ),
    "profiles:unblock": ObjectRoute(
        own=lambda w: {"user_id": w.blocked_by_owner.user_id},
        others=lambda w: [
            ("the person the owner blocked", {"user_id": w.blocked_by_owner.user_id}),
            ("the owner", {"user_id": w.owner.user_id}),
        ],
        stranger=OWN_ONLY,
    ),
    # --- matching ---
    "matching:pass": ObjectRoute(own=_profile("partner"), others=_invisible_people),
    "matching:pass_undo": ObjectRoute(own=_profile("asker"), others=_invisible_people),
    "matching:save": ObjectRoute(own=_profile("partner"), others=_invisible_people),
    "matching:unsave": ObjectRoute(own=_profile("partner"), others=_invisible_people),
    # --- messaging ---
    "messaging:start": ObjectRoute(own=_profile("partner"), others=_invisible_people),
    "messaging:thread": ObjectRoute(own=_conversation, others=_owners_conversations),
    "messaging:send": ObjectRoute(own=_conversation, others=_owners_conversations),
    "messaging:read": ObjectRoute(own=_conversation, others=_owners_conversations),
    "messaging:poll": ObjectRoute(own=_conversation, others=_owners_conversations),
    "messaging:accept": ObjectRoute(
        own=lambda w: {"conversation_id": w.request.pk}, others=_owners_conversations
    ),
    "messaging:decline": ObjectRoute(
        own=lambda w: {"conversation_id": w.request.pk}, others=_owners_conversations
    ),
    "messaging:block": ObjectRoute(own=_conversation, others=_owners_conversations),
    "messaging:report_message": ObjectRoute(
        own=lambda w: {"message_id": w.partner_message.pk},
        others=lambda w: [
            ("a message to the owner", {"message_id": w.partner_message.pk}),
            ("a message from the owner", {"message_id": w.owner_message.pk}),
            ("the owner's request", {"message_id": w.declined.last_message_id}),
            ("no message", {"message_id": w.missing_id}),
        ],
    ),
    "messaging:report_person": ObjectRoute(own=_profile("partner"), others=_invisible_people),
    # The signed token in the emailed link is the permission (RFC 8058 one-click).
    "messaging:unsubscribe": ObjectRoute(
        own=lambda w: {"token": _unsubscribe_token(w.owner.user)},
        others=_unsubscribe_tokens,
        visitor=REFUSED,
        link_is_permission=True,
    ),
    # --- allauth: the emailed key is the permission ---
    "account_confirm_email": ObjectRoute(
        own=lambda w: {"key": _confirmation_key(w.second_email)},
        others=lambda w: [
            ("a forged key", {"key": "forged-key"}),
            ("the owner's key, tampered", {"key": _confirmation_key(w.second_email)[:-3] + "abc"}),
        ],
        stranger=INVALID_LINK,
        visitor=INVALID_LINK,
        link_is_permission=True,
    ),
    "account_reset_password_from_key": ObjectRoute(
        own=lambda w: dict(
            zip(("uidb36", "key"), _reset_key(w.owner.user).split("-", 1), strict=True)
        ),
        others=_forged_reset_keys,
        stranger=INVALID_LINK,
        visitor=INVALID_LINK,
        link_is_permission=True,
    ),
    # LinkedIn (OpenID Connect) is not configured in tests: an unknown provider is a 404.
    "openid_connect_login": ObjectRoute(
        own=None,
        others=lambda w: [("an unconfigured provider", {"provider_id": "linkedin"})],
        visitor=REFUSED,
    ),
    "openid_connect_callback": ObjectRoute(
        own=None,
        others=lambda w: [("an unconfigured provider", {"provider_id": "linkedin"})],
        visitor=REFUSED,
    ),
    # --- avatars: a visible person's current picture is public, nothing else is ---
    MEDIA: ObjectRoute(
        own=lambda w: _avatar_path(w.owner.avatar.name),
        others=lambda w: [
            ("the owner's replaced picture", _avatar_path(w.replaced_avatar)),
            *[
                ("a hidden person's picture, its name guessed", _avatar_path(name))
                for name in w.hidden_avatar_names
            ],
            ("a hidden person's folder", _avatar_path(f"avatars/{w.hidden.user_id}/")),
            ("a path outside the avatars", _avatar_path("avatars/../../intch/settings/base.py")),
        ],
        visitor=REFUSED,
    ),
}

# The live socket (messaging/routing.py): route → what the test in test_object_access checks.
SOCKET_ROUTES = {
    "ws/messages/": "a visitor is refused; a stranger's socket gets only their own events",
    "ws/messages/<int:conversation_id>/": "a visitor and a stranger are refused",
}


# --- Concrete paths ------------------------------------------------------------------------------


def path_for(key, kwargs):
    """The path of the URL named `key` (or, unnamed, with that route) with `kwargs`."""
    if key.startswith("^"):
        return fill_route(key, kwargs)
    return reverse(key, kwargs=kwargs)


def app_paths(world):
    """(key, path) for every route outside the admin; objects are the owner's own."""
    paths = []
    for key, route, has_params in http_routes():
        if route.startswith("admin/"):
            continue
        if not has_params:
            paths.append((key, fill_route(route, {})))
            continue
        entry = OBJECT_ROUTES[key]
        kwargs = entry.own(world) if entry.own else entry.others(world)[0][1]
        paths.append((key, path_for(key, kwargs)))
    return paths


def admin_paths(world):
    """Every admin URL, objects named by real ids (the owner's where the model has them)."""
    from django.contrib import admin
    from django.contrib.contenttypes.models import ContentType

    ids = {
        "messaging/report": world.report.pk,
        "profiles/profile": world.owner.pk,
        "profiles/tag": world.pending_tag.pk,
        "profiles/block": world.owner.user.blocks_made.first().pk,
        "auth/user": world.owner.user_id,
        "account/emailaddress": world.second_email.pk,
    }
    for model in admin.site._registry:
        key = f"{model._meta.app_label}/{model._meta.model_name}"
        if key not in ids:
            first = model._default_manager.order_by("pk").first()
            ids[key] = first.pk if first else world.missing_id
    content_type = ContentType.objects.get_for_model(world.owner)
    paths = []
    for _key, route, _ in http_routes():
        if not route.startswith("admin/"):
            continue
        model_key = "/".join(route.split("/")[1:3])
        values = {
            "object_id": ids.get(model_key, world.missing_id),
            "id": world.owner.user_id,
            "content_type_id": content_type.pk,
            "app_label": "messaging",
            "url": "messaging/no-such-page/",
        }
        if route.startswith("admin/r/"):
            values["object_id"] = world.owner.pk
        paths.append(fill_route(route, values))
    return paths
