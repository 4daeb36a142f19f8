"""`manage.py verify_versions`: check the legal record; non-zero exit on any problem."""

from django.core.management.base import BaseCommand, CommandError

from legal.verification import verify_record


class Command(BaseCommand):
    help = (
        "Check every published and withdrawn version: the SHA-256 of each text, its stored HTML and "
        "sections against a fresh rendering, contiguous numbers and the rules of time."
    )

    def handle(self, *args, **options):
        report = verify_record()
        for line in report.problems:
            self.stderr.write(line)
        if report.problems:
            raise CommandError(f"{len(report.problems)} problems in {report.versions} versions")
        self.stdout.write(
            f"All {report.texts} texts of {report.versions} versions match their SHA-256 and their rendering; "
            "numbers and dates keep the rules."
        )
