"""Create a version from one Markdown file per language (used by `import_version`).

Reads and checks every file before it writes anything; the writes run in one transaction,
so bad input leaves the database exactly as it was.
"""

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from . import clock
from .models import Document, DocumentVersion, SectionConfirmation, language_codes
from .publishing import PublishingError, publish_version
from .rendering import FrontMatterError, RenderLimitError, render_markdown, split_front_matter
from .translation_sync import LedgerError, confirm_sections, inherit_ledger

BUNDLED_DIR = Path(__file__).resolve().parent / "content"
BUNDLED_SLUG = "terms-of-service"
BUNDLED_EFFECTIVE = "2026-11-24T00:00+07:00"


class ImportProblem(Exception):
    """One-line description of why the input cannot be imported."""


@dataclass
class SourceFile:
    language: str
    title: str
    summary: str
    effective: datetime.datetime | None
    body: str


def parse_datetime(value, *, what="date"):
    """An aware datetime from ISO 8601 text (or a YAML timestamp); naive means site time."""
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, datetime.date):
        parsed = datetime.datetime.combine(value, datetime.time())
    else:
        parsed = None
    try:
        return clock.site_instant(parsed) if parsed else clock.parse_instant(str(value).strip())
    except clock.InstantOutOfRange:  # the database stores UTC: year 1 at +07:00 is year 0 there
        raise ImportProblem(f"{what} {value!s} is out of range") from None
    except clock.InvalidInstant:
        raise ImportProblem(f"{what} {value!r} is not an ISO 8601 date and time, e.g. 2026-12-01T00:00+07:00")


def read_source(path):
    path = Path(path)
    name = path.name
    if not name.endswith(".md") or name.count(".") < 2:
        raise ImportProblem(f"{name}: the file name must end in .<language>.md, e.g. terms.vi.md")
    language = name[: -len(".md")].rsplit(".", 1)[1]
    if language not in language_codes():
        raise ImportProblem(f"{name}: unknown language {language!r}; expected one of {', '.join(language_codes())}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportProblem(f"{path}: no such file")
    except IsADirectoryError:
        raise ImportProblem(f"{path}: is a directory, not a file")
    except UnicodeDecodeError:
        raise ImportProblem(f"{name}: not UTF-8 text")
    except OSError as exc:
        raise ImportProblem(f"{path}: {exc.strerror}")
    if "\x00" in text:  # PostgreSQL cannot store it; refused on every database alike
        raise ImportProblem(f"{name}: contains a NUL character")
    try:
        metadata, body = split_front_matter(text)
    except FrontMatterError as exc:
        raise ImportProblem(f"{name}: {exc}")
    unknown = set(metadata) - {"title", "summary", "effective"}
    if unknown:
        raise ImportProblem(f"{name}: unknown front matter key(s): {', '.join(sorted(map(str, unknown)))}")
    for key in ("title", "summary"):
        if key in metadata and not isinstance(metadata[key], str):
            raise ImportProblem(f"{name}: front matter {key!r} must be text")
    if not body.strip():
        raise ImportProblem(f"{name}: the text is empty")
    effective = None
    if metadata.get("effective") is not None:
        effective = parse_datetime(metadata["effective"], what=f"{name}: effective")
    try:
        heading_title = render_markdown(body).title
    except RenderLimitError as exc:
        raise ImportProblem(f"{name}: {exc}") from None
    return SourceFile(
        language=language,
        title=(heading_title or metadata.get("title") or "").strip(),
        summary=(metadata.get("summary") or "").strip(),
        effective=effective,
        body=body,
    )


def import_version(
    paths,
    *,
    slug,
    publish=False,
    effective=None,
    summary=None,
    editorial=False,
    user=None,
    confirm_anchors=(),
    confirm_all=False,
):
    """Create a draft (and publish it with `publish`) from `paths`; returns the version.

    The draft inherits the translation ledger of the latest published version, so only the
    sections whose authoritative text changed need confirming: `confirm_anchors` confirms
    the named sections of every translation, `confirm_all` every section not in step, each
    recorded as confirmed by the command (and, with a staff `user`, in the version's admin
    history under that account).
    """
    if slug != slugify(slug) or not slug:
        raise ImportProblem(f"{slug!r} is not a valid document slug (lowercase letters, digits and hyphens)")
    if "\x00" in (summary or ""):
        raise ImportProblem("--summary contains a NUL character")
    sources = [read_source(path) for path in paths]
    if not sources:
        raise ImportProblem("no file given")
    seen = [source.language for source in sources]
    duplicated = {code for code in seen if seen.count(code) > 1}
    if duplicated:
        raise ImportProblem(f"more than one file for language {', '.join(sorted(duplicated))}")
    if effective is not None:
        effective = parse_datetime(effective, what="--effective")
    else:
        dates = {source.effective for source in sources if source.effective is not None}
        if len(dates) > 1:
            raise ImportProblem("the files give different effective dates")
        effective = dates.pop() if dates else None
    for source in sources:
        if not source.title:
            raise ImportProblem(f"{source.language}: no title (give a # heading or a title: in the front matter)")

    with transaction.atomic():
        document = Document.objects.filter(slug=slug).first()
        if document is None:
            document = Document(slug=slug, authoritative_language=settings.LANGUAGE_CODE)
            for source in sources:
                setattr(document, f"title_{source.language}", source.title)
            document.save()
        version = DocumentVersion(
            document=document,
            effective_at=effective,
            change_kind=DocumentVersion.ChangeKind.EDITORIAL if editorial else DocumentVersion.ChangeKind.MATERIAL,
            created_by=user,
            updated_by=user,
        )
        for source in sources:
            setattr(version, f"title_{source.language}", source.title)
            setattr(version, f"summary_{source.language}", source.summary or (summary or "").strip())
            setattr(version, f"body_{source.language}", source.body)
        version.save()
        inherit_ledger(version, document.versions.latest_published())
        try:
            if confirm_anchors:
                confirm_sections(
                    version, anchors=list(confirm_anchors), method=SectionConfirmation.Method.COMMAND, user=user
                )
            if confirm_all:
                confirm_sections(version, method=SectionConfirmation.Method.COMMAND, only_out_of_step=True, user=user)
        except LedgerError as exc:
            raise ImportProblem("cannot confirm the translation: " + " ".join(exc.problems))
        if publish:
            try:
                version = publish_version(version, user=user, editorial_confirmed=editorial)
            except PublishingError as exc:
                raise ImportProblem("cannot publish: " + " ".join(exc.problems))
    return version


def load_bundled_terms():
    """Load the bundled Terms as version 1 unless the database already has the document."""
    if Document.objects.filter(slug=BUNDLED_SLUG).exists():
        return None
    paths = [BUNDLED_DIR / f"{BUNDLED_SLUG}.{code}.md" for code in language_codes()]
    # The bundled English text is the translation of exactly the bundled Vietnamese text.
    return import_version(paths, slug=BUNDLED_SLUG, publish=True, effective=BUNDLED_EFFECTIVE, confirm_all=True)
