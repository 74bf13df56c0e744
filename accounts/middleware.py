"""Presence: a person who is using the app gets no email notifications."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from accounts.services import presence_touch

View = Callable[..., HttpResponse]


def presence_passive(view: View) -> View:
    """Mark a view that pages call by themselves (polling): it does not count as activity."""
    view.presence_passive = True  # type: ignore[attr-defined]
    return view


class PresenceMiddleware:
    """Every page a signed-in person opens marks them active for MESSAGING_ACTIVE_SECONDS.

    Open pages keep them active through the socket's heartbeat, sent only while the page is
    visible; polling endpoints are marked with @presence_passive and do not count.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: View,
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not getattr(view_func, "presence_passive", False)
        ):
            presence_touch(user_id=user.pk)
        return
