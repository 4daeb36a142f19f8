"""`manage.py verify_versions`: recompute every stored SHA-256; non-zero exit on a mismatch."""

import hashlib

from django.core.management.base import BaseCommand, CommandError

from legal.models import DocumentVersion, language_codes


class Command(BaseCommand):
    help = "Recompute the SHA-256 of every published and withdrawn version's text and compare."

    def handle(self, *args, **options):
        checked, mismatches = 0, []
        for version in DocumentVersion.objects.listed().select_related("document").order_by("document__slug", "number"):
            for code in language_codes():
                text = getattr(version, f"body_{code}") or ""
                stored = getattr(version, f"body_sha256_{code}") or ""
                actual = hashlib.sha256(text.encode("utf-8")).hexdigest() if text else ""
                checked += 1
                if actual != stored:
                    mismatches.append(
                        f"{version.document.slug} v{version.number} {code}: stored {stored or '-'}, text {actual or '-'}"
                    )
        for line in mismatches:
            self.stderr.write(line)
        if mismatches:
            raise CommandError(f"{len(mismatches)} of {checked} texts do not match their stored SHA-256")
        self.stdout.write(f"All {checked} texts match their stored SHA-256.")
