"""One voice everywhere: allauth's pages in intch's words (sentence case, "Log in", "Sign up",
"Log out"), no username anyone would have to recognise, one way to say a match score."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from matching.models import MatchState
from tests.factories import PASSWORD, MatchFactory, UserFactory, complete_profile

USERNAME = "nora.newcomer"
# allauth's defaults that must not show through (case-sensitive: "Sign up" is ours).
LEAKS = re.compile(
    r"Sign In|Sign Up|Sign Out|Signup|Remember Me|Password Reset|Change Password|"
    r"Email Addresses|Email Address\b|Make Primary|Re-send Verification|Add Email|"
    r"Verify Your Email|Confirm Email Address|Set Password|Two-Factor Authentication|"
    r"Authenticator App|Recovery Codes|Account Connections|Forgot Password\?|"
    r"Successfully signed in|sign in|signed in"
)
VISITOR_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_inactive",
    "socialaccount_login_cancelled",
    "socialaccount_login_error",
]
MEMBER_PAGES = [
    "account_logout",
    "account_email",
    "account_change_password",
    "mfa_index",
    "socialaccount_connections",
    "account_reauthenticate",
]


def _main_text(response):
    html = response.content.decode()
    main = html.split('id="main"', 1)[1].split("</main>", 1)[0]
    text = re.sub(r"<[^>]+>", " ", main)
    return " ".join(text.split())


def _title(response):
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


def _po_entries(path):
    """msgid -> msgstr of a simple .po file (no plurals, no contexts)."""
    entries, key, current = {}, None, None
    for line in [*path.read_text().splitlines(), ""]:
        if line.startswith("msgid "):
            key, current = "msgid", [line[6:]]
            msgid = None
        elif line.startswith("msgstr "):
            msgid = "".join(part.strip()[1:-1] for part in current)
            key, current = "msgstr", [line[7:]]
        elif line.startswith('"'):
            current.append(line)
        elif key == "msgstr":
            text = "".join(part.strip()[1:-1] for part in current)
            entries[msgid] = text.encode().decode("unicode_escape")
            key = None
    entries.pop("", None)
    return {k.encode().decode("unicode_escape"): v for k, v in entries.items()}


def test_the_compiled_catalogue_says_what_the_source_says():
    folder = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
    source = _po_entries(folder / "django.po")
    with (folder / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    assert len(source) > 40
    stale = {msgid for msgid, msgstr in source.items() if catalogue.gettext(msgid) != msgstr}
    assert stale == set(), "compile locale/en/LC_MESSAGES/django.po again (see its header)"


@pytest.mark.parametrize("name", VISITOR_PAGES)
def test_allauth_pages_for_visitors_speak_intchs_words(client, db, name):
    response = client.get(reverse(name))

    assert response.status_code in (200, 401)  # 401: the failed log-in page
    leak = LEAKS.search(_main_text(response) + " " + _title(response))
    assert leak is None, leak and leak.group(0)


@pytest.mark.parametrize("name", MEMBER_PAGES)
def test_allauth_pages_for_members_speak_intchs_words_and_name_nobody_by_username(db, name):
    user = UserFactory()
    complete_profile(user=user, display_name="Nora Newcomer")
    client = Client()
    client.force_login(user)

    response = client.get(reverse(name))

    assert response.status_code == 200
    text = _main_text(response) + " " + _title(response)
    leak = LEAKS.search(text)
    assert leak is None, leak and leak.group(0)
    assert USERNAME not in response.content.decode()


def test_the_login_page_says_log_in_and_keep_me_logged_in(client, db):
    text = _main_text(client.get(reverse("account_login")))
    assert "Log in" in text and "Keep me logged in on this device" in text
    assert "No account yet? Sign up" in text


def test_logging_in_and_out_names_no_username(client, db):
    UserFactory(email="nora@mail.test")

    landed = client.post(
        reverse("account_login"), {"login": "nora@mail.test", "password": PASSWORD}, follow=True
    )
    left = client.post(reverse("account_logout"), follow=True)

    assert USERNAME not in landed.content.decode()
    assert "signed in" not in landed.content.decode()
    assert "You are logged out." in left.content.decode()


def test_a_match_score_reads_the_same_on_the_card_and_the_profile(member_client):
    sam = complete_profile(display_name="Sam Rivera")
    MatchFactory(user=member_client.profile.user, candidate=sam.user, score=39)
    MatchState.objects.create(user=member_client.profile.user, computed_at=sam.created_at)
    score = '<span class="match-score__value">39%</span>'

    card = member_client.get(reverse("matching:list")).content.decode()
    profile = member_client.get(sam.get_absolute_url()).content.decode()

    for page in (card, profile):
        assert re.search(
            re.escape(score) + r"\s*<span class=\"match-score__label\">match</span>", page
        )
