"""The suggested-matches page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from matching import selectors
from profiles.selectors import profile_is_ready, profile_missing_minimum
from profiles.services import profile_ensure

PAGE_SIZE = 20


@login_required
def match_list(request):
    """Best matches first, each with its score and reasons."""
    profile = profile_ensure(user=request.user)
    if not profile_is_ready(profile=profile):
        missing = profile_missing_minimum(profile=profile) or "Finish the last step."
        messages.info(
            request,
            f"Matches are based on your interests, values and goals. {missing}",
        )
        return redirect("profiles:onboarding")
    state = selectors.match_state_for(user=request.user)
    page = Paginator(selectors.match_list_for(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "matching/list.html",
        {"page": page, "profile": profile, "state": state},
    )
