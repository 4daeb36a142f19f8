"""The section ledger: which authoritative text each translated section was last confirmed against.

One `SectionConfirmation` per draft or version, translation language and section records the
SHA-256 of the authoritative section's text that the translated section was last confirmed
against, who confirmed it, when and how. The sections are read by `legal.section_ledger`;
`legal.translation_sync` compares the ledger with the authoritative text now.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .documents import DocumentVersion, ProtectedVersionError

# Anchors are at most 100 characters (legal.sanitizer.ID_PATTERN).
ANCHOR_MAX_LENGTH = 100
# A reason is a sentence or two for the record, not a document.
REASON_MAX_LENGTH = 2000


class SectionConfirmationQuerySet(models.QuerySet):
    def _frozen(self):
        return self.filter(version__in=DocumentVersion.objects.listed())

    def update(self, **kwargs):
        if self._frozen().exists():
            raise ProtectedVersionError(_("The translation ledger of a published version cannot be changed."))
        return super().update(**kwargs)

    update.alters_data = True

    def delete(self):
        if self._frozen().exists():
            raise ProtectedVersionError(_("The translation ledger of a published version cannot be changed."))
        return super().delete()

    delete.alters_data = True


class SectionConfirmation(models.Model):
    class Method(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed against the authoritative text")
        NOT_AFFECTED = "not_affected", _("The authoritative change does not affect the translation")
        COMMAND = "command", _("Confirmed by import_version")
        INITIAL = "initial", _("In step when it was published, before the ledger began")

    version = models.ForeignKey(
        "legal.DocumentVersion", models.CASCADE, related_name="section_confirmations", verbose_name=_("version")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    anchor = models.CharField(_("section anchor"), max_length=ANCHOR_MAX_LENGTH, blank=True)
    authoritative_sha256 = models.CharField(_("SHA-256 of the authoritative section"), max_length=64)
    # The authoritative section as it was confirmed, so the admin can show what changed since.
    authoritative_text = models.TextField(_("authoritative section as confirmed"))
    method = models.CharField(_("how"), max_length=16, choices=Method.choices)
    reason = models.TextField(_("reason"), blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("confirmed by"),
    )  # fmt: skip

    objects = SectionConfirmationQuerySet.as_manager()

    class Meta:
        verbose_name = _("section confirmation")
        verbose_name_plural = _("section confirmations")
        constraints = [
            models.UniqueConstraint(fields=["version", "language", "anchor"], name="one_confirmation_per_section")
        ]

    def __str__(self):
        return f"{self.version_id} {self.language} #{self.anchor}"

    def save(self, *args, **kwargs):
        self._check_draft()
        super().save(*args, **kwargs)

    save.alters_data = True

    def delete(self, *args, **kwargs):
        self._check_draft()
        return super().delete(*args, **kwargs)

    delete.alters_data = True

    def _check_draft(self):
        self.check_draft(self.version_id)

    @staticmethod
    def check_draft(version_id):
        """Refuse to write the ledger of a version that left the draft state (also before bulk writes)."""
        # Once its version is published the ledger is part of the record: what was checked, when, by whom.
        if DocumentVersion.objects.listed().filter(pk=version_id).exists():
            raise ProtectedVersionError(_("The translation ledger of a published version cannot be changed."))
