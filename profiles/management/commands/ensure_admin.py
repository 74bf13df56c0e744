"""Create the local admin account once and print how to log in (used by `make run`).

The random password lives in `.admin-login` at the project root (mode 600, git-ignored), as
one line: `<email> <password>`. Delete the file and run again to get a new password.
"""

import os
import secrets
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from profiles import services

ADMIN_EMAIL = "admin@intch.local"
LOGIN_FILE_NAME = ".admin-login"


def login_file_path():
    return Path(settings.BASE_DIR) / LOGIN_FILE_NAME


class Command(BaseCommand):
    help = "Create the admin superuser admin@intch.local once, then print its login."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default=None, help="the admin's address to print (default: SITE_URL/admin/)"
        )

    def handle(self, *args, url, **options):
        url = url or f"{settings.SITE_URL}/admin/"
        path = login_file_path()
        saved_password = _read_password(path)
        user = get_user_model().objects.filter(email__iexact=ADMIN_EMAIL).first()
        if user is not None and not user.is_superuser:
            raise CommandError(
                f"An account that is not an administrator already uses {ADMIN_EMAIL}. "
                "Rename it or make it a superuser (manage.py createsuperuser) yourself."
            )
        if user is None:
            password = saved_password or _new_password()
            user = _create_admin(password)
            self.stdout.write(f"Created the admin account {ADMIN_EMAIL}.")
        elif saved_password is None:
            password = _new_password()
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(f"{path.name} was missing: the admin password was reset.")
        else:
            password = saved_password
            if not user.check_password(password):
                self.stderr.write(
                    f"The password in {path.name} no longer works (it was changed in the app). "
                    f"Delete {path.name} and run this again to reset it."
                )
        _ensure_verified_email(user)
        services.profile_ensure(user=user)
        if password != saved_password:
            _write_password(path, password)
        self.stdout.write(f"Admin: {url} — {ADMIN_EMAIL} / {password}")


def _new_password():
    return secrets.token_urlsafe(18)


def _read_password(path):
    try:
        email, _, password = path.read_text(encoding="utf-8").strip().partition(" ")
    except FileNotFoundError:
        return None
    return password.strip() if email == ADMIN_EMAIL and password.strip() else None


def _write_password(path, password):
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(f"{ADMIN_EMAIL} {password}\n")
    # os.open's mode only applies when the file is created.
    path.chmod(0o600)


def _create_admin(password):
    with transaction.atomic():
        return get_user_model().objects.create_superuser(email=ADMIN_EMAIL, password=password)


def _ensure_verified_email(user):
    address, _ = EmailAddress.objects.get_or_create(
        user=user, email=ADMIN_EMAIL, defaults={"verified": True, "primary": True}
    )
    if not (address.verified and address.primary):
        address.verified = address.primary = True
        address.save(update_fields=["verified", "primary"])
