"""`manage.py import_version`: a new version from one Markdown file per language."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from legal.importing import ImportProblem, import_version


class Command(BaseCommand):
    help = "Create a version of a document from FILE.<lang>.md files; optionally publish it."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE.<lang>.md")
        parser.add_argument("--document", required=True, metavar="SLUG", help="the document's slug")
        parser.add_argument("--publish", action="store_true", help="publish the new version")
        parser.add_argument(
            "--effective", metavar="ISO8601", help="effective date and time, e.g. 2026-12-01T00:00+07:00"
        )
        parser.add_argument("--summary", help="summary of changes, for languages whose file gives none")
        parser.add_argument("--editorial", action="store_true", help="an editorial change: no notice period")
        parser.add_argument(
            "--confirm-translation",
            action="append",
            default=[],
            metavar="ANCHOR",
            help="confirm this section of every translation against the authoritative text (repeatable; "
            '"" is the title and the opening text)',
        )
        parser.add_argument(
            "--confirm-translations",
            action="store_true",
            help="confirm every section of every translation that is not in step with the authoritative text",
        )

        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="the staff account the draft, its confirmations and its publication are recorded under "
            "(the version's admin history names it)",
        )

    def handle(self, *args, **options):
        # Command-line messages are in English, like the rest of the tooling.
        user = None
        if options["user"] is not None:
            user = get_user_model().objects.filter(username=options["user"], is_active=True, is_staff=True).first()
            if user is None:
                raise CommandError(f"--user {options['user']!r}: no active staff account has that username")
        try:
            with translation.override("en"):
                version = import_version(
                    options["files"],
                    slug=options["document"],
                    publish=options["publish"],
                    effective=options["effective"],
                    summary=options["summary"],
                    editorial=options["editorial"],
                    confirm_anchors=options["confirm_translation"],
                    confirm_all=options["confirm_translations"],
                    user=user,
                )
        except ImportProblem as exc:
            raise CommandError(str(exc))
        if version.number:
            self.stdout.write(f"Published {version.document.slug} version {version.number}.")
        else:
            self.stdout.write(f"Created a draft of {version.document.slug} (id {version.pk}).")
