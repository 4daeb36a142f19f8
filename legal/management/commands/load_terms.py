"""`manage.py load_terms`: load the bundled Terms of Service once (used by `make run`)."""

from django.core.management.base import BaseCommand

from legal.importing import BUNDLED_SLUG, load_bundled_terms


class Command(BaseCommand):
    help = "Load the bundled Terms of Service as version 1 if the database has no such document."

    def handle(self, *args, **options):
        version = load_bundled_terms()
        if version is None:
            self.stdout.write(f"{BUNDLED_SLUG} is already loaded; nothing to do.")
        else:
            self.stdout.write(f"Loaded {BUNDLED_SLUG} version {version.number}.")
