"""Checks that the stored legal record is what publishing made it (used by `verify_versions`).

Each published or withdrawn version's texts must match their SHA-256, and its stored HTML
and sections must be what the renderer makes of its text today, so a page changed behind
the database's back is found; its translation ledger must confirm every translated section
against its authoritative text. The rules of time that the publishing service applies with
its own clock are checked afterwards here, as the database cannot see that clock.
"""

import copy
import hashlib
from dataclasses import dataclass, field

from . import db_triggers
from .models import DocumentVersion, language_codes
from .translation_sync import section_statuses


@dataclass
class Report:
    versions: int = 0
    texts: int = 0
    problems: list = field(default_factory=list)


def _text_problems(version, name):
    problems = []
    rendered = copy.copy(version)
    rendered.render()
    for code in language_codes():
        text = getattr(version, f"body_{code}") or ""
        stored = getattr(version, f"body_sha256_{code}") or ""
        actual = hashlib.sha256(text.encode("utf-8")).hexdigest() if text else ""
        if actual != stored:
            problems.append(f"{name} {code}: stored {stored or '-'}, text {actual or '-'}")
        for column in (f"body_html_{code}", f"sections_{code}"):
            if getattr(version, column) != getattr(rendered, column):
                problems.append(f"{name} {column}: differs from the rendering of its text")
    return problems


def _ledger_problems(version, name):
    """Translated sections whose ledger does not confirm them against this version's authoritative text."""
    return [
        f"{name} {status.language} #{status.anchor}: translation {status.state.value.replace('_', ' ')}, "
        "not confirmed against this version's authoritative section"
        for status in section_statuses(version)
        if not status.in_step
    ]


def _time_problems(slug, versions):
    """The numbering and time rules over one document's versions, in number order."""
    problems = []
    numbers = [version.number for version in versions]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"{slug}: version numbers are {numbers}, not 1 to {len(numbers)} without gaps")
    latest = None
    for version in versions:
        name = f"{slug} v{version.number}"
        if version.number != 1 and version.effective_at < version.published_at:
            problems.append(f"{name}: takes effect before it was published")
        if version.is_withdrawn:
            if version.withdrawn_at is None:
                problems.append(f"{name}: withdrawn without a time of withdrawal")
            elif not version.published_at <= version.withdrawn_at < version.effective_at:
                problems.append(f"{name}: withdrawn outside the time between its publication and its effective date")
            continue
        if latest is not None and version.effective_at <= latest.effective_at:
            problems.append(f"{name}: takes effect no later than v{latest.number}, out of number order")
        latest = version
    return problems


def verify_record():
    """A Report of every published and withdrawn version, with one line per problem."""
    report = Report()
    versions = (
        DocumentVersion.objects.listed()
        .select_related("document")
        .prefetch_related("section_confirmations")
        .order_by("document__slug", "number")
    )
    by_document = {}
    for version in versions.iterator(chunk_size=100):
        report.versions += 1
        report.texts += len(language_codes())
        name = f"{version.document.slug} v{version.number}"
        # A page changed behind the database's back is named once, by its text, not again by its sections.
        report.problems.extend(_text_problems(version, name) or _ledger_problems(version, name))
        by_document.setdefault(version.document.slug, []).append(version)
    for slug, listed in by_document.items():
        report.problems.extend(_time_problems(slug, listed))
    if db_triggers.marker_left_set():
        report.problems.append("the publishing marker is set outside the publishing service")
    return report
