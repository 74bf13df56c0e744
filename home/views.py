"""The member's home page: where logging in and onboarding land."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.http import MemberRequest
from intch.home_sections import ASIDE, MAIN, home_sections
from profiles.services import profile_ensure


@login_required
@require_GET
def index(request: MemberRequest) -> HttpResponse:
    """What waits for the person: requests, unread messages, new matches, saved people, and
    what would make their profile better. Each section comes from its app (see
    intch/home_sections.py)."""
    columns: dict[str, list[dict[str, Any]]] = {MAIN: [], ASIDE: []}
    for section in home_sections():
        data = section.build(user=request.user)
        if data is not None:
            columns[section.column].append({"section": section, "data": data})
    for items in columns.values():
        # What needs the person comes first; empty sections keep their order after it.
        items.sort(key=lambda item: bool(item["data"].get("empty")))
    if not any(not item["data"].get("empty") for item in columns[MAIN]):
        # Nothing waits yet (a newcomer): what the side column asks for leads the page.
        leading = [item for item in columns[ASIDE] if not item["data"].get("empty")]
        columns[MAIN] = leading + columns[MAIN]
        columns[ASIDE] = [item for item in columns[ASIDE] if item not in leading]
    return render(
        request,
        "home/index.html",
        {
            "person": profile_ensure(user=request.user),
            "main_sections": columns[MAIN],
            "aside_sections": columns[ASIDE],
        },
    )
