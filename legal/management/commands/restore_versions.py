"""`manage.py restore_versions FILE`: the one way to put a backed-up record into a new database."""

import hashlib
import logging
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from legal import db_triggers
from legal.models import Document, DocumentVersion
from legal.translation_sync import start_in_step
from legal.verification import verify_record

logger = logging.getLogger("legal.records")


class Command(BaseCommand):
    help = (
        "Load a dumpdata backup of legal.document, legal.documentversion and legal.sectionconfirmation "
        "(and the users it names) "
        "into a database that holds no document yet, then verify it. Nothing is written on any error."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="a file written by dumpdata, e.g. backup.json")

    def handle(self, *args, backup, **options):
        path = Path(backup)
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}")
        documents, versions = Document.objects.count(), DocumentVersion.objects.count()
        if documents or versions:
            raise CommandError(
                f"the database already holds {documents} documents and {versions} versions; "
                "restore only into a freshly migrated database"
            )
        try:
            # Published rows may be inserted only under the publishing service's mark.
            with transaction.atomic():
                with db_triggers.publishing():
                    call_command("loaddata", str(path), verbosity=0)
                    # A backup from before the translation ledger starts in step, as migration 0010_translation_ledger did.
                    start_in_step(
                        DocumentVersion.objects.listed()
                        .filter(section_confirmations__isnull=True)
                        .select_related("document")
                    )
                report = verify_record()
                if not report.versions:
                    raise CommandError(f"{path} holds no published or withdrawn version")
                if report.problems:
                    raise CommandError(f"{path} fails verification: {report.problems[0]}")
        except DatabaseError as exc:
            raise CommandError(f"{path}: {str(exc).strip().splitlines()[0]}")
        message = f"Restored {report.versions} versions of {Document.objects.count()} documents from {path} (SHA-256 {digest})."
        logger.warning(message)
        self.stdout.write(message)
