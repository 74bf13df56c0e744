"""Everything intch holds about a person: the export shows it, and deletion keeps its word.

intch.personal_data declares every foreign key to the user model. These tests walk the models
through Django's meta, so a new table that refers to a person fails here until its app declares
it, and then check, row by row, the export and the account deletion against the declarations
and against what the delete page tells the person.
"""

import json

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts import services as accounts
from intch import outbox, personal_data
from intch.personal_data import ANONYMISED, DELETED
from tests.factories import PASSWORD, TagFactory
from tests.security.checks import db_state

pytestmark = pytest.mark.django_db

# Text only the owner wrote or that names her (tests/security/conftest.py puts it everywhere).
HERS = (
    "olivia-private-q7",
    "olivia-second-q7",
    "Olivia Owner",
    "private-intro-q7",
    "private-message-q7",
    "private-request-q7",
    "private-declined-q7",
    "private-report-q7",
    "Private tag q7",
    "olivia-google-uid",
    "olivia-phone-browser",
)


def _user_foreign_keys():
    user_model = get_user_model()
    return {
        f"{model._meta.label}.{field.name}": (model, field)
        for model in apps.get_models(include_auto_created=True)
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is user_model
    }


def _rows(holding, user):
    model, field = _user_foreign_keys()[holding.field]
    return model._default_manager.filter(**{field.name: user})


def test_every_table_that_refers_to_a_person_is_declared():
    found, declared = set(_user_foreign_keys()), set(personal_data.holdings())

    assert found - declared == set(), (
        "declare how these are exported and deleted (intch/personal_data.py, in the app's "
        "AppConfig.ready())"
    )
    assert declared - found == set(), "these tables are gone: drop their declarations"


@pytest.fixture
def everything(world):
    """The security world, plus a row in every table that can refer to the owner."""
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from matching.models import Match, Pass, Saved
    from messaging import services as messaging
    from messaging.models import MessageNotification, Report
    from profiles.models import Tag

    owner = world.owner.user
    # Her phone logs in through the login form (allauth tracks the session).
    phone = Client(HTTP_USER_AGENT="olivia-phone-browser")
    response = phone.post(reverse("account_login"), {"login": owner.email, "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in phone.session
    TagFactory(name="Tide pools", proposed_by=owner)  # a proposal that was approved
    MessageNotification.objects.create(
        conversation=world.conversation,
        recipient=owner,
        through_message_id=world.partner_message.pk,
        message_count=1,
    )
    Authenticator.objects.create(
        user=owner, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "0" * 40}
    )
    SocialAccount.objects.create(
        user=owner, provider="google", uid="olivia-google-uid", extra_data={"name": "Olivia"}
    )
    owner.groups.add(Group.objects.create(name="Moderators"))
    owner.user_permissions.add(Permission.objects.get(codename="change_report"))
    LogEntry.objects.create(
        user=owner,
        content_type=ContentType.objects.get_for_model(Tag),
        object_id=str(world.approved_tag.pk),
        object_repr="a tag",
        action_flag=CHANGE,
    )
    # An email intch sent her (through the outbox).
    outbox.email_enqueue(
        message=EmailMessage(subject="About private-message-q7", body="x", to=[owner.email]),
        kind="test",
        user=owner,
    )
    # Other people's rows about her.
    accounts.block_create(blocker=world.decliner.user, blocked=owner)
    Match.objects.create(
        user=world.partner.user, candidate=owner, rank=1, score=80, similarity=0.5, reasons={}
    )
    Saved.objects.create(user=world.partner.user, saved=owner)
    Pass.objects.create(user=world.stranger.user, passed=owner)
    messaging.report_create(reporter=world.stranger.user, reported=owner, reason="fake")
    # She handled a report as a moderator.
    handled = messaging.report_create(
        reporter=world.stranger.user, reported=world.partner.user, reason="spam"
    )
    messaging.reports_dismiss(reports=[handled], moderator=owner)
    Report.objects.filter(pk=world.report.pk).update(details="private-report-q7")

    missing = [
        key for key, holding in personal_data.holdings().items() if not _rows(holding, owner)
    ]
    assert missing == [], "give the owner a row in these tables, so the tests below check them"
    world.phone = phone
    return world


def test_the_export_holds_every_row_that_refers_to_the_person(
    everything, member_client, django_assert_max_num_queries
):
    owner = everything.owner.user

    # A query or so per section, however many rows: no query per conversation or message.
    with django_assert_max_num_queries(22):
        response = member_client.get(reverse("profiles:export"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('attachment; filename="intch-export-')
    data = json.loads(response.content)
    failures = []
    for key, holding in personal_data.holdings().items():
        if not holding.section:
            continue
        rows, section = _rows(holding, owner).count(), data.get(holding.section)
        if not section:
            failures.append(f"{key}: {rows} rows, nothing in the export's {holding.section!r}")
        elif holding.per_row and isinstance(section, list) and len(section) != rows:
            failures.append(f"{key}: {rows} rows, {len(section)} in {holding.section!r}")
        elif holding.per_row and isinstance(section, dict) and rows != 1:
            failures.append(f"{key}: {rows} rows for the one {holding.section!r}")
    assert failures == []
    sent = [m for c in data["conversations"] for m in c["messages"] if m["from_me"]]
    assert len(sent) == owner.messages_sent.count()
    assert {report["details"] for report in data["reports_filed"]} == {"private-report-q7"}
    assert [session["browser"] for session in data["sessions"]] == ["olivia-phone-browser"]
    assert "seed" not in json.dumps(data["two_factor"]), "no two-factor secret in the file"
    assert "private-hidden-q7" not in response.content.decode(), "nobody else's data"


def test_deletion_does_what_the_delete_page_says_row_by_row(everything, member_client):
    owner = everything.owner.user
    page = member_client.get(reverse("profiles:account_delete")).content.decode()
    kept = {
        key: holding
        for key, holding in personal_data.holdings().items()
        if holding.deletion == ANONYMISED
    }
    for key, holding in kept.items():
        assert escape(holding.kept) in page, f"{key}: the delete page does not say what is kept"
    before = {key: set(_rows(h, owner).values_list("pk", flat=True)) for key, h in kept.items()}
    kept_rows = {
        key: set(_rows(h, owner).filter(**dict(h.kept_where)).values_list("pk", flat=True))
        for key, h in kept.items()
    }
    deleted = {
        key: set(_rows(holding, owner).values_list("pk", flat=True))
        for key, holding in personal_data.holdings().items()
        if holding.deletion == DELETED
    }
    from allauth.usersessions.models import UserSession

    sessions = {member_client.session.session_key} | set(
        UserSession.objects.filter(user=owner).values_list("session_key", flat=True)
    )

    response = member_client.post(
        reverse("profiles:account_delete"), {"password": PASSWORD, "confirm": "on"}
    )

    assert response.status_code == 302
    failures = []
    for key, pks in deleted.items():
        model = _user_foreign_keys()[key][0]
        if left := model._default_manager.filter(pk__in=pks).count():
            failures.append(f"{key}: {left} of {len(pks)} rows left, the page says deleted")
    for key, holding in kept.items():
        model, field = _user_foreign_keys()[key]
        rows = model._default_manager.filter(pk__in=before[key])
        if set(rows.values_list("pk", flat=True)) != kept_rows[key]:
            failures.append(f"{key}: kept {sorted(rows.values_list('pk', flat=True))}")
        if rows.exclude(**{f"{field.name}__isnull": True}).exists():
            failures.append(f"{key}: a kept row still names the person")
        failures.extend(
            f"{key}: {erased} is kept"
            for erased in holding.erased
            if rows.exclude(**{erased: ""}).exists()
        )
    assert failures == []
    # Logged out everywhere: this browser, her phone, and no session of hers is stored.
    assert Session.objects.filter(session_key__in=sessions).count() == 0
    assert everything.phone.get(reverse("profiles:me")).status_code == 302
    assert "_auth_user_id" not in everything.phone.session
    # Nothing she wrote, and nothing that names her, is left anywhere.
    stored = repr(db_state())
    assert [text for text in HERS if text in stored] == []


def test_a_person_with_nothing_to_keep_is_told_so(member_client):
    page = member_client.get(reverse("profiles:account_delete")).content.decode()

    assert "Nothing about you is kept." in page
    assert "What we keep" not in page
