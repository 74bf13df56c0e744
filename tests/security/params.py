"""Every URL of intch, the methods it answers, and the parameters it reads beyond its forms.

The forms a page shows declare their own fields (the hostile-input test finds them by rendering
every page); this table names what no form shows: query parameters of links (`page`, `kind`),
what scripts and htmx send (`after`, `visible`, `message_id`), hidden `next` links, buttons a
page shows only at times (`propose`). Each value is a valid example, the baseline the test
changes one parameter of at a time.

tests/security/test_hostile_input.py fails when a URL has no entry here, when a view reads a
parameter that is neither here nor a field of a form on a page, and when a URL answers a method
its entry does not list (405 expected).
"""

from dataclasses import dataclass, field

from django.urls import reverse

from tests.security.routes import OBJECT_ROUTES, path_for


@dataclass(frozen=True)
class Params:
    get: dict = field(default_factory=dict)  # query parameters of the page: name -> example
    post: dict | None = None  # parameters of a POST (name -> example); None: 405
    get_allowed: bool = True  # False: GET answers 405
    # A page to crawl for this URL's forms other than its own (the owner's objects are used).
    also_crawl: tuple = ()


GET_ONLY = Params()
POST_ONLY = Params(post={}, get_allowed=False)
FORM_PAGE = Params(post={})  # GET shows a form, POST sends it (its fields are on the page)

# allauth's views: their forms are crawled and sent hostile values like ours, but which
# parameters they read is allauth's business, so it is not checked against a table.
LIBRARY = "allauth"

_FILTERS = {
    "goal": "find_job",
    "place": "Utrecht",
    "min_score": "10",
    "sort": "newest",
    "contacts": "include",
}
_NEXT = {"next": "/matches/?goal=find_job"}

PARAMS = {
    "home": GET_ONLY,
    "home:index": GET_ONLY,
    "healthz": GET_ONLY,
    # --- profiles ---
    "profiles:me": GET_ONLY,
    # Django's picture widget reads its "clear" box, shown once a picture is stored.
    "profiles:edit": Params(post={"avatar_upload-clear": "on"}),
    "profiles:edit_interests": Params(post={"propose": "1", "q": "Tide pools"}),
    "profiles:edit_values": Params(post={"propose": "1", "q": "Kindness"}),
    "profiles:onboarding": GET_ONLY,
    "profiles:onboarding_step": Params(
        post={"propose": "1"},
        also_crawl=(
            "/profile/onboarding/photo/",
            "/profile/onboarding/interests/",
            "/profile/onboarding/values/",
            "/profile/onboarding/goals/",
        ),
    ),
    "profiles:detail": GET_ONLY,
    "profiles:block": POST_ONLY,
    "profiles:tag_index": Params(get={"kind": "value", "q": "top"}),
    "profiles:tag_suggest": Params(get={"q": "top", "kind": "interest"}),
    "profiles:tag_detail": Params(get={"page": "1"}),
    "profiles:settings": GET_ONLY,
    "profiles:settings_notifications": POST_ONLY,
    "profiles:export": GET_ONLY,
    "profiles:account_delete": FORM_PAGE,
    "profiles:unblock": POST_ONLY,
    # --- matching ---
    "matching:list": Params(get={"page": "1", "passed": "1"}),
    "matching:saved": Params(get={"page": "1"}),
    "matching:status": Params(get={"then": "refresh"}),
    "matching:tag_options": Params(get={"tag": "top", **_FILTERS, "page": "1"}),
    "matching:pass": Params(post=_NEXT, get_allowed=False),
    "matching:pass_undo": Params(post={**_NEXT, "view": "saved"}, get_allowed=False),
    "matching:save": Params(post={**_NEXT, "view": "saved"}, get_allowed=False),
    "matching:unsave": Params(post={**_NEXT, "view": "saved"}, get_allowed=False),
    # --- search ---
    "search:people": Params(get={"q": "Noor", "page": "1"}),
    # --- messaging ---
    "messaging:inbox": Params(get={"page": "1"}),
    "messaging:requests": GET_ONLY,
    "messaging:counts": GET_ONLY,
    "messaging:start": Params(post={}, also_crawl=("start-stranger",)),
    "messaging:thread": Params(get={"before": "2"}),
    "messaging:send": POST_ONLY,
    "messaging:read": Params(post={"message_id": "1"}, get_allowed=False),
    "messaging:poll": Params(get={"after": "0", "visible": "1"}),
    "messaging:accept": POST_ONLY,
    "messaging:decline": POST_ONLY,
    "messaging:block": POST_ONLY,
    "messaging:report_message": FORM_PAGE,
    "messaging:report_person": Params(post={}, also_crawl=("report-stranger",)),
    "messaging:unsubscribe": Params(post={}),
    "^media/(?P<path>avatars/.*)$": GET_ONLY,
    # --- allauth ---
    **dict.fromkeys(
        (
            "account_login",
            "account_logout",
            "account_inactive",
            "account_signup",
            "account_reauthenticate",
            "account_email",
            "account_email_verification_sent",
            "account_change_password",
            "account_set_password",
            "account_reset_password",
            "account_confirm_login_code",
            "account_confirm_email",
            "account_reset_password_from_key_done",
            "account_reset_password_from_key",
            "account_reset_password_done",
            "mfa_index",
            "mfa_authenticate",
            "mfa_reauthenticate",
            "mfa_activate_totp",
            "mfa_deactivate_totp",
            "mfa_view_recovery_codes",
            "mfa_generate_recovery_codes",
            "mfa_download_recovery_codes",
            "socialaccount_login_cancelled",
            "socialaccount_login_error",
            "socialaccount_signup",
            "socialaccount_connections",
            "accounts/social/login/cancelled/",
            "accounts/social/login/error/",
            "accounts/social/signup/",
            "accounts/social/connections/",
            "google_login",
            "google_callback",
            "google_login_by_token",
            "openid_connect_login",
            "openid_connect_callback",
            "usersessions_list",
        ),
        LIBRARY,
    ),
}

# allauth pages with forms: a member's account pages, and a visitor's way in.
LIBRARY_MEMBER_PAGES = (
    "account_email",
    "account_change_password",
    "account_reauthenticate",
    "usersessions_list",
    "socialaccount_connections",
)
LIBRARY_VISITOR_PAGES = ("account_login", "account_signup", "account_reset_password")


def own_path(key, world):
    """The URL of `key` with the owner's own objects (routes.OBJECT_ROUTES), or its only path."""
    if key in OBJECT_ROUTES:
        route = OBJECT_ROUTES[key]
        return path_for(key, route.own(world) if route.own else route.others(world)[0][1])
    return path_for(key, {})


def extra_path(name, world):
    """Pages named in `also_crawl` that need an object of the world."""
    return {
        "start-stranger": reverse("messaging:start", kwargs={"profile_id": world.stranger.pk}),
        "report-stranger": reverse(
            "messaging:report_person", kwargs={"profile_id": world.stranger.pk}
        ),
    }.get(name, name)
