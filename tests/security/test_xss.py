"""Stored XSS: hostile text in every field a person controls, shown as text on every page.

Each author puts one payload of the corpus in every short field they control (name, headline,
place, role, company, industry, a proposed tag) and the whole corpus in the long ones (bio,
introduction, messages, report details), through the real forms and services. Then the pages
that show them, to the author, to another member and to the moderators, must render them as
text: no element, attribute or script URL of a payload's making (checks.html_problems).
"""

import uuid

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from matching.models import Match, MatchState
from messaging import selectors as messaging_selectors
from messaging import services as messaging
from messaging.models import Conversation, Report
from profiles.models import Tag
from tests.factories import complete_profile
from tests.security.checks import html_problems, scan_html
from tests.security.conftest import profile_form_data

pytestmark = pytest.mark.django_db

# At most 50 characters each: every one also becomes a tag name.
PAYLOADS = (
    '<script>alert("xss-1")</script>',
    '<img src=x onerror=alert("xss-2")>',
    '<svg onload=alert("xss-3")>',
    '"><script>alert("xss-4")</script>',
    "'><img src=x onerror=alert('xss-5')>",
    '" onmouseover="alert(\'xss-6\')" x="',
    "javascript:alert('xss-7')",
    '<a href="javascript:alert(8)">xss-8</a>',
    "{{ request.user.email }}{% csrf_token %}xss-9",
    '<iframe src="//evil.example/xss-10"></iframe>',
    "</textarea><script>alert('xss-11')</script>",
    '" hx-get="/xss-12" hx-trigger="load" x="',
    "<style>*{display:none}</style>xss-13",
    "${alert('xss-14')}`+alert('xss-15')+`",
)
CORPUS = "\n".join(PAYLOADS)
SHORT_FIELDS = (
    "display_name",
    "headline",
    "city",
    "country",
    "current_role",
    "company",
    "industry",
)
ACCEPTED, PENDING = range(0, 5), range(5, 10)  # the rest: no conversation yet


def test_the_corpus_fits_every_field():
    assert all(len(payload) <= 50 for payload in PAYLOADS)
    assert len(CORPUS) <= 1000
    assert len(set(PAYLOADS)) == len(PAYLOADS)


# Text that must simply stay literal: harmless as markup, but proof no template or script
# engine evaluated what a person typed.
LITERAL_ONLY = {PAYLOADS[8], PAYLOADS[13]}


def test_the_scanner_catches_every_payload_left_unescaped():
    """Rendered raw, in text, in an attribute or in a link, each payload is caught."""
    from django.template import engines

    contexts = (
        "<p>{{ x|safe }}</p>",
        '<input value="{{ x|safe }}">',
        '<a href="{{ x|safe }}">a</a>',
    )
    templates = [engines["django"].from_string(source) for source in contexts]
    missed = [
        payload
        for payload in PAYLOADS
        if payload not in LITERAL_ONLY
        and not any(html_problems(template.render({"x": payload})) for template in templates)
    ]
    assert missed == []
    autoescaped = [
        engines["django"].from_string(source.replace("|safe", "")) for source in contexts
    ]
    assert [html_problems(t.render({"x": CORPUS})) for t in autoescaped[:2]] == [[], []]


class Pages:
    """Rendered pages, scanned as they come; the check runs over all of them at the end."""

    def __init__(self):
        self.problems, self.text, self.count = [], [], 0

    def get(self, client, label, path, **extra):
        return self.add(label, client.get(path, **extra))

    def add(self, label, response, status=200):
        assert response.status_code == status, f"{label}: {response.status_code}"
        self.add_html(label, response.content.decode())
        return response

    def add_html(self, label, html):
        problems, text = scan_html(html)
        self.problems += [f"{label}: {problem}" for problem in problems]
        self.text.append(text)
        self.count += 1


def _login(profile):
    client = Client()
    client.force_login(profile.user)
    return client


def _author(index, payload, viewer, pages):
    """A person who types `payload` everywhere, through the profile form and the tag picker."""
    profile = complete_profile(goals=["find_job"])
    client = _login(profile)
    typed = dict.fromkeys(SHORT_FIELDS, payload)
    response = client.post(
        reverse("profiles:edit"), profile_form_data(profile, bio=CORPUS, **typed)
    )
    assert response.status_code == 302, response.context["form"].errors
    picker = reverse("profiles:edit_interests")
    chosen = list(profile.interests.values_list("name", flat=True))
    pages.add(
        f"author {index}: tag proposed (picker)",
        client.post(picker, {"tags": chosen, "q": payload, "propose": "1"}),
    )
    saved = client.post(picker, {"tags": [*chosen, payload], "save": "1"})
    assert saved.status_code == 302, f"author {index}: the proposed tag was not saved"
    profile.refresh_from_db()
    assert profile.display_name == payload.strip()
    pages.get(client, f"author {index}: edit form", reverse("profiles:edit"))
    if index < 3:  # others see the same fields on the public profile
        pages.get(client, f"author {index}: own profile", reverse("profiles:me"))
    if index == 0:  # the same form fields and picker as above
        pages.get(client, "author 0: onboarding basics", "/profile/onboarding/basics/")
        pages.get(client, "author 0: interests picker", picker)
    profile.client = client
    return profile


def _moderate_tags(staff_client, authors, pages):
    tag_ids = list(Tag.objects.filter(status=Tag.Status.PENDING).values_list("pk", flat=True))
    assert len(tag_ids) == len(PAYLOADS)
    changelist = reverse("admin:profiles_tag_changelist")
    pages.get(staff_client, "admin: tags waiting for review", changelist + "?status=pending")
    pages.add(
        "admin: tags approved",
        staff_client.post(
            changelist,
            {"action": "approve_tags", "_selected_action": tag_ids},
            follow=True,
        ),
    )
    pages.get(staff_client, "admin: a tag", reverse("admin:profiles_tag_change", args=[tag_ids[0]]))
    pages.add(
        "admin: merge page",
        staff_client.post(changelist, {"action": "merge_tags", "_selected_action": tag_ids[:2]}),
    )


def _talk(index, author, viewer, viewer_client, pages):
    """The author writes to the viewer (the corpus, naming their tag), and so on."""
    tag = Tag.objects.get(proposed_by=author.user)
    start = reverse("messaging:start", kwargs={"profile_id": viewer.pk})
    response = author.client.post(
        start, {"text": CORPUS, "prompt": tag.name, "client_token": str(uuid.uuid4())}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    conversation = messaging_selectors.conversation_between(user=author.user, other=viewer.user)
    assert conversation.prompt == tag.name
    if index in ACCEPTED:
        viewer_client.post(reverse("messaging:accept", kwargs={"conversation_id": conversation.pk}))
        message = messaging.message_send(conversation=conversation, sender=author.user, body=CORPUS)
        messaging.message_send(conversation=conversation, sender=viewer.user, body="Thanks!")
    else:
        message = conversation.last_message
    report = viewer_client.post(
        reverse("messaging:report_message", kwargs={"message_id": message.pk}),
        {"reason": "spam", "details": CORPUS},
    )
    assert report.status_code == 302
    return conversation, message


def _suggest(viewer, authors):
    """The viewer's list holds the authors, with their tags and goals as reasons."""
    now = timezone.now()
    Match.objects.filter(user=viewer.user).delete()
    Match.objects.bulk_create(
        Match(
            user=viewer.user,
            candidate=author.user,
            rank=rank,
            score=90 - rank,
            similarity=0.5,
            reasons={
                "interests": [
                    {"name": tag.name, "slug": tag.slug}
                    for tag in Tag.objects.filter(proposed_by=author.user)
                ],
                "values": [],
                "goals": [["hire", "find_job"]],
            },
            computed_at=now,
        )
        for rank, author in enumerate(authors, start=1)
    )
    MatchState.objects.update_or_create(user=viewer.user, defaults={"computed_at": now})


def test_every_payload_is_shown_as_text_everywhere(member_client, staff_client, committed):
    viewer = member_client.profile
    viewer.goal_bits = 0
    viewer.save()
    pages = Pages()

    authors = [_author(n, payload, viewer, pages) for n, payload in enumerate(PAYLOADS)]
    _moderate_tags(staff_client, authors, pages)
    viewer.interests.add(*Tag.objects.filter(status=Tag.Status.APPROVED, proposed_by__isnull=False))
    from profiles.goals import goals_to_bits

    viewer.goal_bits = goals_to_bits(["hire"])
    viewer.save()

    talks = {}
    for n, author in enumerate(authors):
        if n in ACCEPTED or n in PENDING:
            talks[n] = _talk(n, author, viewer, member_client, pages)

    # The email about unread messages names the sender (their name is a payload).
    cache.clear()  # the viewer counts as away, so the email goes
    conversation, _ = talks[ACCEPTED[0]]
    mail.outbox.clear()
    messaging.message_send(conversation=conversation, sender=authors[0].user, body=CORPUS)
    with committed():
        result = messaging.notification_send_if_due(
            conversation_id=conversation.pk, recipient_id=viewer.user_id
        )
    assert result == "sent"
    pages.add_html("email about a message (HTML)", mail.outbox[-1].alternatives[0][0])

    # The live socket's message, rendered for the viewer.
    from messaging.consumers import MessagingConsumer

    consumer = MessagingConsumer()
    consumer.user, consumer.conversation_id = viewer.user, conversation.pk
    payloads = consumer._payloads(
        {
            "kind": "message",
            "conversation_id": conversation.pk,
            "message_id": conversation.messages.last().pk,
        }
    )
    pages.add_html("live message (socket)", payloads[0]["html"])

    # What the viewer sees.
    _suggest(viewer, authors)
    for author in authors:
        member_client.post(reverse("matching:save", kwargs={"profile_id": author.pk}))
    get = member_client.get
    pages.add("matches", get(reverse("matching:list")))
    pages.add("matches, htmx", get(reverse("matching:list"), HTTP_HX_REQUEST="true"))
    pages.add("saved", get(reverse("matching:saved")))
    pages.add("inbox", get(reverse("messaging:inbox")))
    requests_page = pages.add("requests", get(reverse("messaging:requests")))
    # Each request shows its reasons: the shared (payload) tags and the sender's named goal fit.
    assert requests_page.content.decode().count('class="request-reasons"') == len(PENDING)
    home = pages.add("home (requests, unread messages, matches, saved)", get(reverse("home:index")))
    assert 'id="home-requests"' in home.content.decode()
    pages.add("counts", get(reverse("messaging:counts")))
    pages.add("tag index", get(reverse("profiles:tag_index")))
    pages.add("tag index search", get(reverse("profiles:tag_index"), {"q": "xss"}))
    people_search = get(reverse("search:people"), {"q": "xss"})
    assert people_search.context["page"].paginator.count == len(PAYLOADS)
    pages.add("people search", people_search)
    pages.add(
        "people search, htmx",
        get(
            reverse("search:people"),
            {"q": "alert"},
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="search-results",
        ),
    )
    pages.add("viewer's own profile (shared tags)", get(reverse("profiles:me")))
    pages.add("viewer's interests picker", get(reverse("profiles:edit_interests")))
    pages.add(
        "picker search",
        member_client.post(
            reverse("profiles:edit_interests"),
            {
                "tags": list(viewer.interests.values_list("name", flat=True)),
                "q": "xss",
                "search": "1",
            },
        ),
    )
    pages.add("tag suggestions", get(reverse("profiles:tag_suggest"), {"q": "xss"}))
    for n, author in enumerate(authors):
        pages.add(f"profile of author {n}", get(author.get_absolute_url()))
        tag = Tag.objects.filter(proposed_by=author.user).first()
        if tag is not None and n % 3 == 0:  # (two tags were merged away)
            pages.add(f"people into author {n}'s tag", get(tag.get_absolute_url()))
        if n % 3 == 1:
            pages.add(
                f"report author {n}",
                get(reverse("messaging:report_person", kwargs={"profile_id": author.pk})),
            )
        if n in talks:
            conversation, message = talks[n]
            thread = reverse("messaging:thread", kwargs={"conversation_id": conversation.pk})
            pages.add(f"thread with author {n}", get(thread))  # each names its own prompt
            if n in (ACCEPTED[0], PENDING[0]):  # the same corpus in every conversation
                pages.add(
                    f"poll of author {n}",
                    get(thread + "poll/", {"after": 0}, HTTP_HX_REQUEST="true"),
                )
                pages.add(
                    f"report of author {n}'s message",
                    get(reverse("messaging:report_message", kwargs={"message_id": message.pk})),
                )
        else:
            pages.add(
                f"intro form to author {n}",
                get(reverse("messaging:start", kwargs={"profile_id": author.pk})),
            )

    # A block says the name in a flash message; Settings lists the blocked person.
    blocked = authors[-1]
    pages.add(
        "blocked (flash message)",
        member_client.post(
            reverse("profiles:block", kwargs={"profile_id": blocked.pk}), follow=True
        ),
    )
    pages.add("settings (blocked list)", get(reverse("profiles:settings")))

    # What the moderators see.
    pages.get(staff_client, "admin: reports", reverse("admin:messaging_report_changelist"))
    for report in Report.objects.all()[:4]:
        pages.get(
            staff_client,
            f"admin: report {report.pk}",
            reverse("admin:messaging_report_change", args=[report.pk]),
        )
    pages.get(staff_client, "admin: people", reverse("admin:profiles_profile_changelist"))
    pages.get(
        staff_client,
        "admin: people search",
        reverse("admin:profiles_profile_changelist"),
        data={"q": "xss"},
    )
    pages.get(
        staff_client,
        "admin: a person",
        reverse("admin:profiles_profile_change", args=[authors[0].pk]),
    )
    pages.get(staff_client, "admin: tags", reverse("admin:profiles_tag_changelist"))
    pages.get(staff_client, "admin: matches", reverse("admin:matching_match_changelist"))

    assert not pages.problems, "\n".join(pages.problems)
    shown = "".join(pages.text)
    missing = [payload for payload in PAYLOADS if payload.strip() not in shown]
    assert missing == [], "these payloads were never shown, so the check above saw nothing"
    assert Conversation.objects.count() == len(ACCEPTED) + len(PENDING)
    assert pages.count > 60


# --- Reflected: what the address bar and forms send back ---------------------------------------


def test_search_and_filter_text_is_reflected_as_text(member_client):
    get = member_client.get
    failures = []
    for payload in PAYLOADS:
        for label, response in (
            ("matches filters", get(reverse("matching:list"), {"tag": payload, "place": payload})),
            ("tag options", get(reverse("matching:tag_options"), {"tag": payload})),
            ("inbox search", get(reverse("messaging:inbox"), {"q": payload})),
            ("tag suggestions", get(reverse("profiles:tag_suggest"), {"q": payload})),
            ("tag index", get(reverse("profiles:tag_index"), {"kind": payload})),
            ("tag index search", get(reverse("profiles:tag_index"), {"q": payload})),
            ("people search", get(reverse("search:people"), {"q": payload})),
            ("login page", Client().get(reverse("account_login"), {"next": payload})),
        ):
            failures += [
                f"{label} {payload!r}: {p}" for p in html_problems(response.content.decode())
            ]
    assert not failures, "\n".join(failures)


def test_a_refused_form_shows_the_typed_text_as_text(member_client):
    """Error pages re-show what was typed: the picker's “not in the list” message, and a form."""
    picker = reverse("profiles:edit_interests")
    failures = []
    for payload in PAYLOADS:
        for response in (
            member_client.post(picker, {"add": payload}),
            member_client.post(
                reverse("profiles:edit"),
                profile_form_data(member_client.profile, display_name="", headline=payload),
            ),
        ):
            failures += [f"{payload!r}: {p}" for p in html_problems(response.content.decode())]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        'https://example.com/"><script>alert(1)</script>',
        'https://example.com/" onmouseover="alert(1)',
    ],
)
def test_link_fields_take_web_addresses_only(member_client, url):
    profile = member_client.profile
    response = member_client.post(
        reverse("profiles:edit"), profile_form_data(profile, website_url=url)
    )
    profile.refresh_from_db()
    if response.status_code == 302:
        assert profile.website_url.startswith("https://")
        page = Client()
        page.force_login(complete_profile().user)
        assert html_problems(page.get(profile.get_absolute_url()).content.decode()) == []
    else:
        assert "website_url" in response.context["form"].errors
        assert profile.website_url == ""


@pytest.mark.parametrize(
    "next_url",
    ["javascript:alert(1)", "//evil.example/", "https://evil.example/", "\\\\evil.example"],
)
def test_actions_never_send_people_to_another_site(member_client, next_url):
    other = complete_profile()
    response = member_client.post(
        reverse("matching:save", kwargs={"profile_id": other.pk}), {"next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("matching:list")


def test_a_browser_name_is_shown_as_text_on_the_devices_page_and_in_the_admin(staff_client):
    """The sessions page (and its admin) shows each device's User-Agent, which its sender wrote."""
    from tests.factories import PASSWORD

    person = complete_profile()
    for payload in PAYLOADS[:6]:
        Client(HTTP_USER_AGENT=payload).post(
            reverse("account_login"), {"login": person.user.email, "password": PASSWORD}
        )
    owner = Client(HTTP_USER_AGENT=PAYLOADS[6])
    owner.post(reverse("account_login"), {"login": person.user.email, "password": PASSWORD})

    pages = [
        owner.get(reverse("usersessions_list")),
        staff_client.get(reverse("admin:usersessions_usersession_changelist")),
    ]

    assert [response.status_code for response in pages] == [200, 200]
    assert PAYLOADS[0] in scan_html(pages[0].content.decode())[1], "the payload is on the page"
    assert [html_problems(response.content.decode()) for response in pages] == [[], []]
