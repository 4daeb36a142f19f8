"""Each process's copy of a document's listed versions: the acceptance API's hot path.

Recording an acceptance and answering a status both ask which versions a document has and
which of them was in effect at an instant. Loading those versions cost more than the rest of
such a call together (`bench/acceptance_cpu.py`), yet they change only when a version is
published or withdrawn. So each process keeps, per document slug, the document and its
listed versions (published and withdrawn, only `version_fields()`), and
the callers answer from them with the models' own rules (`in_effect_among`,
`scheduled_among`), which give what the QuerySet methods give.

A copy is used only while it can be true:
- a save of a version or a document drops every copy of this process at once (`post_save`,
  inside the publish's transaction), so the process that publishes reads its own write;
- a publish or withdraw bumps the page-cache generation after it commits
  (`caching.bump_generation`), and a copy read under another generation is read again: every
  process sees the change on its next call;
- whatever the cache says, a copy is read again after `PAGE_CACHE_LOCAL_SECONDS`, so a publish
  that could not reach the cache (Redis down, or back with an old generation) is seen within
  that time, as the pages' per-process cache sees it. While the cache is unavailable every
  generation is new, and every call reads the versions from the database.

Which version is in effect at an instant is computed from the copy at each call, so a copy
never outlives a switch; and a new version takes effect no sooner than PUBLISH_LEAD_SECONDS
after it is published, far longer than any copy lives.
"""

import threading
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from . import clock
from .caching import current_generation
from .models import Document, DocumentVersion, language_codes

_copies: dict[str, "History"] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class History:
    """A document and its listed versions (published and withdrawn), by number, as read at `read_at`."""

    document: Document
    versions: list[DocumentVersion]
    generation: int
    read_at: float = field(compare=False)  # epoch seconds, by legal.clock

    @cached_property
    def published(self) -> list[DocumentVersion]:
        return [v for v in self.versions if v.is_published]


def version_fields() -> tuple[str, ...]:
    """The columns of a version that recording and the status read: no texts, renderings or authors.

    Loading a version costs Python time per column (the dates above all), so the other
    columns stay unread (a deferred column is still read, with a query, if code asks for it).
    """
    hashes = [f"body_sha256_{code}" for code in language_codes()]
    return ("document", "number", "status", "change_kind", "effective_at", "published_at", *hashes)


def history(slug: str) -> History | None:
    """The document `slug` and its listed versions, from this process's copy while it is true; None if no such document."""
    generation = current_generation()
    copy = _copies.get(slug)
    if copy is not None and copy.generation == generation and _fresh(copy):
        return copy
    document = Document.objects.filter(slug=slug).first()
    if document is None:
        return None
    copy = _read(document, generation)
    with _lock:
        _copies[slug] = copy
    return copy


def history_of(document: Document) -> History:
    """`document`'s listed versions: this process's copy while it is true, else read now."""
    copy = history(document.slug)
    if copy is not None and copy.document.pk == document.pk:
        return copy
    return _read(document, current_generation())  # its slug changed since `document` was read


def _fresh(copy):
    # A clock set back makes the copy stale too, rather than fresh for longer.
    return 0 <= clock.now().timestamp() - copy.read_at < settings.PAGE_CACHE_LOCAL_SECONDS


def _read(document, generation):
    started = clock.now().timestamp()  # before the read: the copy's age counts from then
    versions = list(
        DocumentVersion.objects.listed().filter(document=document).only(*version_fields()).order_by("number")
    )
    for version in versions:
        version.document = document  # the one read: no query for it
    return History(document, versions, generation, started)


def forget(**kwargs):
    """Drop every copy of this process (connected to the saves of versions and documents)."""
    with _lock:
        _copies.clear()


receiver(post_save, sender=DocumentVersion, dispatch_uid="legal.histories.version_saved")(forget)
receiver(post_save, sender=Document, dispatch_uid="legal.histories.document_saved")(forget)
