"""`manage.py export_versions DIR`: every published version as Markdown, with a manifest."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from legal.models import DocumentVersion, language_codes


class Command(BaseCommand):
    help = "Write every published or withdrawn version as DIR/<slug>/v<n>.<lang>.md plus DIR/manifest.json."

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        root = Path(directory)
        if root.exists() and not root.is_dir():
            raise CommandError(f"{root} exists and is not a directory")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"{root}: {exc.strerror}")
        manifest = []
        versions = DocumentVersion.objects.listed().select_related("document").order_by("document__slug", "number")
        for version in versions:
            folder = root / version.document.slug
            folder.mkdir(exist_ok=True)
            for code in language_codes():
                text = getattr(version, f"body_{code}") or ""
                if not text:
                    continue
                name = f"{version.document.slug}/v{version.number}.{code}.md"
                (root / name).write_bytes(text.encode("utf-8"))
                manifest.append(
                    {
                        "document": version.document.slug,
                        "number": version.number,
                        "status": version.status,
                        "language": code,
                        "effective_at": version.effective_at.isoformat(),
                        "file": name,
                        "sha256": getattr(version, f"body_sha256_{code}"),
                    }
                )
        (root / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        self.stdout.write(f"Exported {len(manifest)} texts to {root}.")
