"""Redlines of published pairs, computed once and kept, so a public comparison page is
never recomputed per request.

Published versions never change, so the redline from version a to version b in one
language never changes either; it is stored in the database (not the cache, which may be
down or flushed), keyed by both versions, the language, both texts' SHA-256 and the diff
algorithm's revision. Storing is an optimisation: if the table cannot be read or written,
the redline is computed and the page is served all the same.
"""

import logging

from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from .comparison import compare_versions, from_data, to_data

# Revision of the stored redlines; stored redlines of another revision are recomputed.
# Bump it with diffing.ALGORITHM (the diff) or comparison.REVISION (grouping, moves):
# 4 is diffing's revision 3 (the exact alignment) read through grouping and moves; 3 read
# diffing's revision 2.
ALGORITHM = 4

logger = logging.getLogger(__name__)


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


def redline_for(old, new, language):
    """The redline from `old` to `new` in `language`: stored for published pairs."""
    if old.status != old.Status.PUBLISHED or new.status != new.Status.PUBLISHED:
        return compare_versions(old, new, language)
    key = {
        "old": old,
        "new": new,
        "language": language,
        "old_sha256": getattr(old, f"body_sha256_{language}") or "",
        "new_sha256": getattr(new, f"body_sha256_{language}") or "",
        "algorithm": ALGORITHM,
    }
    try:
        data = StoredRedline.objects.filter(**key).values_list("data", flat=True).first()
    except DatabaseError:
        logger.warning("stored redlines cannot be read; computing %s -> %s", old.pk, new.pk, exc_info=True)
        data = None
    if data is not None:
        return from_data(data)
    redline = compare_versions(old, new, language)
    try:
        with transaction.atomic():  # a savepoint: a failed insert leaves the request's transaction usable
            StoredRedline.objects.create(**key, data=to_data(redline))
    except IntegrityError:
        pass  # another request stored the same redline first
    except DatabaseError:
        logger.warning("a redline could not be stored; serving it anyway", exc_info=True)
    return redline
