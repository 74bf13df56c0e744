"""Profile, onboarding, tag picking and browsing, settings, export and account deletion."""

import json
from typing import Any

from allauth.account import views as allauth_views
from allauth.account.models import get_emailconfirmation_model
from allauth.account.stages import EmailVerificationStage, LoginStageController
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.http import MemberRequest
from accounts.models import User
from intch.inputs import query_choice, query_flag, query_int, query_text, query_texts
from profiles import hooks, selectors, services
from profiles.forms import AccountDeleteForm, BasicsForm, GoalsForm, PhotoForm, ProfileForm
from profiles.models import Tag

ONBOARDING_STEPS = (
    ("basics", "About you"),
    ("photo", "Photo"),
    ("interests", "Interests"),
    ("values", "Values"),
    ("goals", "Goals"),
)
STEP_NAMES = [name for name, _ in ONBOARDING_STEPS]
# The picker's buttons, each a POST parameter; none of them (Enter in a plain form) saves.
PICKER_ACTIONS = ("add", "propose", "remove", "search")
# Typed tag names: longer than any tag or alias, so a longer one is simply unknown.
TAG_TEXT_MAX_LENGTH = 100


def _profile(request):
    return services.profile_ensure(user=request.user)


@login_required
@require_GET
def me(request: MemberRequest) -> HttpResponse:
    """The signed-in person's own profile, pending proposals included."""
    profile = _profile(request)
    return render(
        request,
        "profiles/detail.html",
        {
            "profile": profile,
            "is_owner": True,
            "tags": selectors.profile_tags(profile=profile, viewer_is_owner=True),
            "missing": selectors.profile_missing_minimum(profile=profile),
        },
    )


@login_required
@require_GET
def detail(request: MemberRequest, profile_id: int) -> HttpResponse:
    """Another person's profile; hidden, blocked or absent people are a 404."""
    profile = selectors.profile_get_visible(viewer=request.user, profile_id=profile_id)
    if profile.user_id == request.user.pk:
        return redirect("profiles:me")
    return render(
        request,
        "profiles/detail.html",
        {
            "profile": profile,
            "is_owner": False,
            "tags": selectors.profile_tags(profile=profile, viewer_is_owner=False),
            **hooks.profile_page_context(viewer=request.user, profile=profile),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: MemberRequest) -> HttpResponse:
    profile = _profile(request)
    form = ProfileForm(request.POST or None, request.FILES or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        data = {field: form.cleaned_data[field] for field in form.Meta.fields}
        data["goals"] = form.cleaned_data["goals"]
        try:
            with transaction.atomic():
                services.profile_update(profile=profile, data=data)
                if form.processed_avatar is not None:
                    services.profile_avatar_store(profile=profile, content=form.processed_avatar)
                elif form.cleaned_data.get("remove_avatar"):
                    services.profile_avatar_remove(profile=profile)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("profiles:me")
    return render(request, "profiles/edit.html", {"form": form, "profile": profile})


# --- Tag picking (onboarding and edit share it) ------------------------------------


def _tag_picker(request, *, profile, kind, template, context, on_saved):
    """A stateful tag picker that works as plain forms and, with htmx, in place.

    The selection travels in the form (`tags`), so searching, adding and proposing never
    lose what the person chose; only Save writes to the profile.
    """
    relation = profile.interests if kind == Tag.Kind.INTEREST else profile.values
    error, suggestions, query, action = "", [], "", None
    if request.method == "POST":
        limits = services.INTEREST_LIMITS if kind == Tag.Kind.INTEREST else services.VALUE_LIMITS
        # Past twice the most one may choose, more names only cost queries: the count is
        # refused at Save all the same.
        names = query_texts(
            request.POST, "tags", max_length=TAG_TEXT_MAX_LENGTH, max_items=2 * limits[1]
        )
        selected = _tags_from_names(names, kind=kind, user=request.user)
        query = query_text(request.POST, "q", max_length=TAG_TEXT_MAX_LENGTH)
        action = next((name for name in PICKER_ACTIONS if name in request.POST), None)
        try:
            if action in ("add", "propose"):
                tag = _picked_tag(request, action=action, kind=kind, query=query)
                selected += [] if tag in selected else [tag]
                query = ""
            elif action == "remove":
                removed = query_text(request.POST, "remove", max_length=TAG_TEXT_MAX_LENGTH)
                selected = [tag for tag in selected if tag.name != removed]
            elif action == "search":
                suggestions = selectors.tag_suggestions(
                    kind=kind, query=query, user=request.user, exclude_ids=[t.pk for t in selected]
                )
            else:
                if kind == Tag.Kind.INTEREST:
                    services.profile_tags_set(profile=profile, interests=selected)
                else:
                    services.profile_tags_set(profile=profile, values=selected)
                response = on_saved()
                if request.htmx:
                    return HttpResponseClientRedirect(response.url)
                return response
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        selected = list(relation.all())
    exact = services.tag_resolve(name=query, kind=kind) if query else None
    picker = {
        "kind": kind,
        "kind_label": "interests" if kind == Tag.Kind.INTEREST else "values",
        "selected": selected,
        "query": query,
        "suggestions": suggestions,
        "can_propose": bool(query) and exact is None and action == "search",
        "error": error,
        "limits": services.INTEREST_LIMITS if kind == Tag.Kind.INTEREST else services.VALUE_LIMITS,
        "categories": selectors.tags_by_category(kind=kind),
        "selected_ids": {tag.pk for tag in selected},
        "save_label": "Continue" if "step" in context else "Save",
    }
    if request.htmx and request.method == "POST":
        return render(request, "profiles/partials/_tag_picker.html", {"picker": picker})
    return render(request, template, {**context, "picker": picker}, status=400 if error else 200)


def _picked_tag(request: MemberRequest, *, action: str, kind: str, query: str) -> Tag:
    """The tag the person added from the list, or proposed (ValidationError: why not)."""
    if action == "propose":
        return services.tag_propose(name=query, kind=kind, user=request.user)
    name = query_text(request.POST, "add", max_length=TAG_TEXT_MAX_LENGTH)
    tag = services.tag_resolve(name=name, kind=kind)
    if tag is None or not (tag.is_approved or tag.proposed_by_id == request.user.pk):
        raise ValidationError(f"“{name[:60]}” is not in the list.")
    return tag


def _tags_from_names(names, *, kind, user):
    tags = []
    for name in names:
        tag = services.tag_resolve(name=name, kind=kind)
        if (
            tag is not None
            and tag not in tags
            and (
                tag.is_approved
                or (tag.status == Tag.Status.PENDING and tag.proposed_by_id == user.pk)
            )
        ):
            tags.append(tag)
    return tags


@login_required
@require_http_methods(["GET", "POST"])
def edit_tags(request: MemberRequest, kind: str) -> HttpResponse:
    profile = _profile(request)
    return _tag_picker(
        request,
        profile=profile,
        kind=kind,
        template="profiles/edit_tags.html",
        context={"profile": profile},
        on_saved=lambda: _saved(
            request,
            "Your {} are saved.".format("interests" if kind == Tag.Kind.INTEREST else "values"),
        ),
    )


def _saved(request, text):
    messages.success(request, text)
    return redirect("profiles:me")


# --- Onboarding ---------------------------------------------------------------------


@login_required
@require_GET
def onboarding(request: MemberRequest) -> HttpResponse:
    """Send the person to the first step they have not finished."""
    profile = _profile(request)
    if not (profile.display_name and profile.headline):
        step = "basics"
    elif profile.interests.count() < services.INTEREST_LIMITS[0]:
        step = "interests"
    elif profile.values.count() < services.VALUE_LIMITS[0]:
        step = "values"
    else:
        step = "goals"
    return redirect("profiles:onboarding_step", step=step)


def _step_context(step):
    index = STEP_NAMES.index(step)
    return {
        "steps": ONBOARDING_STEPS,
        "step": step,
        "step_number": index + 1,
        "step_count": len(ONBOARDING_STEPS),
        "previous_step": STEP_NAMES[index - 1] if index else None,
    }


def _next_step(step):
    index = STEP_NAMES.index(step)
    return redirect("profiles:onboarding_step", step=STEP_NAMES[index + 1])


@login_required
@require_http_methods(["GET", "POST"])
def onboarding_step(request: MemberRequest, step: str) -> HttpResponse:
    if step not in STEP_NAMES:
        return redirect("profiles:onboarding")
    profile = _profile(request)
    context = {"profile": profile, **_step_context(step)}
    if step in ("interests", "values"):
        return _tag_picker(
            request,
            profile=profile,
            kind=Tag.Kind.INTEREST if step == "interests" else Tag.Kind.VALUE,
            template="profiles/onboarding.html",
            context=context,
            on_saved=lambda: _next_step(step),
        )
    if step == "photo":
        return _photo_step(request, profile=profile, context=context)
    if step == "basics":
        form: BasicsForm | GoalsForm = BasicsForm(request.POST or None, instance=profile)
        if request.method == "POST" and form.is_valid():
            try:
                services.profile_update(profile=profile, data=form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return _next_step(step)
    else:
        initial = {"goals": profile.goals, "open_to_meet": profile.open_to_meet}
        form = GoalsForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                services.profile_update(profile=profile, data=form.cleaned_data)
                services.profile_onboarding_complete(profile=profile)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    "Welcome to intch! Your profile is ready and we are finding your matches.",
                )
                # Where members land (the home page): the wiring knows it, not profiles.
                return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "profiles/onboarding.html",
        {**context, "form": form},
        status=400 if form.errors else 200,
    )


def _photo_step(request, *, profile, context):
    """An optional photo, cropped to the square the person chooses; Skip goes on without."""
    bound = request.method == "POST"
    form = PhotoForm(request.POST if bound else None, request.FILES if bound else None)
    if bound and query_flag(request.POST, "skip"):
        return _next_step("photo")
    if bound and form.is_valid():
        services.profile_avatar_store(profile=profile, content=form.processed_avatar)
        messages.success(request, "Your photo is saved.")
        return _next_step("photo")
    return render(
        request,
        "profiles/onboarding.html",
        {**context, "form": form},
        status=400 if form.errors else 200,
    )


# --- Tags -------------------------------------------------------------------------------


TAG_QUERY_MAX_LENGTH = 60
TAG_BROWSE_RESULTS = 60
POPULAR_TAGS = 12


@login_required
@require_GET
def tag_index(request: MemberRequest) -> HttpResponse:
    """Browse interests or values: the most popular, every category (folded, with counts),
    and a search box that narrows them (a plain GET; htmx updates the results as you type)."""
    kind = query_choice(request.GET, "kind", Tag.Kind.values, default=Tag.Kind.INTEREST)
    query = query_text(request.GET, "q", max_length=TAG_QUERY_MAX_LENGTH)
    context: dict[str, Any] = {"kind": kind, "query": query}
    if query:
        context["results"] = selectors.tag_suggestions(
            kind=kind, query=query, user=None, limit=TAG_BROWSE_RESULTS
        )
    else:
        groups = selectors.tags_by_category(kind=kind, counts=selectors.tag_people_counts())
        popular = sorted(
            (tag for group in groups for tag in group["tags"]),
            key=lambda tag: (-tag.people_count, tag.name),
        )
        context["groups"] = groups
        context["popular"] = [tag for tag in popular[:POPULAR_TAGS] if tag.people_count]
    if request.htmx and request.htmx.target == "tag-browse-results":
        return render(request, "profiles/partials/_tag_browse_results.html", context)
    return render(request, "profiles/tag_index.html", context)


@login_required
@require_GET
def tag_detail(request: MemberRequest, slug: str) -> HttpResponse:
    """“People into Climate tech”: discoverable people who have this tag."""
    tag = selectors.tag_get_browsable(slug=slug)
    if tag.slug != slug:
        return redirect(tag)
    people = Paginator(selectors.people_with_tag(tag=tag, viewer=request.user), 24)
    page = people.get_page(query_int(request.GET, "page", minimum=1))
    return render(request, "profiles/tag_detail.html", {"tag": tag, "page": page})


@login_required
@require_GET
def tag_suggest(request: MemberRequest) -> HttpResponse:
    """Type-ahead for tags: a small list of chips (used by filters and pickers)."""
    kind = query_choice(request.GET, "kind", Tag.Kind.values, default=Tag.Kind.INTEREST)
    suggestions = selectors.tag_suggestions(
        kind=kind, query=query_text(request.GET, "q", max_length=60), user=request.user
    )
    return render(request, "profiles/partials/_tag_suggestions.html", {"suggestions": suggestions})


# --- Settings, privacy, blocking ------------------------------------------------------


@login_required
@require_GET
def settings_page(request: MemberRequest) -> HttpResponse:
    profile = _profile(request)
    blocks = selectors.blocks_made_by(user=request.user)
    return render(request, "profiles/settings.html", {"profile": profile, "blocks": blocks})


@login_required
@require_POST
def settings_notifications(request: MemberRequest) -> HttpResponse:
    profile = _profile(request)
    services.profile_update(
        profile=profile,
        data={
            "email_notifications": query_flag(request.POST, "email_notifications"),
            "discoverable": query_flag(request.POST, "discoverable"),
        },
    )
    messages.success(request, "Your settings are saved.")
    return redirect("profiles:settings")


@never_cache  # Cache-Control: no-store, so no shared cache or browser keeps a copy
@login_required
@require_GET
def export(request: MemberRequest) -> HttpResponse:
    """Download everything intch holds about you as one JSON file."""
    data = {
        "exported_at": timezone.now().isoformat(),
        **account_selectors.account_data_export(user=request.user),
    }
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="intch-export-{stamp}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: MemberRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        account_services.account_delete(user=user)
        messages.success(request, "Your account and everything in it are deleted. Goodbye!")
        return redirect("home")
    return render(
        request,
        "profiles/account_delete.html",
        {"form": form, "kept": account_selectors.account_deletion_keeps(user=request.user)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def block(request: MemberRequest, profile_id: int) -> HttpResponse:
    profile = selectors.profile_get_visible(viewer=request.user, profile_id=profile_id)
    try:
        account_services.block_create(blocker=request.user, blocked=profile.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("profiles:me")
    messages.success(
        request, f"You blocked {profile.name}. You won't see each other anywhere on intch."
    )
    return redirect("home")


@login_required
@require_POST
def unblock(request: MemberRequest, user_id: int) -> HttpResponse:
    other = User.objects.filter(pk=user_id).first()
    if other is not None:
        account_services.block_delete(blocker=request.user, blocked=other)
    messages.success(request, "Unblocked.")
    return redirect(reverse("profiles:settings") + "#blocked")


# --- Email confirmation ------------------------------------------------------------------


class ConfirmEmailView(allauth_views.ConfirmEmailView):
    """The emailed link confirms on one click in the browser that signed up.

    allauth asks for one more click (a POST) because link scanners and mail previews open
    links by themselves (ACCOUNT_CONFIRM_EMAIL_ON_GET is off): a GET that confirms would let
    them verify an address for whoever typed it in, someone else's included. The browser
    that signed up is different: its session holds that sign-up, which allauth checks before
    logging anyone in on confirmation. There, and only there, the link confirms and logs in
    at once; any other browser (a scanner's included) gets allauth's page with its button.
    """

    def get(self, *args, **kwargs):
        confirmation = get_emailconfirmation_model().from_key(self.kwargs["key"])
        if confirmation is not None and self._signed_up_here(confirmation):
            return self.post(*args, **kwargs)
        return super().get(*args, **kwargs)

    def _signed_up_here(self, confirmation):
        if self.request.user.is_authenticated:
            return False
        stage = LoginStageController.enter(self.request, EmailVerificationStage.key)
        return bool(
            stage and stage.login.user and stage.login.user.pk == confirmation.email_address.user_id
        )
