"""`manage.py export_acceptances ACCOUNT`: one account's acceptance records, as evidence."""

import json

from django.core.management.base import BaseCommand, CommandError

from legal import clock
from legal.acceptance_api import acceptance_json, csv_lines
from legal.acceptance_schemas import ACCOUNT
from legal.api import _iso, history_urls
from legal.models import Acceptance, Document
from legal.receipts import ReceiptKeyError, jwks


class Command(BaseCommand):
    help = (
        "Print every acceptance record of ACCOUNT (oldest first) with its receipt, the SHA-256 of the text "
        "accepted and the version's permanent URL, as JSON (with the public keys that verify the receipts) or CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("account", help="the product's account id")
        parser.add_argument("--document", default="terms-of-service", help="the document's slug")
        parser.add_argument("--format", dest="output_format", choices=["json", "csv"], default="json")
        parser.add_argument("--output", help="write to this file instead of standard output")

    def handle(self, *args, account, document, output_format, output, **options):
        if not ACCOUNT.fullmatch(account):
            raise CommandError("an account is 1 to 128 letters, digits or . _ ~ : @ -")
        found = Document.objects.filter(slug=document).first()
        if found is None:
            raise CommandError(f"no document has the slug {document!r}")
        urls = history_urls(found)
        rows = Acceptance.objects.of_account(found, account).select_related("document").order_by("recorded_at", "pk")
        records = [acceptance_json(acceptance, urls) for acceptance in rows]
        if output_format == "csv":
            text = "".join(csv_lines(records))
        else:
            try:
                keys = jwks()
            except ReceiptKeyError:
                keys = None  # the records say `"receipt": null` too; the error is logged
            evidence = {
                "document": found.slug,
                "account": account,
                "exported_at": _iso(clock.now()),
                "records": records,
                "jwks": keys,
            }
            text = json.dumps(evidence, ensure_ascii=False, indent=2) + "\n"
        if output:
            try:
                with open(output, "w", encoding="utf-8", newline="") as handle:
                    handle.write(text)
            except OSError as exc:
                raise CommandError(f"{output}: {exc.strerror}")
            self.stdout.write(f"Exported {len(records)} records of {account} to {output}.")
        else:
            self.stdout.write(text, ending="")
