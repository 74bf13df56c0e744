"""Load the curated taxonomy (or a taxonomy file): idempotent, never removes or renames tags."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from profiles import services


class Command(BaseCommand):
    help = (
        "Add the categories, tags and aliases of the shipped taxonomy (or of --file, .json or "
        ".csv) that the database lacks. Safe to run any number of times."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", help="A .json or .csv taxonomy file instead of the default.")

    def handle(self, *args, file=None, **options):
        try:
            if file:
                with open(file, "rb") as uploaded:
                    created = services.taxonomy_import_file(uploaded=uploaded, filename=file)
            else:
                created = services.taxonomy_load_default()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(summary(created))


def summary(created):
    """'Created 552 tags, 27 categories, 784 aliases' (and how many tags moved to new
    categories), or 'Taxonomy already up to date'."""
    if not any(created.values()):
        return "Taxonomy already up to date"
    text = (
        f"Created {created['tags']} tags, {created['categories']} categories, "
        f"{created['aliases']} aliases"
    )
    if created.get("moved"):
        text += f"; moved {created['moved']} tags to their new categories"
    return text
