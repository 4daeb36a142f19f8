"""Publishing and withdrawing versions: the one module that changes a version's state.

Used by the admin, by `import_version --publish` and by the tests alike. Each function
validates, numbers, freezes and records in one transaction, serialised per document by a
row lock and backed by the database constraints on `DocumentVersion`.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.db.models import Max
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from . import clock, db_triggers
from .models import Document, DocumentVersion, language_codes
from .notifications import queue_notifications
from .signals import versions_changed


class PublishingError(Exception):
    """The version cannot change state; `problems` says why, one sentence each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class PublishPlan:
    """What publishing a draft would do, for the confirmation page."""

    number: int
    supersedes: DocumentVersion | None
    problems: list


def _language_name(code):
    from django.utils.translation import get_language_info

    return get_language_info(code)["name_translated"]


def _section_problems(version):
    authoritative = version.document.authoritative_language
    reference = getattr(version, f"sections_{authoritative}") or []
    problems = []
    for code in language_codes():
        if code == authoritative or not version.has_language(code):
            continue
        sections = getattr(version, f"sections_{code}") or []
        reference_ids = [item[1] for item in reference]
        ids = [item[1] for item in sections]
        for _level, anchor, text in reference:
            if anchor not in ids:
                problems.append(
                    _("Section “%(section)s” (#%(anchor)s) is missing in %(language)s.")
                    % {"section": text, "anchor": anchor, "language": _language_name(code)}
                )
        for _level, anchor, text in sections:
            if anchor not in reference_ids:
                problems.append(
                    _("%(language)s has an extra section “%(section)s” that %(authoritative)s does not have.")
                    % {
                        "section": text,
                        "language": _language_name(code),
                        "authoritative": _language_name(authoritative),
                    }
                )
        for (ref_level, _ref_anchor, _ref_text), (level, _anchor, text) in zip(reference, sections, strict=False):
            if ref_level != level:
                problems.append(
                    _(
                        "Section “%(section)s” is a level %(level)s heading in %(language)s but level %(reference)s in %(authoritative)s."
                    )
                    % {
                        "section": text,
                        "level": level,
                        "language": _language_name(code),
                        "reference": ref_level,
                        "authoritative": _language_name(authoritative),
                    }
                )
    return problems


def publish_problems(version, *, at=None):
    """Every reason the draft `version` cannot be published at `at` (default now)."""
    at = clock.now() if at is None else at
    problems = []
    if version.status != DocumentVersion.Status.DRAFT:
        return [_("Only a draft can be published.")]
    is_first = not version.document.versions.listed().exclude(pk=version.pk).exists()
    for code in language_codes():
        if not getattr(version, f"title_{code}"):
            problems.append(_("The title in %(language)s is missing.") % {"language": _language_name(code)})
        if not (getattr(version, f"body_{code}") or "").strip():
            problems.append(_("The text in %(language)s is missing.") % {"language": _language_name(code)})
        if not is_first and not (getattr(version, f"summary_{code}") or "").strip():
            problems.append(
                _("The summary of changes in %(language)s is missing.") % {"language": _language_name(code)}
            )
    problems.extend(_section_problems(version))
    if version.effective_at is None:
        problems.append(_("The effective date is missing."))
    elif not is_first:
        # The first version of a document records a text already in force, so its
        # effective date may lie in the past; every later one must give notice.
        if version.effective_at < at:
            problems.append(_("The effective date is in the past."))
        elif version.change_kind == DocumentVersion.ChangeKind.MATERIAL:
            earliest = at + timedelta(days=version.document.notice_period_days)
            if version.effective_at < earliest:
                problems.append(
                    _(
                        "A material change must take effect at least %(days)s days after it is published, "
                        "that is on or after %(date)s. Choose a later date or mark the change as editorial."
                    )
                    % {
                        "days": version.document.notice_period_days,
                        "date": date_format(localtime(earliest), "DATETIME_FORMAT"),
                    }
                )
    if version.effective_at is not None:
        clash = version.document.versions.published().filter(effective_at=version.effective_at)
        if clash.exists():
            problems.append(_("Another published version already takes effect at exactly this time."))
    return problems


def plan_publish(version, *, at=None):
    at = clock.now() if at is None else at
    highest = version.document.versions.aggregate(highest=Max("number"))["highest"] or 0
    supersedes = None
    if version.effective_at is not None:
        supersedes = version.document.versions.in_effect(version.effective_at).first()
    return PublishPlan(number=highest + 1, supersedes=supersedes, problems=publish_problems(version, at=at))


def _record(version, user, message):
    if user is None or not user.pk:
        return
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[version],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )


def _lock(version):
    """Lock the document row: publishes and withdrawals of one document run one at a time."""
    Document.objects.select_for_update().get(pk=version.document_id)
    return DocumentVersion.objects.select_related("document").get(pk=version.pk)


def publish_version(version, *, user=None, at=None):
    """Publish the draft `version`: validate, number, freeze and record, atomically.

    Raises PublishingError with every problem when the version cannot be published.
    Returns the published version (a fresh instance).
    """
    with transaction.atomic(), db_triggers.publishing():
        version = _lock(version)
        at = clock.now() if at is None else at
        problems = publish_problems(version, at=at)
        if problems:
            raise PublishingError(problems)
        highest = version.document.versions.aggregate(highest=Max("number"))["highest"] or 0
        version.number = highest + 1
        version.status = DocumentVersion.Status.PUBLISHED
        version.published_at = at
        version.published_by = user if user is not None and user.pk else None
        version.updated_by = version.published_by or version.updated_by
        version.save()
        queue_notifications(version)  # the outbox commits, or rolls back, with the publish
        _record(version, user, f"Published as version {version.number}.")
        transaction.on_commit(lambda: versions_changed.send(sender=DocumentVersion, document=version.document))
    return version


def withdraw_problems(version, *, at=None):
    at = clock.now() if at is None else at
    if version.status != DocumentVersion.Status.PUBLISHED:
        return [_("Only a published version can be withdrawn.")]
    if version.effective_at <= at:
        return [_("This version is already in effect; it can no longer be withdrawn. Publish a new version instead.")]
    return []


def withdraw_version(version, *, user=None, at=None):
    """Withdraw a scheduled version: it stays in the history, never in effect."""
    with transaction.atomic(), db_triggers.publishing():
        version = _lock(version)
        at = clock.now() if at is None else at
        problems = withdraw_problems(version, at=at)
        if problems:
            raise PublishingError(problems)
        version.status = DocumentVersion.Status.WITHDRAWN
        version.withdrawn_at = at
        version.withdrawn_by = user if user is not None and user.pk else None
        version.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "updated_at"])
        _record(version, user, "Withdrawn before taking effect.")
        transaction.on_commit(lambda: versions_changed.send(sender=DocumentVersion, document=version.document))
    return version


def new_draft_from(version, *, user=None):
    """A new draft carrying every language of `version` (title, summary left empty, body)."""
    draft = DocumentVersion(document=version.document, change_kind=version.change_kind)
    for code in language_codes():
        setattr(draft, f"title_{code}", getattr(version, f"title_{code}"))
        setattr(draft, f"body_{code}", getattr(version, f"body_{code}"))
    draft.created_by = draft.updated_by = user if user is not None and user.pk else None
    draft.save()
    return draft
