"""`manage.py verify_log`: check the transparency log against the database; non-zero exit on any problem."""

from django.core.management.base import BaseCommand, CommandError

from legal.models import LogLeaf, TreeHead
from legal.transparency import verify_log


class Command(BaseCommand):
    help = (
        "Check the transparency log: indexes without gaps, each leaf's hash and entry against the version in "
        "the database, every publication and withdrawal present, and each signed tree head's root and signature."
    )

    def handle(self, *args, **options):
        problems = verify_log()
        for line in problems:
            self.stderr.write(line)
        if problems:
            raise CommandError(f"{len(problems)} problems in the transparency log")
        self.stdout.write(
            f"The log's {LogLeaf.objects.count()} entries and {TreeHead.objects.count()} signed tree heads "
            "match the record."
        )
