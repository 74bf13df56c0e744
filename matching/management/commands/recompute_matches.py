"""Operators: recompute matches synchronously, for everyone or for one person."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from matching import services
from matching.models import Match


class Command(BaseCommand):
    help = "Recompute suggested matches now (all people, or one with --user ID)."

    def add_arguments(self, parser):
        parser.add_argument("--user", type=int, help="Recompute only this user id.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when matches already exist."
        )

    def handle(self, *args, user=None, if_empty=False, **options):
        if if_empty and Match.objects.exists():
            self.stdout.write("Matches already computed; skipping.")
            return
        if user is not None:
            written = services.matches_recompute_for_user(user_id=user)
            self.stdout.write(f"Recomputed user {user}: {written} matches.")
            return
        with tqdm(total=None, unit="chunk", desc="Recomputing matches", disable=None) as bar:

            def progress(done, total):
                bar.total = total
                bar.update(done - bar.n)

            try:
                run = services.matches_recompute_all(
                    reason="recompute_matches command", progress=progress
                )
            except Exception as error:
                raise CommandError(f"Recompute failed: {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Run {run.pk}: {run.people} people, {run.matches_written} matches "
                f"in {run.duration.total_seconds():.1f} s."
            )
        )
