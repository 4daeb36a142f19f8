"""Stored redlines of published pairs: the table `legal.redlines` reads and fills."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredRedline(models.Model):
    old = models.ForeignKey("legal.DocumentVersion", models.CASCADE, related_name="+", verbose_name=_("from version"))
    new = models.ForeignKey("legal.DocumentVersion", models.CASCADE, related_name="+", verbose_name=_("to version"))
    language = models.CharField(_("language"), max_length=8)
    old_sha256 = models.CharField(_("SHA-256 of the old text"), max_length=64)
    new_sha256 = models.CharField(_("SHA-256 of the new text"), max_length=64)
    algorithm = models.PositiveSmallIntegerField(_("diff algorithm revision"))
    data = models.JSONField(_("redline"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored redline")
        verbose_name_plural = _("stored redlines")
        constraints = [
            models.UniqueConstraint(
                fields=["old", "new", "language", "old_sha256", "new_sha256", "algorithm"], name="stored_redline_key"
            )
        ]

    def __str__(self):
        return f"{self.old_id} → {self.new_id} ({self.language})"
