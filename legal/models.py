"""Legal documents and their versions; a published version is a legal record.

Translated fields (titles, summaries, Markdown bodies and what is derived from them) are
registered in `translation.py`; this module stays bare of modeltranslation.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from . import clock
from .rendering import Section, render_markdown


class ProtectedVersionError(Exception):
    """Raised when code tries to change or delete a published or withdrawn version."""


def language_codes():
    return [code for code, _name in settings.LANGUAGES]


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


# Columns that make up the legal record: once a version leaves the draft state they never
# change (the admin, the model, the QuerySet and database triggers all refuse).
FROZEN_BASE_FIELDS = (
    "document", "number", "effective_at", "change_kind", "published_at", "published_by", "notice_from", "reissue_of",
)  # fmt: skip
TRANSLATED_CONTENT_FIELDS = ("title", "summary", "body", "body_sha256")
TRANSLATED_RENDERED_FIELDS = ("body_html", "sections")
# What withdrawing a published version sets; nothing else of it ever changes but `updated_at`.
WITHDRAWAL_FIELDS = ("status", "withdrawn_at", "withdrawn_by", "withdrawal_reason", "withdrawal_reissue_planned")


def frozen_field_names():
    names = list(FROZEN_BASE_FIELDS)
    for base in TRANSLATED_CONTENT_FIELDS + TRANSLATED_RENDERED_FIELDS:
        names.append(base)
        names.extend(f"{base}_{code}" for code in language_codes())
    return names


def in_effect_among(versions, at):
    """`DocumentVersionQuerySet.in_effect()` for versions already loaded (no query)."""
    return max((v for v in versions if v.is_in_effect_at(at)), key=lambda v: v.effective_at, default=None)


def scheduled_among(versions, at):
    """`DocumentVersionQuerySet.scheduled()` for versions already loaded, soonest first."""
    upcoming = (v for v in versions if v.status == DocumentVersion.Status.PUBLISHED and v.effective_at > at)
    return sorted(upcoming, key=lambda v: v.effective_at)


class DocumentVersionQuerySet(models.QuerySet):
    def published(self):
        """Versions the public may read: published, whether in effect, past or scheduled."""
        return self.filter(status=DocumentVersion.Status.PUBLISHED)

    def listed(self):
        """Versions that appear in a document's history: published and withdrawn."""
        return self.exclude(status=DocumentVersion.Status.DRAFT)

    def in_effect(self, at=None):
        """The published version with the latest `effective_at <= at` (default: now).

        A queryset of at most one row, so it can be used as a subquery; `.first()` gives
        the version. A version scheduled for the future becomes current at that instant
        by this definition alone, with no job or cron.
        """
        at = clock.now() if at is None else at
        return self.published().filter(effective_at__lte=at).order_by("-effective_at")[:1]

    def scheduled(self, at=None):
        at = clock.now() if at is None else at
        return self.published().filter(effective_at__gt=at).order_by("effective_at")

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
        indexes = [models.Index(fields=["document", "status", "effective_at"], name="version_lookup")]

    def __str__(self):
        if self.number:
            return _("%(document)s, version %(number)s") % {"document": self.document, "number": self.number}
        return _("%(document)s, draft #%(pk)s") % {"document": self.document, "pk": self.pk or "new"}

    def save(self, *args, **kwargs):
        if self.pk:
            self._check_not_frozen(kwargs.get("update_fields"))
        if kwargs.get("update_fields") is None or set(kwargs["update_fields"]) & {"body", "title"}:
            self.render()
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
            setattr(self, f"body_sha256_{code}", hashlib.sha256(text.encode("utf-8")).hexdigest() if text else "")

    # Reading ---------------------------------------------------------------------------

    def has_language(self, code):
        return bool(getattr(self, f"title_{code}", "") and getattr(self, f"body_{code}", ""))

    @property
    def complete_languages(self):
        return [code for code in language_codes() if self.has_language(code)]

    def text_for(self, code):
        """The text shown to a reader of `code`: that language, or the authoritative one.

        Returns (language actually shown, title, html, sections). No silent fallback: the
        caller compares the language shown with the one asked for and says so on the page.
        """
        shown = code if self.has_language(code) else self.document.authoritative_language
        sections = [Section(*item) for item in getattr(self, f"sections_{shown}") or []]
        return shown, getattr(self, f"title_{shown}"), getattr(self, f"body_html_{shown}"), sections

    def is_in_effect_at(self, at):
        return self.status == self.Status.PUBLISHED and self.effective_at is not None and self.effective_at <= at

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


# Subscriptions and their outbox live in their own module; importing it registers them with the app.
from .subscriptions import Notification, Subscription  # noqa: E402, F401
