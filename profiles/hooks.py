"""What profile pages ask of the apps built on profiles, without importing them.

A higher app registers a provider in its AppConfig.ready(); the profile page merges what the
providers return into its template context (messaging says where the viewer stands with the
person, so the main action reads "Message" or "Open conversation").
"""

from collections.abc import Callable

ProfilePageProvider = Callable[..., dict]

_profile_page: list[ProfilePageProvider] = []


def profile_page_register(provider: ProfilePageProvider) -> None:
    """Call `provider(viewer=..., profile=...)` for another person's profile page; it returns
    extra template context."""
    if provider not in _profile_page:
        _profile_page.append(provider)


def profile_page_context(*, viewer, profile) -> dict:
    """The extra context every registered app gives another person's profile page."""
    context: dict = {}
    for provider in _profile_page:
        context.update(provider(viewer=viewer, profile=profile))
    return context
