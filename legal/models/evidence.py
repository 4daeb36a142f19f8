"""Evidence records: the transparency log's leaves and signed tree heads, and RFC 3161 tokens.

The log (`LogLeaf`, `TreeHead`) is append-only: the model refuses changes and deletions,
and database triggers (`legal.log_triggers`) refuse them whatever code runs. Time-stamp
tokens are an outbox: a row is queued when its subject is recorded and filled in later by
`fetch_timestamps`, since the authority may be slow or down at publishing time.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .. import clock


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a record of the transparency log."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(_("The transparency log is append-only."))

    update.alters_data = True

    def delete(self):
        raise AppendOnlyError(_("The transparency log is append-only."))

    delete.alters_data = True


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(_("The transparency log is append-only."))
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    save.alters_data = True

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(_("The transparency log is append-only."))


class LogLeaf(AppendOnlyModel):
    """One entry of the log: the publication or withdrawal of one language of one version."""

    class Event(models.TextChoices):
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    leaf_index = models.PositiveBigIntegerField(_("index"), unique=True)
    version = models.ForeignKey(
        "legal.DocumentVersion", models.PROTECT, related_name="log_leaves", verbose_name=_("version")
    )
    language = models.CharField(_("language"), max_length=8)
    event = models.CharField(_("event"), max_length=16, choices=Event.choices)
    # The exact bytes hashed into the tree (UTF-8 of this text): RFC 8785 canonical JSON.
    entry = models.TextField(_("entry"))
    leaf_hash = models.CharField(_("leaf hash"), max_length=64)
    appended_at = models.DateTimeField(_("appended at"), default=clock.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["leaf_index"]
        verbose_name = _("log entry")
        verbose_name_plural = _("log entries")
        constraints = [
            models.UniqueConstraint(fields=["version", "language", "event"], name="one_log_leaf_per_event"),
        ]

    def __str__(self):
        return f"#{self.leaf_index} {self.event} {self.language}"


class TreeHead(AppendOnlyModel):
    """A signed tree head: the root of the first `tree_size` leaves, signed with the log's key."""

    tree_size = models.PositiveBigIntegerField(_("tree size"), unique=True)
    root_hash = models.CharField(_("root hash"), max_length=64)
    timestamp = models.BigIntegerField(_("time (milliseconds since 1970)"))
    key_id = models.CharField(_("key id"), max_length=64)
    signature = models.CharField(_("signature (base64)"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["tree_size"]
        verbose_name = _("signed tree head")
        verbose_name_plural = _("signed tree heads")

    def __str__(self):
        return f"{self.tree_size} {self.root_hash}"


class TimestampQuerySet(models.QuerySet):
    def granted_text(self, language):
        """The first granted time-stamp of `language`'s text (authorities in the order queued)."""
        return (
            self.filter(subject=Timestamp.Subject.TEXT, language=language, status=Timestamp.Status.GRANTED)
            .order_by("pk")
            .first()
        )


class Timestamp(models.Model):
    """An RFC 3161 time-stamp of one subject from one authority: queued, then fetched."""

    class Subject(models.TextChoices):
        TEXT = "text", _("Text of a version")
        TREE_HEAD = "tree_head", _("Signed tree head")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Granted")
        FAILED = "failed", _("Failed")

    subject = models.CharField(_("subject"), max_length=16, choices=Subject.choices)
    version = models.ForeignKey(
        "legal.DocumentVersion", models.PROTECT, null=True, blank=True, related_name="timestamps",
        verbose_name=_("version"),
    )  # fmt: skip
    language = models.CharField(_("language"), max_length=8, blank=True)
    tree_head = models.ForeignKey(
        TreeHead, models.PROTECT, null=True, blank=True, related_name="timestamps", verbose_name=_("tree head")
    )
    # SHA-256 of the stamped bytes (the Markdown, or the tree head's signed data), hex.
    digest = models.CharField(_("SHA-256 stamped"), max_length=64)
    tsa_url = models.CharField(_("time-stamping authority"), max_length=500)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    response = models.BinaryField(_("time-stamp response (DER)"), null=True, blank=True)
    gen_time = models.DateTimeField(_("time stamped"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=clock.now)
    leased_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    objects = TimestampQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("time-stamp")
        verbose_name_plural = _("time-stamps")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "language", "tsa_url"], condition=Q(subject="text"), name="one_text_timestamp"
            ),
            models.UniqueConstraint(
                fields=["tree_head", "tsa_url"], condition=Q(subject="tree_head"), name="one_tree_head_timestamp"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="timestamp_due")]

    def __str__(self):
        return f"{self.subject} {self.digest[:12]} {self.status}"


class RecordPdf(AppendOnlyModel):
    """The PDF of record of one language of a version, made once after publishing (`legal.pdf_record`)."""

    version = models.ForeignKey(
        "legal.DocumentVersion", models.PROTECT, related_name="record_pdfs", verbose_name=_("version")
    )
    language = models.CharField(_("language"), max_length=8)
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["version", "language"]
        verbose_name = _("PDF of record")
        verbose_name_plural = _("PDFs of record")
        constraints = [models.UniqueConstraint(fields=["version", "language"], name="one_record_pdf_per_language")]

    def __str__(self):
        return f"{self.version} {self.language}.pdf"
