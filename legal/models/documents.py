"""Legal documents and their versions; a published version is a legal record.

Translated fields (titles, summaries, Markdown bodies and what is derived from them) are
registered in `translation.py`; this module stays bare of modeltranslation.
"""

import datetime
import functools
import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, models
from django.db.models import Case, Exists, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .. import clock
from ..rendering import Section, render_markdown
from ..rows import Lookup

# The permission `DocumentVersion.Meta.permissions` declares: publishing and withdrawing.
PUBLISH_PERMISSION = "legal.publish_documentversion"


class ProtectedVersionError(Exception):
    """Raised when code tries to change or delete a published or withdrawn version."""


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


class DocumentQuerySet(models.QuerySet):
    def in_force(self, at: datetime.datetime | None = None) -> "DocumentQuerySet":
        """Documents that have a version in effect at `at` (default now)."""
        in_effect = DocumentVersion.objects.filter(document=OuterRef("pk")).in_effect(at)
        return self.filter(Exists(in_effect))

    def with_published_versions(self):
        """Documents with at least one published version, in effect or scheduled."""
        return self.filter(Exists(DocumentVersion.objects.published().filter(document=OuterRef("pk"))))


class Document(models.Model):
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    authoritative_language = models.CharField(
        _("authoritative language"), max_length=8, choices=settings.LANGUAGES, default="vi"
    )
    notice_period_days = models.PositiveIntegerField(
        _("notice period (days)"),
        default=30,
        help_text=_("A material change must take effect at least this many days after it is published."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self):
        return self.title or self.slug

    def get_absolute_url(self):
        return reverse("legal:document", kwargs={"slug": self.slug})

    def delete(self, *args, **kwargs):
        if self.pk and self.versions.exists():
            raise ProtectedVersionError(_("A document that has versions cannot be deleted."))
        return super().delete(*args, **kwargs)


# What withdrawing a published version sets.
WITHDRAWAL_FIELDS = ("status", "withdrawn_at", "withdrawn_by", "withdrawal_reason", "withdrawal_reissue_planned")
# What may change of a version that left the draft state without changing the record: the
# time of the last save, and the link to the draft it was drafted from (set to NULL when
# that draft is deleted). Every other field is frozen (`frozen_field_names`).
ALWAYS_MUTABLE_FIELDS = ("updated_at", "based_on")


_UNSET = object()


def text_field_names() -> list[str]:
    """The typed text columns: titles, summaries and bodies in every language."""
    return [f"{base}_{code}" for base in ("title", "summary", "body") for code in language_codes()]


def text_and_rendering_field_names() -> list[str]:
    """The bodies and their HTML and sections, in every language: what a list of versions leaves out."""
    return [
        name
        for base in ("body", "body_html", "sections")
        for name in (base, *(f"{base}_{code}" for code in language_codes()))
    ]


def rendered_field_names() -> list[str]:
    """The columns `DocumentVersion.render()` derives from the bodies."""
    return [f"{base}_{code}" for base in ("body_html", "sections", "body_sha256") for code in language_codes()]


def normalise_text(value: str) -> str:
    """NFC with LF line endings: the one form in which text is stored and hashed."""
    return unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))


def text_sha256(text: str) -> str:
    """The hash of a text, wherever one is stored or compared: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def body_sha256(text: str) -> str:
    """The stored hash of a Markdown body: its `text_sha256`; '' for no text."""
    return text_sha256(text) if text else ""


def frozen_field_names() -> list[str]:
    """The fields that make up the legal record: once a version leaves the draft state they never change.

    Every concrete field but the status, the withdrawal fields and ALWAYS_MUTABLE_FIELDS, so
    a field added later is frozen by default. The QuerySet refuses to update them and the
    database triggers (legal/db_triggers.py) freeze their columns.
    """
    mutable = {*WITHDRAWAL_FIELDS, *ALWAYS_MUTABLE_FIELDS}
    return [field.name for field in DocumentVersion._meta.concrete_fields if field.name not in mutable]


def in_effect_among(versions: "Iterable[DocumentVersion]", at: datetime.datetime) -> "DocumentVersion | None":
    """`DocumentVersionQuerySet.in_effect()` for versions already loaded (no query)."""
    return max((v for v in versions if v.is_in_effect_at(at)), key=lambda v: v.effective_at, default=None)


def listed_version(document_id: int, number: int, fields: tuple[str, ...]) -> "DocumentVersion | None":
    """`DocumentVersion.objects.listed().filter(document=, number=).only(*fields).first()`.

    Recording an acceptance asks this on every call; building it with the ORM cost most of
    the call's Python time, so its SQL is built once per field list (legal/rows.py).
    """
    return _listed_version_lookup(tuple(fields)).first([document_id, number, DocumentVersion.Status.DRAFT])


@functools.cache
def _listed_version_lookup(fields):
    column = {
        name: connection.ops.quote_name(DocumentVersion._meta.get_field(name).column)
        for name in ("document", "number", "status")
    }
    where = f"{column['document']} = %s AND {column['number']} = %s AND {column['status']} <> %s"
    return Lookup(DocumentVersion, ["id", *fields], where=where)


def scheduled_among(versions: "Iterable[DocumentVersion]", at: datetime.datetime) -> "list[DocumentVersion]":
    """`DocumentVersionQuerySet.scheduled()` for versions already loaded, soonest first."""
    upcoming = (v for v in versions if v.status == DocumentVersion.Status.PUBLISHED and v.effective_at > at)
    return sorted(upcoming, key=lambda v: v.effective_at)


@dataclass(frozen=True)
class DayStretch:
    """One version's part of a day: from `start` (None: the day's start) until `end` (None: its end)."""

    version: "DocumentVersion"
    start: datetime.datetime | None
    end: datetime.datetime | None


class PublicState(models.TextChoices):
    """What a version is to the public at an instant; the one vocabulary of pages, API and emails."""

    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_EFFECT = "in_effect", _("In effect")
    SUPERSEDED = "superseded", _("Superseded")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class DocumentVersionQuerySet(models.QuerySet):
    """Every "which version" question, answered once.

    Versions of a document take effect in the order of their numbers (the publishing
    service refuses anything else), so "previous" and "next" are the neighbouring
    published numbers, and the version in effect at T is the published one with the
    latest `effective_at <= T`.
    """

    def published(self) -> "DocumentVersionQuerySet":
        """Versions the public may read: published, whether in effect, past or scheduled."""
        return self.filter(status=DocumentVersion.Status.PUBLISHED)

    def listed(self) -> "DocumentVersionQuerySet":
        """Versions that appear in a document's history: published and withdrawn."""
        return self.exclude(status=DocumentVersion.Status.DRAFT)

    def drafts(self) -> "DocumentVersionQuerySet":
        return self.filter(status=DocumentVersion.Status.DRAFT)

    def withdrawn(self) -> "DocumentVersionQuerySet":
        return self.filter(status=DocumentVersion.Status.WITHDRAWN)

    def in_effect(self, at: datetime.datetime | None = None) -> "DocumentVersionQuerySet":
        """The published version with the latest `effective_at <= at` (default: now).

        A queryset of at most one row, so it can be used as a subquery; `.first()` gives
        the version. A version scheduled for the future becomes current at that instant
        by this definition alone, with no job or cron.
        """
        at = clock.now() if at is None else at
        return self.published().filter(effective_at__lte=at).order_by("-effective_at")[:1]

    def scheduled(self, at: datetime.datetime | None = None) -> "DocumentVersionQuerySet":
        """Published versions that take effect after `at`, soonest first."""
        at = clock.now() if at is None else at
        return self.published().filter(effective_at__gt=at).order_by("effective_at")

    def applying_during(self, start: datetime.datetime, end: datetime.datetime) -> "DocumentVersionQuerySet":
        """The versions that applied at some instant of [start, end], in the order they applied.

        The one in effect at `start`, then each published version that took effect after
        `start` and no later than `end`.
        """
        first = self.in_effect(start).values("pk")
        return (
            self.published()
            .filter(Q(pk__in=first) | Q(effective_at__gt=start, effective_at__lte=end))
            .order_by("effective_at")
        )

    def day_stretches(self, day: datetime.date) -> list[DayStretch]:
        """[DayStretch] for each version that applied during `day` (site time zone), in order.

        Raises clock.DayOutOfRange for a day at the edge of the calendar.
        """
        start, end = clock.day_span(day)
        versions = list(self.applying_during(start, end).select_related("document"))
        return [
            DayStretch(
                version=version,
                start=version.effective_at if version.effective_at > start else None,
                end=versions[index + 1].effective_at if index + 1 < len(versions) else None,
            )
            for index, version in enumerate(versions)
        ]

    def before(self, version: "DocumentVersion") -> "DocumentVersionQuerySet":
        """Published versions of `version`'s document numbered below it, newest first."""
        queryset = self.published().filter(document=version.document_id)
        if version.number is not None:
            queryset = queryset.filter(number__lt=version.number)
        return queryset.order_by("-number")

    def after(self, version: "DocumentVersion") -> "DocumentVersionQuerySet":
        """Published versions of `version`'s document numbered above it, oldest first."""
        if version.number is None:
            return self.none()
        return self.published().filter(document=version.document_id, number__gt=version.number).order_by("number")

    def timemap(self) -> "DocumentVersionQuerySet":
        """Every published version in the order they take effect (numbers): RFC 7089's Mementos."""
        return self.published().order_by("number")

    def with_memento_neighbours(self) -> "DocumentVersionQuerySet":
        """Annotate the number and effective instant of the first, previous, next and last published versions.

        The links of a Memento (RFC 7089) in the same query as the page's versions.
        """
        published = DocumentVersion.objects.published().filter(document=OuterRef("document"))
        around = {
            "first": published.order_by("number"),
            "prev": published.filter(number__lt=OuterRef("number")).order_by("-number"),
            "next": published.filter(number__gt=OuterRef("number")).order_by("number"),
            "last": published.order_by("-number"),
        }
        annotations = {}
        for name, queryset in around.items():
            annotations[f"memento_{name}_number"] = Subquery(queryset.values("number")[:1])
            annotations[f"memento_{name}_at"] = Subquery(queryset.values("effective_at")[:1])
        return self.annotate(**annotations)

    def latest_published(self) -> "DocumentVersion | None":
        """The published version with the highest number (in effect or scheduled)."""
        return self.published().order_by("-number").first()

    def without_texts(self) -> "DocumentVersionQuerySet":
        """Leave the bodies and their renderings unread: for lists and answers that show no text."""
        return self.defer(*text_and_rendering_field_names())

    def with_neighbours(self) -> "DocumentVersionQuerySet":
        """Annotate `previous_number` and `next_number`: the neighbouring published numbers."""
        published = DocumentVersion.objects.published().filter(document=OuterRef("document"))
        return self.annotate(
            previous_number=Subquery(
                published.filter(number__lt=OuterRef("number")).order_by("-number").values("number")[:1]
            ),
            next_number=Subquery(
                published.filter(number__gt=OuterRef("number")).order_by("number").values("number")[:1]
            ),
        )

    def with_public_state(self, at: datetime.datetime | None = None) -> "DocumentVersionQuerySet":
        """Annotate `state` (a PublicState value) for each row at `at` (default now)."""
        at = clock.now() if at is None else at
        current = DocumentVersion.objects.filter(document=OuterRef("document")).in_effect(at).values("pk")
        return self.annotate(
            state=Case(
                When(status=DocumentVersion.Status.DRAFT, then=Value(PublicState.DRAFT)),
                When(status=DocumentVersion.Status.WITHDRAWN, then=Value(PublicState.WITHDRAWN)),
                When(effective_at__gt=at, then=Value(PublicState.SCHEDULED)),
                When(pk=Subquery(current), then=Value(PublicState.IN_EFFECT)),
                default=Value(PublicState.SUPERSEDED),
                output_field=models.CharField(),
            )
        )

    def with_latest_change(self, versions: "DocumentVersionQuerySet") -> "DocumentVersionQuerySet":
        """Annotate `last_published` and `last_withdrawn`: when one of `versions` last was.

        Each is one lookup in the `version_changes` index, however many versions there are;
        `DocumentVersion.latest_change()` reads them.
        """
        listed = versions.listed()
        return self.annotate(
            last_published=Subquery(listed.order_by("-published_at").values("published_at")[:1]),
            last_withdrawn=Subquery(
                listed.exclude(withdrawn_at=None).order_by("-withdrawn_at").values("withdrawn_at")[:1]
            ),
        )

    def in_state(self, state: str, at: datetime.datetime | None = None) -> "DocumentVersionQuerySet":
        """Versions whose public state at `at` is `state`."""
        return self.with_public_state(at).filter(state=state)

    def _protected(self):
        return self.exclude(status=DocumentVersion.Status.DRAFT)

    def update(self, **kwargs):
        frozen = set(kwargs) & set(frozen_field_names()) | ({"status"} & set(kwargs))
        if frozen and self._protected().exists():
            raise ProtectedVersionError(_("Published and withdrawn versions cannot be changed."))
        return super().update(**kwargs)

    update.alters_data = True

    def delete(self):
        if self._protected().exists():
            raise ProtectedVersionError(_("Published and withdrawn versions cannot be deleted."))
        return super().delete()

    delete.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        pks = [obj.pk for obj in objs if obj.pk is not None]
        if pks and self.model.objects.filter(pk__in=pks)._protected().exists():
            raise ProtectedVersionError(_("Published and withdrawn versions cannot be changed."))
        return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True


class DocumentVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class ChangeKind(models.TextChoices):
        MATERIAL = "material", _("Material change")
        EDITORIAL = "editorial", _("Editorial change (typo, formatting)")

    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="versions", verbose_name=_("document")
    )
    number = models.PositiveIntegerField(
        _("number"), null=True, blank=True, editable=False, help_text=_("Assigned when published.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False)
    change_kind = models.CharField(
        _("kind of change"), max_length=16, choices=ChangeKind.choices, default=ChangeKind.MATERIAL
    )
    effective_at = models.DateTimeField(_("effective at"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    summary = models.TextField(_("summary of changes"), blank=True)
    body = models.TextField(_("text (Markdown)"), blank=True)
    body_html = models.TextField(_("rendered HTML"), blank=True, editable=False)
    sections = models.JSONField(_("sections"), default=list, blank=True, editable=False)
    body_sha256 = models.CharField(_("SHA-256 of the text"), max_length=64, blank=True, editable=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("updated by"),
    )  # fmt: skip
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("published by"),
    )  # fmt: skip
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("withdrawn by"),
    )  # fmt: skip
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True, editable=False)
    withdrawal_reissue_planned = models.BooleanField(_("to be re-issued"), default=False, editable=False)
    # Where a draft's text came from: "new draft from version N" sets based_on = N; a
    # re-issue of a withdrawn version N rebased on M sets reissue_of = N and based_on = M.
    based_on = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("drafted from"),
    )  # fmt: skip
    reissue_of = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, editable=False,
        related_name="reissues", verbose_name=_("re-issue of"),
    )  # fmt: skip
    # The instant the notice period of this version counts from: its publication, or the
    # publication of the withdrawn version it re-issues unchanged but for the urgent edits.
    notice_from = models.DateTimeField(_("notice given from"), null=True, blank=True, editable=False)

    objects = DocumentVersionQuerySet.as_manager()

    class Meta:
        ordering = ["document", "-number", "-created_at"]
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        permissions = [("publish_documentversion", _("Can publish and withdraw document versions"))]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="version_number_unique"),
            # At most one published version per instant, so "the version in effect" is unique.
            models.UniqueConstraint(
                fields=["document", "effective_at"],
                condition=Q(status="published"),
                name="one_version_per_effective_instant",
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(number__isnull=False, effective_at__isnull=False, published_at__isnull=False),
                name="published_version_is_complete",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "withdrawn"]), name="version_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["document", "status", "effective_at"], name="version_lookup"),
            # Covering indexes, so that 10,000 versions are sorted and dated without reading their rows:
            # on SQLite the dates sit behind the texts in each row. The admin's list order (drafts
            # have no number) and the API's Last-Modified.
            models.Index(fields=["document", "number", "created_at", "id"], name="version_list_order"),
            models.Index(fields=["document", "status", "published_at", "withdrawn_at"], name="version_changes"),
        ]

    def __str__(self):
        if self.number:
            return _("%(document)s, version %(number)s") % {"document": self.document, "number": self.number}
        return _("%(document)s, draft #%(pk)s") % {"document": self.document, "pk": self.pk or "new"}

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if self.pk:
            self._check_not_frozen(update_fields)
        self.normalise_text()
        if update_fields is None or any(name.startswith(("body", "title")) for name in update_fields):
            self.render()
            if update_fields is not None:
                # Whatever path saves the text, the bodies and their HTML, sections and hashes
                # are saved together, so the stored HTML is always that of the stored Markdown.
                bodies = [f"body_{code}" for code in language_codes()]
                kwargs["update_fields"] = set(update_fields) | set(bodies) | set(rendered_field_names())
        super().save(*args, **kwargs)

    save.alters_data = True

    def get_absolute_url(self):
        if self.number is None:
            return reverse("legal:document", kwargs={"slug": self.document.slug})
        return reverse("legal:version", kwargs={"slug": self.document.slug, "number": self.number})

    def delete(self, *args, **kwargs):
        stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
        if stored not in (None, self.Status.DRAFT):
            raise ProtectedVersionError(_("Published and withdrawn versions cannot be deleted."))
        return super().delete(*args, **kwargs)

    # Rendering -------------------------------------------------------------------------

    def normalise_text(self):
        """Store exactly what was typed: NFC, and LF line endings (browsers submit CRLF)."""
        for name in text_field_names():
            value = getattr(self, name, None)
            if value:
                setattr(self, name, normalise_text(value))

    def render(self):
        """Render every language's Markdown to stored HTML, sections and SHA-256.

        The authoritative language is rendered first: its headings name the sections and
        every translation's headings take the anchor at the same outline position.
        """
        authoritative = self.document.authoritative_language
        order = [authoritative] + [code for code in language_codes() if code != authoritative]
        section_ids = None
        for code in order:
            text = getattr(self, f"body_{code}") or ""
            with translation.override(code):
                label = str(_("Link to this section"))
            rendered = render_markdown(text, section_ids=section_ids, permalink_label=label)
            if code == authoritative:
                section_ids = rendered.section_ids
            setattr(self, f"body_html_{code}", rendered.html if text else "")
            setattr(self, f"sections_{code}", [[s.level, s.id, s.text] for s in rendered.sections])
            setattr(self, f"body_sha256_{code}", body_sha256(text))

    # Reading ---------------------------------------------------------------------------

    def has_language(self, code: str) -> bool:
        # A list that deferred the texts (`without_texts()`) asks their SHA-256, saved with every text.
        text = f"body_sha256_{code}" if f"body_{code}" in self.get_deferred_fields() else f"body_{code}"
        return bool(getattr(self, f"title_{code}", "") and getattr(self, text, ""))

    @property
    def complete_languages(self) -> list[str]:
        return [code for code in language_codes() if self.has_language(code)]

    def text_for(self, code: str) -> tuple[str, str, str, list[Section]]:
        """The text shown to a reader of `code`: that language, or the authoritative one.

        Returns (language actually shown, title, html, sections). No silent fallback: the
        caller compares the language shown with the one asked for and says so on the page.
        """
        shown = code if self.has_language(code) else self.document.authoritative_language
        sections = [Section(*item) for item in getattr(self, f"sections_{shown}") or []]
        return shown, getattr(self, f"title_{shown}"), getattr(self, f"body_html_{shown}"), sections

    def is_in_effect_at(self, at: datetime.datetime) -> bool:
        """Published and effective by `at` (it may have been superseded since)."""
        return self.status == self.Status.PUBLISHED and self.effective_at is not None and self.effective_at <= at

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    @property
    def is_withdrawn(self):
        return self.status == self.Status.WITHDRAWN

    def previous(self) -> "DocumentVersion | None":
        """The published version this one follows: the highest published number below it.

        For a draft, the latest published version (the one it would follow if published now).
        """
        cached = self.__dict__.get("_previous", _UNSET)
        if cached is _UNSET:
            cached = self.__dict__["_previous"] = DocumentVersion.objects.before(self).first()
        return cached

    def next(self) -> "DocumentVersion | None":
        """The published version that follows this one, or None."""
        cached = self.__dict__.get("_next", _UNSET)
        if cached is _UNSET:
            cached = self.__dict__["_next"] = DocumentVersion.objects.after(self).first()
        return cached

    def is_scheduled_at(self, at: datetime.datetime) -> bool:
        return self.status == self.Status.PUBLISHED and self.effective_at is not None and self.effective_at > at

    def public_state(self, at: datetime.datetime | None = None) -> PublicState:
        """This version's PublicState at `at` (default now).

        Uses the `state` annotation of `with_public_state()` when the row has one.
        """
        if at is None and "state" in self.__dict__:
            return PublicState(self.__dict__["state"])
        at = clock.now() if at is None else at
        if self.status == self.Status.DRAFT:
            return PublicState.DRAFT
        if self.status == self.Status.WITHDRAWN:
            return PublicState.WITHDRAWN
        if self.effective_at > at:
            return PublicState.SCHEDULED
        following = self.next()
        if following is not None and following.effective_at <= at:
            return PublicState.SUPERSEDED
        return PublicState.IN_EFFECT

    def superseded_at(self) -> datetime.datetime | None:
        """The instant this version stopped applying (the next one took effect), or None."""
        following = self.next()
        return following.effective_at if following is not None else None

    def published_since_drafted(self) -> "DocumentVersion | None":
        """For a draft made from a version, the latest version published after that one, or None.

        Publishing the draft as it is would undo that version's changes: it needs a rebase.
        """
        origin = self.based_on
        if not self.is_draft or origin is None or not origin.is_published:
            return None
        latest = self.document.versions.latest_published()
        return latest if latest is not None and latest.number > origin.number else None

    def memento_neighbours(self) -> dict[str, tuple[int, datetime.datetime] | None]:
        """{"first", "prev", "next", "last"}: (number, effective_at) of those published versions, or None.

        From `with_memento_neighbours()` when the row was loaded with it, else one query.
        """
        row = self
        if "memento_first_number" not in self.__dict__:
            row = DocumentVersion.objects.with_memento_neighbours().get(pk=self.pk)
        found = {}
        for name in ("first", "prev", "next", "last"):
            number = getattr(row, f"memento_{name}_number")
            found[name] = (number, getattr(row, f"memento_{name}_at")) if number is not None else None
        return found

    def latest_change(self) -> datetime.datetime | None:
        """The last publication or withdrawal among the versions of `with_latest_change()`."""
        return max(filter(None, (self.__dict__["last_published"], self.__dict__["last_withdrawn"])), default=None)

    def neighbour_numbers(self) -> tuple[int | None, int | None]:
        """(previous, next) published numbers, from `with_neighbours()` when annotated."""
        if "previous_number" in self.__dict__:
            return self.__dict__["previous_number"], self.__dict__["next_number"]
        previous, following = self.previous(), self.next()
        return (previous.number if previous else None, following.number if following else None)

    # Guards ----------------------------------------------------------------------------

    def _check_not_frozen(self, update_fields):
        stored = type(self).objects.filter(pk=self.pk).values("status").first()
        if stored is None or stored["status"] == self.Status.DRAFT:
            return
        # The only change a published version may undergo is being withdrawn.
        mutable = {"updated_at"}
        if stored["status"] == self.Status.PUBLISHED and self.status == self.Status.WITHDRAWN:
            mutable |= set(WITHDRAWAL_FIELDS)
        if update_fields is None or not set(update_fields) <= mutable:
            raise ProtectedVersionError(_("Published and withdrawn versions cannot be changed."))
