"""The request a member's view gets (behind @login_required): the user is an account."""

from accounts.models import User
from intch.htmx import HtmxHttpRequest


class MemberRequest(HtmxHttpRequest):
    user: User  # type: ignore[assignment]  # login_required: never AnonymousUser here
