"""`manage.py fetch_timestamps`: the evidence worker, run from cron.

It makes the PDFs of record that do not exist yet, then asks the time-stamping authorities
for the queued stamps.
"""

from django.core.management.base import BaseCommand, CommandError

from legal import pdf_record, timestamping
from legal.models import Timestamp


class Command(BaseCommand):
    help = (
        "Make the missing PDFs of record, then fetch the RFC 3161 time-stamps that are due from the authorities in TSA_URLS. An authority that is "
        "down, slow or answers something invalid is asked again later (1, 2, 4, ... minutes, up to a day)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="at most this many stamps (TSA_BATCH_SIZE)")
        parser.add_argument(
            "--retry-failed", action="store_true", help="first put back the stamps that ran out of attempts"
        )

    def handle(self, *args, limit, retry_failed, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        if retry_failed:
            self.stdout.write(f"{timestamping.retry_failed()} failed time-stamps queued again.")
        made, unmade = pdf_record.build_missing(limit=limit or 20)
        if made or unmade:
            self.stdout.write(f"{len(made)} PDFs of record made, {len(unmade)} could not be made (see the log).")
        report = timestamping.fetch_due(limit=limit)
        for stamp in report.retried + report.failed:
            self.stderr.write(f"{stamp.tsa_url}: {stamp.last_error} (attempt {stamp.attempts})")
        pending = Timestamp.objects.filter(status=Timestamp.Status.PENDING).count()
        self.stdout.write(
            f"{len(report.granted)} granted, {len(report.retried)} to retry, {len(report.failed)} failed; "
            f"{pending} pending."
        )
        if report.failed:
            raise CommandError(
                f"{len(report.failed)} time-stamps ran out of attempts; `fetch_timestamps --retry-failed` tries again"
            )
