"""`manage.py send_webhooks`: deliver the signed webhook events that are due (cron, every minute).

Safe to run twice at once and to run again: each delivery is leased to one sender, and a
delivered event is never sent again. Failures are retried later with exponential backoff;
every attempt is logged (admin: Webhook deliveries).
"""

from django.core.management.base import BaseCommand, CommandError

from legal.webhook_delivery import send_due_webhooks


def positive(value):
    number = int(value)
    if not 0 < number <= 10_000:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Deliver the due webhook events (Standard Webhooks, signed), in order per endpoint, with retries."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=positive, default=None, help="Deliveries claimed per batch (1-10000).")

    def handle(self, *args, batch_size, **options):
        try:
            report = send_due_webhooks(batch_size=batch_size)
        except Exception as exc:  # the database is gone: one line and a non-zero exit, never a traceback
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise CommandError(f"could not read the webhook outbox: {type(exc).__name__}: {first_line}")
        self.stdout.write(
            f"Delivered {report.delivered}, will retry {report.retrying}, gave up on {report.failed}, "
            f"cancelled {report.cancelled}."
        )
