"""`manage.py backfill_evidence`: put versions published before the log existed into it. Idempotent."""

from django.core.management.base import BaseCommand, CommandError

from legal import pdf_record, transparency
from legal.models import LogLeaf, Timestamp
from legal.signing_keys import SigningKeyError


class Command(BaseCommand):
    help = (
        "Append to the transparency log every publication and withdrawal it lacks, sign the log's head, make "
        "the missing PDFs of record and queue RFC 3161 time-stamps (when TSA_URLS is set) for every text and head without one. Run once "
        "after deploying; running it again changes nothing."
    )

    def handle(self, *args, **options):
        try:
            appended = transparency.backfill()
        except SigningKeyError as error:
            raise CommandError(str(error))
        made, unmade = pdf_record.build_missing(limit=10_000)
        pending = Timestamp.objects.filter(status=Timestamp.Status.PENDING).count()
        self.stdout.write(
            f"Appended {appended} entries; the log holds {LogLeaf.objects.count()}. "
            f"{len(made)} PDFs of record made. {pending} time-stamps wait for `fetch_timestamps`."
        )
        if unmade:
            raise CommandError(f"{len(unmade)} PDFs of record could not be made; `fetch_timestamps` tries again")
