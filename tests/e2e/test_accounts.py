"""A visitor signs up, verifies the email, logs out, logs in, and is refused a wrong password."""

import re

import pytest
from django.core import mail

from tests.e2e.nav import nav_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple-9"


def test_sign_up_verify_log_out_log_in_and_wrong_password(page, screenshot):
    email = f"newcomer-{page.viewport_name}@example.com"
    page.goto("/")
    screenshot("landing")
    page.get_by_role("link", name=re.compile("sign up", re.I)).first.click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label(re.compile("Password \\(again\\)|Confirm", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign up", re.I)).click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    screenshot("verify-sent")

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto("/" + link.split("/", 3)[3])
    page.get_by_role("button", name=re.compile("confirm", re.I)).click()
    page.wait_for_url(re.compile(r"/profile/onboarding/"))
    screenshot("onboarding")

    nav_link(page, "Log out").click()
    if "/accounts/logout/" in page.url:
        page.get_by_role("button", name=re.compile("log out|sign out", re.I)).click()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.get_by_text(re.compile("not correct", re.I)).wait_for()
    assert page.get_by_label("Email").input_value() == email
    screenshot("wrong-password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.wait_for_url(re.compile(r"/profile/"))
    assert "/accounts/login" not in page.url
