"""Prints where intch runs and how to log in (used by `make run`)."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_EMAIL = "demo@intch.local"


class Command(BaseCommand):
    help = "Print the address of the running app and the logins to try it with."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default=None, help="the app's address to print (default: SITE_URL)"
        )

    def handle(self, *args, url, **options):
        url = url or f"{settings.SITE_URL}/"
        lines = ["", "intch is starting on " + url, ""]
        if get_user_model().objects.filter(email=DEMO_EMAIL).exists():
            lines.append(
                f"  Demo person:  {DEMO_EMAIL}  /  {settings.INTCH_DEMO_PASSWORD}"
                "   (log in at " + url + "accounts/login/)"
            )
        admin_file = Path(settings.BASE_DIR) / ".admin-login"
        if admin_file.exists():
            email, _, password = admin_file.read_text().strip().partition(" ")
            lines.append(f"  Admin:        {email}  /  {password}   ({url}admin/)")
        lines += [
            "  Sign-up emails (verification links) are printed in this terminal.",
            "  Stop with Ctrl+C.",
            "",
        ]
        self.stdout.write("\n".join(lines))
