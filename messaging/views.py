"""Inbox, requests, threads, the intro form, reports and the unsubscribe link.

Every page works with plain forms; htmx and static/js/messaging.js add live updates.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import MemberRequest
from accounts.middleware import presence_passive
from accounts.services import block_create, presence_touch
from intch.htmx import HtmxHttpRequest, render_in_place
from intch.inputs import query_flag, query_int, query_text
from messaging import selectors, services
from messaging.forms import IntroForm, MessageForm, ReportForm
from messaging.models import Conversation
from profiles.selectors import profile_get_visible

INBOX_PAGE_SIZE = 30


def _error_status(error):
    return 429 if getattr(error, "code", None) == services.RATE_LIMITED else 400


@login_required
@require_GET
def inbox(request: MemberRequest) -> HttpResponse:
    """Accepted conversations, latest activity first; search by name."""
    query = query_text(request.GET, "q")
    page = Paginator(selectors.inbox_for(user=request.user, query=query), INBOX_PAGE_SIZE).get_page(
        query_int(request.GET, "page", minimum=1)
    )
    context = {"page": page, "query": query, "tab": "inbox"}
    if request.htmx and request.htmx.target == "conversation-list":
        return render(request, "messaging/partials/_conversation_list.html", context)
    return render(request, "messaging/inbox.html", context)


@login_required
@require_GET
def requests(request: MemberRequest) -> HttpResponse:
    """Requests waiting for an answer, and the ones you sent."""
    return render(
        request,
        "messaging/requests.html",
        {
            "received": selectors.requests_for(user=request.user),
            "sent": selectors.sent_requests_for(user=request.user),
            "tab": "requests",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def start(request: MemberRequest, profile_id: int) -> HttpResponse:
    """Write to someone from a match card or their profile."""
    profile = profile_get_visible(viewer=request.user, profile_id=profile_id)
    if profile.user_id == request.user.pk:
        return redirect("profiles:me")
    existing = selectors.conversation_between(user=request.user, other=profile.user)
    if existing is not None and existing.status != Conversation.Status.DECLINED:
        # Already talking, or a request is on its way: the thread is the place to be.
        return redirect(existing)
    topics = selectors.shared_topics(user=request.user, other=profile.user)
    form = IntroForm(request.POST or None, topics=topics)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            message = services.conversation_start(
                sender=request.user,
                recipient=profile.user,
                text=form.cleaned_data["text"],
                prompt=form.cleaned_data.get("prompt", ""),
                client_token=form.cleaned_data["client_token"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            status = _error_status(error)
        else:
            # The thread says the request is waiting for them.
            return redirect(message.conversation)
    elif form.errors:
        status = 400
    declined_until = (
        existing.decline_cooldown_ends
        if existing is not None and existing.initiator_id == request.user.pk
        else None
    )
    if declined_until is not None and declined_until <= timezone.now():
        declined_until = None
    return render(
        request,
        "messaging/start.html",
        {"form": form, "person": profile, "declined_until": declined_until},
        status=status,
    )


def _thread_context(request, conversation, *, form=None, before_id=None):
    page, has_older = selectors.messages_page(conversation=conversation, before_id=before_id)
    other = conversation.other_user(request.user)
    return {
        "conversation": conversation,
        "other": other,
        "person": getattr(other, "profile", None),
        "page_messages": page,
        "has_older": has_older,
        "oldest_id": page[0].pk if page else None,
        "newest_id": page[-1].pk if page else 0,
        "showing_older": before_id is not None,
        "seen_id": selectors.seen_message_id(conversation=conversation, viewer=request.user),
        "form": form or MessageForm(),
        "viewer": request.user,
        "is_request_for_me": (
            conversation.status == Conversation.Status.PENDING
            and conversation.recipient_id == request.user.pk
        ),
    }


@login_required
@require_GET
def thread(request: MemberRequest, conversation_id: int) -> HttpResponse:
    """One conversation: messages with day separators, older ones on demand, the composer."""
    conversation = selectors.conversation_get_for_participant(
        user=request.user, conversation_id=conversation_id
    )
    before_id = query_int(request.GET, "before", minimum=1)
    if before_id and request.htmx:
        page, has_older = selectors.messages_page(conversation=conversation, before_id=before_id)
        return render(
            request,
            "messaging/partials/_older.html",
            {
                "conversation": conversation,
                "page_messages": page,
                "has_older": has_older,
                "oldest_id": page[0].pk if page else None,
                "viewer": request.user,
            },
        )
    if conversation.status == Conversation.Status.ACCEPTED and not before_id:
        # Opening the thread is reading it.
        services.message_mark_read(conversation=conversation, user=request.user)
    return render(
        request,
        "messaging/thread.html",
        _thread_context(request, conversation, before_id=before_id),
    )


@login_required
@require_POST
def send(request: MemberRequest, conversation_id: int) -> HttpResponse:
    """Post a message; htmx gets the new message, a plain form goes back to the thread."""
    try:
        conversation = selectors.conversation_get_for_participant(
            user=request.user, conversation_id=conversation_id
        )
    except Http404:
        if not request.htmx:
            raise
        # Blocked, left or suspended since the page opened: say so where the person looks.
        return _composer_errors(request, {"closed": True})
    form = MessageForm(request.POST)
    error = None
    if form.is_valid():
        try:
            message = services.message_send(
                conversation=conversation,
                sender=request.user,
                body=form.cleaned_data["body"],
                client_token=form.cleaned_data["client_token"],
            )
        except ValidationError as failure:
            error = failure
            form.add_error(None, failure)
        else:
            if request.htmx:
                return render(
                    request,
                    "messaging/partials/_sent.html",
                    {"message": message, "viewer": request.user, "form": MessageForm()},
                )
            return redirect(f"{conversation.get_absolute_url()}#message-{message.pk}")
    if request.htmx:
        return _composer_errors(request, {"form": form})
    return render(
        request,
        "messaging/thread.html",
        _thread_context(request, conversation, form=form),
        status=_error_status(error) if error is not None else 400,
    )


def _composer_errors(request, context):
    """The composer's errors above the box under htmx; the text stays in the box."""
    return render_in_place(
        request, "messaging/partials/_composer_errors.html", context, target="#composer-errors"
    )


@login_required
@require_POST
def mark_read(request: MemberRequest, conversation_id: int) -> HttpResponse:
    """The page has shown messages up to `message_id` (default: all)."""
    conversation = selectors.conversation_get_for_participant(
        user=request.user, conversation_id=conversation_id
    )
    moved = services.message_mark_read(
        conversation=conversation,
        user=request.user,
        through_message_id=query_int(request.POST, "message_id", minimum=1),
    )
    if request.htmx or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"moved": moved})
    return redirect(conversation)


@presence_passive
@login_required
@require_GET
def poll(request: MemberRequest, conversation_id: int) -> HttpResponse:
    """The fallback when the live socket cannot connect: new messages since `after`."""
    conversation = selectors.conversation_get_for_participant(
        user=request.user, conversation_id=conversation_id
    )
    after_id = query_int(request.GET, "after", minimum=0) or 0
    new_messages = selectors.messages_after(conversation=conversation, after_id=after_id)
    if query_flag(request.GET, "visible", on=("1",)):
        presence_touch(user_id=request.user.pk)
        if new_messages and conversation.status == Conversation.Status.ACCEPTED:
            services.message_mark_read(
                conversation=conversation,
                user=request.user,
                through_message_id=new_messages[-1].pk,
            )
    return render(
        request,
        "messaging/partials/_poll.html",
        {
            "conversation": conversation,
            "new_messages": new_messages,
            "newest_id": new_messages[-1].pk if new_messages else after_id,
            "seen_id": selectors.seen_message_id(conversation=conversation, viewer=request.user),
            "viewer": request.user,
        },
    )


@presence_passive
@login_required
@require_GET
def counts(request: MemberRequest) -> HttpResponse:
    """Unread messages and waiting requests, for the header badge when the socket is down."""
    found = selectors.unread_counts(user=request.user)
    return JsonResponse(
        {
            "messages": found["messages"],
            "requests": found["requests"],
            "total": found["messages"] + found["requests"],
        }
    )


def _answer(request, conversation_id, action, done):
    conversation = selectors.conversation_get_for_participant(
        user=request.user, conversation_id=conversation_id
    )
    try:
        action(conversation=conversation, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("messaging:requests")
    return done(conversation)


@login_required
@require_POST
def accept(request: MemberRequest, conversation_id: int) -> HttpResponse:
    def done(conversation):
        messages.success(request, "Request accepted. Say hello!")
        return redirect(conversation)

    return _answer(request, conversation_id, services.conversation_accept, done)


@login_required
@require_POST
def decline(request: MemberRequest, conversation_id: int) -> HttpResponse:
    def done(conversation):
        messages.success(request, "Request declined. We let them know, without any detail.")
        return redirect("messaging:requests")

    return _answer(request, conversation_id, services.conversation_decline, done)


@login_required
@require_POST
def block(request: MemberRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.conversation_get_for_participant(
        user=request.user, conversation_id=conversation_id
    )
    other = conversation.other_user(request.user)
    try:
        services.conversation_block(conversation=conversation, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(conversation)
    name = other.profile.name if hasattr(other, "profile") else "them"
    messages.success(
        request,
        f"You blocked {name}. Neither of you can write to the other; unblock in Settings.",
    )
    return redirect("messaging:inbox")


def _report(request, *, reported, message, person, cancel_url):
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(
                reporter=request.user,
                reported=reported,
                message=message,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if form.cleaned_data["also_block"]:
                block_create(blocker=request.user, blocked=reported)
                messages.success(
                    request,
                    "Thank you for the report: our moderators will look at it. "
                    f"You blocked {person.name}, so you will not hear from them again.",
                )
                return redirect("messaging:inbox")
            messages.success(request, "Thank you for the report: our moderators will look at it.")
            return redirect(cancel_url)
    return render(
        request,
        "messaging/report.html",
        {"form": form, "person": person, "reported_message": message, "cancel_url": cancel_url},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_message(request: MemberRequest, message_id: int) -> HttpResponse:
    message = selectors.message_get_reportable(user=request.user, message_id=message_id)
    return _report(
        request,
        reported=message.sender,
        message=message,
        person=message.sender.profile,
        cancel_url=f"{message.conversation.get_absolute_url()}#message-{message.pk}",
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_person(request: MemberRequest, profile_id: int) -> HttpResponse:
    profile = profile_get_visible(viewer=request.user, profile_id=profile_id)
    if profile.user_id == request.user.pk:
        raise Http404("No such person.")
    return _report(
        request,
        reported=profile.user,
        message=None,
        person=profile,
        cancel_url=profile.get_absolute_url(),
    )


# The signed token is the permission, and mail clients POST here without a session or a CSRF
# token (RFC 8058 one-click unsubscribe). GET only shows the confirmation form.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HtmxHttpRequest, token: str) -> HttpResponse:
    user_id = services.unsubscribe_user_id(token=token)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if user is None:
        raise Http404("This link is not valid.")
    done = request.method == "POST"
    if done:
        services.notifications_unsubscribe(user=user)
    return render(
        request,
        "messaging/unsubscribe.html",
        {"done": done, "token": token, "settings_url": reverse("profiles:settings")},
    )
