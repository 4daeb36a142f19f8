"""`manage.py send_notifications`: send the pending notices of published versions (cron, every minute).

Safe to run twice at once and to run again: each notice is leased to one sender, and a
sent notice is never sent again. Failures are retried later with exponential backoff.
"""

from django.core.management.base import BaseCommand

from legal.outbox import send_due_notifications


class Command(BaseCommand):
    help = "Send the pending email notices of published versions, in batches, with retries."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None, help="Notices claimed per batch.")

    def handle(self, *args, batch_size, **options):
        report = send_due_notifications(batch_size=batch_size)
        self.stdout.write(
            f"Sent {report.sent}, will retry {report.retrying}, gave up on {report.failed}, "
            f"cancelled {report.cancelled}."
        )
