"""The review hand-off's records: where a draft stands between its editor and the publishers.

The models only; a draft's review state is read in `legal.reviews`, and submitting, sending
back and the emails live in `legal.reviewing`. A draft's review state is computed, not trusted: a draft submitted for review whose text, date or kind changed
since (by any path: the admin, a rebase, the ORM) is "in progress" again, because what the
publishers were asked to review is no longer what would be published.
"""

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import clock
from .documents import text_field_names, text_sha256


class ReviewState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted for review")
    RETURNED = "returned", _("Sent back for changes")


def draft_fingerprint(version):
    """SHA-256 of everything a reviewer approves: kind, effective date, and every title, summary and text."""
    content = {
        "change_kind": version.change_kind,
        # The instant, whatever time zone the instance holds it in (a form's or the database's).
        "effective_at": version.effective_at.timestamp() if version.effective_at else None,
        **{name: getattr(version, name) or "" for name in text_field_names()},
    }
    return text_sha256(json.dumps(content, sort_keys=True))


class Review(models.Model):
    """The latest review step of one draft; the admin history of the version keeps every step."""

    version = models.OneToOneField(
        "legal.DocumentVersion", models.CASCADE, primary_key=True, related_name="review", verbose_name=_("version")
    )
    state = models.CharField(_("review state"), max_length=16, choices=ReviewState.choices)
    fingerprint = models.CharField(_("fingerprint of the submitted draft"), max_length=64, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("submitted by"),
    )  # fmt: skip
    returned_at = models.DateTimeField(_("sent back at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("sent back by"),
    )  # fmt: skip
    comment = models.TextField(_("comment"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self):
        return f"{self.version}: {self.get_state_display()}"

    def current_state(self):
        """The state now: a submitted draft changed since is in progress again."""
        if self.state == ReviewState.SUBMITTED and self.fingerprint != draft_fingerprint(self.version):
            return ReviewState.IN_PROGRESS
        return ReviewState(self.state)


class StaffLanguage(models.Model):
    """The language a member of staff reads the admin in, recorded when they sign in: their emails use it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, primary_key=True, related_name="legal_language",
        verbose_name=_("user"),
    )  # fmt: skip
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("staff language")
        verbose_name_plural = _("staff languages")

    def __str__(self):
        return f"{self.user}: {self.language}"
