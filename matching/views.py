"""The suggested-matches page, the Saved list, and the Pass / Save / Undo actions.

Every action is a plain form POST that redirects back (filters kept); with htmx it answers
with the card to swap in place instead.
"""

import hashlib
from functools import lru_cache, wraps
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.http import MemberRequest
from accounts.middleware import presence_passive
from intch.htmx import render_in_place
from intch.inputs import query_choice, query_int, query_text, safe_next
from matching import caches, presenters, selectors, services
from matching.forms import MatchFilterForm
from messaging.selectors import contact_state_for, unread_counts
from profiles.selectors import (
    profile_get_visible,
    profile_is_ready,
    profile_missing_minimum,
    profile_with_tag_counts,
)
from profiles.services import profile_ensure

PAGE_SIZE = 20
SAVED_PAGE_SIZE = 20
CARD_TEMPLATES = (
    "matching/partials/_card.html",
    "partials/_match_score.html",
    "matching/partials/_reasons.html",
    "profiles/partials/_avatar.html",
    "messaging/partials/_contact_action.html",
    "messaging/partials/_contact_state.html",
)
PAGE_TEMPLATES = (
    "base.html",
    "matching/list.html",
    "matching/partials/_card_list.html",
    "matching/partials/_filters.html",
    "matching/partials/_active_filters.html",
    "matching/partials/_pagination.html",
    "matching/partials/_tabs.html",
)


def _templates_version(names):
    # The Django backend's template keeps its source (the backend-agnostic type does not say).
    sources = "".join(get_template(name).template.source for name in names)  # type: ignore[attr-defined]
    return hashlib.sha256(sources.encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def _card_templates_version():
    """Cached cards must not outlive a change of their templates (the cache may be Redis)."""
    return _templates_version(CARD_TEMPLATES)


@lru_cache(maxsize=1)
def _page_templates_version():
    return _templates_version(PAGE_TEMPLATES + CARD_TEMPLATES)


def _page_digest(request, *, state, new_since):
    """Which cached page (matching.page) this exact page is, or None when it must be
    rendered afresh.

    The key holds everything the page shows that is not covered by the person's generation
    token: the URL (filters, page, the Undo notice), the "New" cutoff, when the list was
    computed, the header's counts, and the CSRF secret its forms carry. Pages with a one-off
    message, a list being computed, or no CSRF cookie yet are never cached.
    """
    csrf_secret = request.META.get("CSRF_COOKIE")
    if not csrf_secret or settings.CSRF_COOKIE_NAME not in request.COOKIES:
        return None
    if state is None or state.is_pending or len(messages.get_messages(request)):
        return None
    parts = (
        selectors.match_page_generation(user=request.user),
        request.get_full_path(),
        bool(request.htmx),
        new_since.isoformat() if new_since else "",
        state.computed_at.isoformat() if state.computed_at else "",
        sorted(unread_counts(user=request.user).items()),
        csrf_secret,
        _page_templates_version(),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _cards_key(cards, *, in_saved):
    return presenters.cards_fingerprint(
        cards, salt=f"{_card_templates_version()}:{'saved' if in_saved else 'list'}"
    )


def _onboarding_gate(request):
    """A redirect to onboarding for a profile not ready for matching, or None."""
    profile = profile_with_tag_counts(user=request.user) or profile_ensure(user=request.user)
    if profile_is_ready(profile=profile):
        return None
    missing = profile_missing_minimum(profile=profile) or "Finish the last step."
    messages.info(request, f"Matches are based on your interests, values and goals. {missing}")
    return redirect("profiles:onboarding")


def _passed_notice(request):
    """The person just passed on without JavaScript (?passed=<profile id>), for Undo."""
    profile_id = query_int(request.GET, "passed", minimum=1)
    if profile_id is None:
        return None
    return selectors.pass_get(user=request.user, profile_id=profile_id)


@login_required
@require_GET
def match_list(request: MemberRequest) -> HttpResponse:
    """Best matches first, each with its score and reasons; filters live in the URL.

    The rendered page is cached per person (see _page_digest): a repeat view costs the
    user, their match state and a few cache reads. A cached page implies the profile was
    ready for matching, since every change that could undo that drops the person's pages.
    """
    state = selectors.match_state_for(user=request.user)
    digest = None
    if state is not None:
        digest = _page_digest(
            request, state=state, new_since=selectors.match_new_since(state=state)
        )
        cached = caches.PAGE.get(user_id=request.user.pk, digest=digest) if digest else None
        if cached is not None:
            services.matches_mark_seen(user=request.user, state=state)
            return HttpResponse(cached)
    gate = _onboarding_gate(request)
    if gate:
        return gate
    if state is None:
        # Nobody ever asked for this person's list (people added in bulk): ask now.
        services.matches_changed_for(user_id=request.user.pk)
        state = selectors.match_state_for(user=request.user)
    new_since = services.matches_mark_seen(user=request.user, state=state)
    form = MatchFilterForm(request.GET)
    filters = form.filters()
    page = selectors.match_page(
        user=request.user,
        filters=filters,
        new_since=new_since,
        number=form.page_number,
        size=PAGE_SIZE,
    )
    cards = [
        {
            "person": m.candidate.profile,
            "match": m,
            "saved": m.is_saved,
            "new": m.is_new,
            "contact": m.contact or "",
        }
        for m in page.object_list
    ]
    response = render(
        request,
        "matching/list.html",
        {
            "page": page,
            "cards": cards,
            "cards_key": _cards_key(cards, in_saved=False),
            "state": state,
            "computing": state is None or state.is_pending,
            "form": form,
            "filters": filters,
            "query": form.query_string(),
            "contacts_query": form.query_string(contacts=selectors.CONTACTS_INCLUDE),
            "places": selectors.match_places_for(user=request.user, state=state),
            "passed": _passed_notice(request),
            "next_url": request.get_full_path(),
        },
    )
    if digest and response.status_code == 200:
        caches.PAGE.set(response.content, user_id=request.user.pk, digest=digest)
    return response


@login_required
@require_GET
def saved_list(request: MemberRequest) -> HttpResponse:
    """The people the person saved, with the reasons when they are still a suggestion."""
    saved = Paginator(selectors.saved_for(user=request.user), SAVED_PAGE_SIZE).get_page(
        query_int(request.GET, "page", minimum=1)
    )
    matches = selectors.matches_by_candidate(
        user=request.user, candidate_ids=[item.saved_id for item in saved.object_list]
    )
    cards = [
        {
            "person": item.saved.profile,
            "match": matches.get(item.saved_id),
            "saved": True,
            "new": False,
            "contact": item.contact or "",
        }
        for item in saved.object_list
    ]
    return render(
        request,
        "matching/saved.html",
        {
            "page": saved,
            "cards": cards,
            "cards_key": _cards_key(cards, in_saved=True),
            "next_url": request.get_full_path(),
        },
    )


@presence_passive
@login_required
@require_GET
def match_status(request: MemberRequest) -> HttpResponse:
    """Polled while a list is being computed: 204 until it is ready, then refresh or say so."""
    if not request.htmx:
        return redirect("matching:list")
    state = selectors.match_state_for(user=request.user)
    if state is not None and state.is_pending:
        return HttpResponse(status=204)
    if query_choice(request.GET, "then", ("refresh",)):
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    return render(
        request,
        "matching/partials/_ready.html",
        {"reload_url": request.htmx.current_url_abs_path or reverse("matching:list")},
    )


@login_required
@require_GET
def tag_options(request: MemberRequest) -> HttpResponse:
    """Type-ahead for the interest filter: links to this page filtered by each matching tag."""
    text = query_text(request.GET, "tag")
    others = request.GET.copy()
    others.pop("tag", None)
    form = MatchFilterForm(others)  # the other filters, kept in each option's link
    return render(
        request,
        "matching/partials/_tag_options.html",
        {
            "text": text,
            "options": [
                {"tag": tag, "query": form.query_string(tag=tag.slug)}
                for tag in selectors.filter_tag_suggestions(query=text)
            ],
        },
    )


# --- Actions --------------------------------------------------------------------------------


def _next_url(request):
    """Where to go back to: the page the form was on, if it is ours, else the matches page."""
    return safe_next(request, default="matching:list")


def _with_param(url, key, value=None):
    """`url` with `key` set to `value` (or removed when value is None)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != key]
    if value is not None:
        query.append((key, str(value)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _person(request, profile_id):
    """The person acted on; hidden, blocked or absent people are a 404."""
    return profile_get_visible(viewer=request.user, profile_id=profile_id)


def _card(request, *, person, error=""):
    """The card of one person as it stands now (the htmx answer to Save, Unsave and Undo)."""
    match = selectors.match_card_for(user=request.user, candidate=person.user)
    if match is not None:
        saved, contact = match.is_saved, match.contact
    else:
        saved = selectors.saved_exists(user=request.user, other=person.user)
        contact = contact_state_for(user=request.user, other=person.user)
    return render(
        request,
        "matching/partials/_card.html",
        {
            "person": person,
            "match": match,
            "saved": saved,
            "contact": contact or "",
            "in_saved": query_choice(request.POST, "view", ("saved",)) is not None,
            "error": error,
        },
    )


def _refused(request, error, next_url, *, person):
    text = " ".join(error.messages)
    if request.htmx:
        # The card again, saying why: a 4xx would show nothing (or, in DEBUG, replace the page).
        return _card(request, person=person, error=text)
    messages.error(request, text)
    return redirect(next_url)


def _gone_in_place(view):
    """Under htmx, a person who hid, blocked or left since the page was opened turns into a
    note where their card was (intch/htmx.py says why not a 404); a plain form gets the 404."""

    @wraps(view)
    def wrapper(request, profile_id):
        try:
            return view(request, profile_id)
        except Http404:
            if not request.htmx:
                raise
            return render_in_place(
                request,
                "matching/partials/_gone.html",
                {"profile_id": profile_id},
                target=f"#person-{profile_id}",
                swap="outerHTML",
            )

    return wrapper


@login_required
@require_POST
@_gone_in_place
def match_pass(request: MemberRequest, profile_id: int) -> HttpResponse:
    """Never suggest this person again; Undo is offered right away."""
    person = _person(request, profile_id)
    next_url = _next_url(request)
    try:
        services.match_pass(user=request.user, candidate=person.user)
    except ValidationError as error:
        return _refused(request, error, next_url, person=person)
    if request.htmx:
        return render(request, "matching/partials/_passed.html", {"person": person})
    return redirect(_with_param(next_url, "passed", person.pk))


@login_required
@require_POST
@_gone_in_place
def match_pass_undo(request: MemberRequest, profile_id: int) -> HttpResponse:
    person = _person(request, profile_id)
    next_url = _with_param(_next_url(request), "passed")
    restored = services.match_pass_undo(user=request.user, candidate=person.user)
    if request.htmx:
        if restored:
            return _card(request, person=person)
        return render(request, "matching/partials/_pass_undone.html", {"person": person})
    if restored:
        messages.success(request, f"{person.name} is back in your suggestions.")
    else:
        messages.success(
            request, f"{person.name} will be back in your suggestions once they are updated."
        )
    return redirect(next_url)


@login_required
@require_POST
@_gone_in_place
def match_save(request: MemberRequest, profile_id: int) -> HttpResponse:
    """Keep this person in the Saved list."""
    person = _person(request, profile_id)
    next_url = _next_url(request)
    try:
        services.match_save(user=request.user, candidate=person.user)
    except ValidationError as error:
        return _refused(request, error, next_url, person=person)
    if request.htmx:
        return _card(request, person=person)
    messages.success(request, f"Saved {person.name}. You will find them under Saved.")
    return redirect(next_url)


@login_required
@require_POST
@_gone_in_place
def match_unsave(request: MemberRequest, profile_id: int) -> HttpResponse:
    person = _person(request, profile_id)
    next_url = _next_url(request)
    services.match_unsave(user=request.user, candidate=person.user)
    if request.htmx:
        return _card(request, person=person)
    messages.success(request, f"Removed {person.name} from Saved.")
    return redirect(next_url)
