"""Publishing and withdrawing versions: the one module that changes a version's state.

Used by the admin, by `import_version --publish` and by the tests alike. Each function
validates, numbers, freezes and records in one transaction, serialised per document by a
row lock and backed by the database constraints on `DocumentVersion`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import clock, db_triggers, transparency
from .change_evidence import changed_clauses
from .merging import has_conflict_markers, merge_texts
from .models import Document, DocumentVersion, LogLeaf, language_codes, normalise_text
from .outbox import queue_notifications, queue_withdrawal_notices
from .signals import versions_changed
from .translation_sync import inherit_ledger, prune_ledger, translation_problems
from .webhook_delivery import queue_publication_events, queue_withdrawal_event


class PublishingError(Exception):
    """The version cannot change state; `problems` says why, one sentence each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class PublishPlan:
    """What publishing a draft would do, for the confirmation page."""

    number: int
    follows: DocumentVersion | None  # the version it replaces when it takes effect
    problems: list
    notice_from: datetime | None  # the instant its notice period counts from
    keeps_notice: bool  # a re-issue that keeps the notice its withdrawn version gave
    earliest: datetime | None  # the earliest effective instant the rules allow now
    effective: datetime | None = None  # when it would take effect: its date, or `earliest` as soon as allowed
    as_soon_as_allowed: bool = False
    clause_changes: tuple = ()  # ClauseChange: sections whose words differ from `follows`
    replaces: DocumentVersion | None = None  # the version in effect just before `effective`

    @property
    def supersedes(self):
        return self.follows

    @property
    def evidence_says_material(self):
        return bool(self.clause_changes)


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
                    (
                        f"body_{code}",
                        _("Section “%(section)s” (#%(anchor)s) is missing in %(language)s.")
                        % {"section": text, "anchor": anchor, "language": _language_name(code)},
                    )
                )
        for _level, anchor, text in sections:
            if anchor not in reference_ids:
                problems.append(
                    (
                        f"body_{code}",
                        _("%(language)s has an extra section “%(section)s” that %(authoritative)s does not have.")
                        % {
                            "section": text,
                            "language": _language_name(code),
                            "authoritative": _language_name(authoritative),
                        },
                    )
                )
        for (ref_level, _ref_anchor, _ref_text), (level, _anchor, text) in zip(reference, sections, strict=False):
            if ref_level != level:
                problems.append(
                    (
                        f"body_{code}",
                        _(
                            "Section “%(section)s” is a level %(level)s heading in %(language)s but level %(reference)s in %(authoritative)s."
                        )
                        % {
                            "section": text,
                            "level": level,
                            "language": _language_name(code),
                            "reference": ref_level,
                            "authoritative": _language_name(authoritative),
                        },
                    )
                )
    return problems


def lead_time() -> timedelta:
    """How long after publishing a version may take effect at the earliest (PUBLISH_LEAD_SECONDS)."""
    return timedelta(seconds=settings.PUBLISH_LEAD_SECONDS)


def _reissue_base(withdrawn):
    """The text a withdrawn version was drafted from: its recorded origin, or the version before it."""
    return withdrawn.based_on if withdrawn.based_on_id else withdrawn.previous()


def rebased_texts(version: DocumentVersion, onto: DocumentVersion) -> dict:
    """{field: MergeResult}: `version`'s text with `onto`'s changes since their common origin merged in."""
    base = version.based_on if version.based_on_id else version.previous()
    if version.is_withdrawn:
        base = _reissue_base(version)
    results = {}
    for field in ("title", "body"):
        for code in language_codes():
            name = f"{field}_{code}"
            results[name] = merge_texts(
                getattr(base, name, "") if base else "",
                getattr(version, name) or "",
                getattr(onto, name) or "",
                ours_label=str(_("this draft")) if version.is_draft else str(version),
                theirs_label=str(onto),
            )
    return results


def keeps_notice(version: DocumentVersion) -> bool:
    """Whether a re-issue keeps the notice its withdrawn version already gave.

    Only when its text is exactly the withdrawn text plus the edits of the version it is
    rebased on (a clean merge, nothing else changed); any other change starts the notice again.
    """
    withdrawn, onto = version.reissue_of, version.based_on
    if withdrawn is None or onto is None or not withdrawn.is_withdrawn or withdrawn.published_at is None:
        return False
    merged = rebased_texts(withdrawn, onto)
    return (
        all(result.conflicts == 0 and result.text == (getattr(version, name) or "") for name, result in merged.items())
        and version.change_kind == withdrawn.change_kind
    )


def notice_from(version: DocumentVersion, at: datetime) -> datetime:
    """The instant `version`'s notice period counts from if it is published at `at`."""
    if keeps_notice(version):
        return version.reissue_of.notice_from or version.reissue_of.published_at
    return at


def earliest_effective(
    version: DocumentVersion,
    *,
    at: datetime,
    latest: DocumentVersion | None = None,
    start: datetime | None = None,
) -> datetime:
    """The earliest instant the rules allow `version` to take effect if it is published at `at`.

    The latest of: `at` plus the lead time; the end of the notice period for a material
    change; just after the last published version (versions take effect in number order).
    """
    start = notice_from(version, at) if start is None else start
    latest = version.document.versions.latest_published() if latest is None else latest
    candidates = [at + lead_time()]
    if version.change_kind == DocumentVersion.ChangeKind.MATERIAL:
        candidates.append(start + timedelta(days=version.document.notice_period_days))
    if latest is not None and latest.pk != version.pk:
        candidates.append(latest.effective_at + timedelta(seconds=1))
    earliest = max(candidates)
    # Rounded up to a whole second: what a person can type and read back.
    return earliest if not earliest.microsecond else earliest.replace(microsecond=0) + timedelta(seconds=1)


def _when(moment):
    return date_format(localtime(moment), "DATETIME_FORMAT")


def editorial_problem(version: DocumentVersion, clause_changes: list) -> str | None:
    """The refusal of an editorial kind that the diff contradicts, or None."""
    if version.change_kind != DocumentVersion.ChangeKind.EDITORIAL or not clause_changes:
        return None
    shown = clause_changes[:5]
    names = ", ".join(
        _("“%(section)s” (%(language)s)")
        % {"section": change.title or _("Introduction"), "language": _language_name(change.language)}
        for change in shown
    )
    if len(clause_changes) > len(shown):
        names += " …"
    return ngettext(
        "The change is marked editorial, but the words of %(count)s section changed: %(sections)s. A change "
        "to a clause's words is material unless you confirm it is editorial (a typo fixed, nothing meant "
        "differently). Tick the confirmation, or mark the change as material.",
        "The change is marked editorial, but the words of %(count)s sections changed: %(sections)s. A change "
        "to a clause's words is material unless you confirm it is editorial (a typo fixed, nothing meant "
        "differently). Tick the confirmation, or mark the change as material.",
        len(clause_changes),
    ) % {"count": len(clause_changes), "sections": names}


def publish_problems(version: DocumentVersion, **options) -> list[str]:
    """Every reason the draft `version` cannot be published; the options of `publish_findings`."""
    return [problem for _field, problem in publish_findings(version, **options)]


def publish_findings(
    version: DocumentVersion,
    *,
    at: datetime | None = None,
    effective_at: datetime | None = None,
    editorial_confirmed: bool = False,
    clause_changes: list | None = None,
) -> list[tuple[str | None, str]]:
    """[(field, problem)]: every reason the draft `version` cannot be published at `at` (default now).

    `field` names the form field the problem is about (`title_vi`, `body_en`, `summary_vi`,
    `effective_at`, `change_kind`), or None. The admin shows them next to the fields as
    warnings whenever a draft is opened; publishing refuses while any remains.
    `effective_at` checks another effective instant than the draft's own (as soon as
    allowed). An editorial change whose clauses' words changed needs `editorial_confirmed`.
    """
    at = clock.now() if at is None else at
    if not version.is_draft:
        return [(None, _("Only a draft can be published."))]
    problems = []
    latest = version.document.versions.latest_published()
    is_first = not version.document.versions.listed().exclude(pk=version.pk).exists()
    for code in language_codes():
        if not getattr(version, f"title_{code}"):
            problems.append(
                (f"title_{code}", _("The title in %(language)s is missing.") % {"language": _language_name(code)})
            )
        if not (getattr(version, f"body_{code}") or "").strip():
            problems.append(
                (f"body_{code}", _("The text in %(language)s is missing.") % {"language": _language_name(code)})
            )
        elif has_conflict_markers(getattr(version, f"body_{code}")):
            problems.append(
                (
                    f"body_{code}",
                    _(
                        "The text in %(language)s still holds a merge conflict (lines starting with <<<<<<<, ======= "
                        "and >>>>>>>). Choose the wording to keep and remove the markers."
                    )
                    % {"language": _language_name(code)},
                )
            )
        if not is_first and not (getattr(version, f"summary_{code}") or "").strip():
            problems.append(
                (
                    f"summary_{code}",
                    _("The summary of changes in %(language)s is missing.") % {"language": _language_name(code)},
                )
            )
    problems.extend(_section_problems(version))
    problems.extend((None, problem) for problem in translation_problems(version))  # shown above the fields
    if not editorial_confirmed:
        if clause_changes is None:
            clause_changes = changed_clauses(latest, version)
        refusal = editorial_problem(version, clause_changes)
        if refusal:
            problems.append(("change_kind", refusal))
    effective = version.effective_at if effective_at is None else effective_at
    newer = version.published_since_drafted()
    out_of_order = effective is not None and latest is not None and effective <= latest.effective_at
    # A draft meant to take effect before the newer version gets the order rule's advice instead.
    if newer is not None and not out_of_order:
        problems.append(
            (
                None,
                _(
                    "This draft was made from version %(origin)s, but version %(latest)s has been published since: "
                    "publishing it as it is would undo the changes of version %(latest)s. Rebase the draft on "
                    "version %(latest)s first."
                )
                % {"origin": version.based_on.number, "latest": newer.number},
            )
        )
    if effective is None:
        problems.append(("effective_at", _("The effective date is missing.")))
    elif not is_first:
        # The first version of a document records a text already in force, so its
        # effective date may lie in the past; every later one must give notice.
        start = notice_from(version, at)
        if latest is not None and effective <= latest.effective_at:
            problems.append(
                (
                    "effective_at",
                    _(
                        "Version %(number)s is already scheduled to take effect on %(date)s, and versions take effect "
                        "in the order of their numbers, so this one must take effect after it. To put an urgent change "
                        "into effect sooner, withdraw version %(number)s first, publish this change, then re-issue the "
                        "withdrawn text as a new draft rebased on it."
                    )
                    % {"number": latest.number, "date": _when(latest.effective_at)}
                    if latest.effective_at > at
                    else _("The effective date must be after that of version %(number)s (%(date)s).")
                    % {"number": latest.number, "date": _when(latest.effective_at)},
                )
            )
        elif effective < at:
            problems.append(("effective_at", _("The effective date is in the past.")))
        elif effective < at + lead_time():
            lead, date = settings.PUBLISH_LEAD_SECONDS, _when(at + lead_time())
            problems.append(
                (
                    "effective_at",
                    _(
                        "A version takes effect at the earliest %(minutes)s minutes after it is published, that is on or "
                        "after %(date)s. Choose a later time."
                    )
                    % {"minutes": lead // 60, "date": date}
                    if lead % 60 == 0
                    else _(
                        "A version takes effect at the earliest %(seconds)s seconds after it is published, that is on or "
                        "after %(date)s. Choose a later time."
                    )
                    % {"seconds": lead, "date": date},
                )
            )
        elif version.change_kind == DocumentVersion.ChangeKind.MATERIAL:
            earliest = start + timedelta(days=version.document.notice_period_days)
            if effective < earliest:
                problems.append(
                    (
                        "effective_at",
                        _(
                            "A material change must take effect at least %(days)s days after it is published, "
                            "that is on or after %(date)s. Choose a later date or mark the change as editorial."
                        )
                        % {"days": version.document.notice_period_days, "date": _when(earliest)},
                    )
                )
    if effective is not None:
        clash = version.document.versions.published().filter(effective_at=effective)
        if clash.exists():
            problems.append(("effective_at", _("Another published version already takes effect at exactly this time.")))
    return problems


def plan_publish(
    version: DocumentVersion,
    *,
    at: datetime | None = None,
    as_soon_as_allowed: bool = False,
    editorial_confirmed: bool = False,
) -> PublishPlan:
    """What publishing `version` at `at` (default now) would do, for the confirmation page.

    `as_soon_as_allowed` plans the earliest instant the rules allow (`earliest_effective`)
    instead of the draft's own date: `publish_version` computes it again when it publishes.
    """
    at = clock.now() if at is None else at
    latest = version.document.versions.latest_published()
    highest = version.document.versions.aggregate(highest=Max("number"))["highest"] or 0
    start = notice_from(version, at)
    earliest = earliest_effective(version, at=at, latest=latest, start=start)
    effective = earliest if as_soon_as_allowed else version.effective_at
    clause_changes = tuple(changed_clauses(latest, version)) if version.is_draft else ()
    replaces = version.document.versions.in_effect(effective).first() if effective is not None else None
    return PublishPlan(
        number=highest + 1,
        follows=latest,
        problems=publish_problems(
            version,
            at=at,
            effective_at=effective,
            editorial_confirmed=editorial_confirmed,
            clause_changes=list(clause_changes),
        ),
        notice_from=start,
        keeps_notice=start != at,
        earliest=earliest,
        effective=effective,
        as_soon_as_allowed=as_soon_as_allowed,
        clause_changes=clause_changes,
        replaces=replaces,
    )


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


def publish_version(
    version: DocumentVersion,
    *,
    user: AbstractBaseUser | None = None,
    at: datetime | None = None,
    as_soon_as_allowed: bool = False,
    editorial_confirmed: bool = False,
) -> DocumentVersion:
    """Publish the draft `version`: validate, number, freeze and record, atomically.

    `as_soon_as_allowed` sets its effective instant to the earliest the rules allow at the
    moment of publishing, inside the document's lock (`earliest_effective`). An editorial
    change whose clauses' words changed is refused unless `editorial_confirmed`.
    Raises PublishingError with every problem when the version cannot be published.
    Returns the published version (a fresh instance).
    """
    with transaction.atomic(), db_triggers.publishing():
        version = _lock(version)
        at = clock.now() if at is None else at
        if as_soon_as_allowed:
            version.effective_at = earliest_effective(version, at=at)
        clauses = changed_clauses(version.document.versions.latest_published(), version)
        problems = publish_problems(version, at=at, editorial_confirmed=editorial_confirmed, clause_changes=clauses)
        if problems:
            raise PublishingError(problems)
        highest = version.document.versions.aggregate(highest=Max("number"))["highest"] or 0
        prune_ledger(version)  # the ledger is frozen with the version: only its own sections
        version.notice_from = notice_from(version, at)
        version.number = highest + 1
        version.status = DocumentVersion.Status.PUBLISHED
        version.published_at = at
        version.published_by = user if user is not None and user.pk else None
        version.updated_by = version.published_by or version.updated_by
        version.save()
        queue_notifications(version)  # the outbox commits, or rolls back, with the publish
        queue_publication_events(version)  # so does the webhook outbox
        transparency.record_event(version, LogLeaf.Event.PUBLISHED)  # so do the log and its time-stamp queue
        message = f"Published as version {version.number}."
        if as_soon_as_allowed:
            message += f" Takes effect as soon as allowed: {localtime(version.effective_at).isoformat()}."
        if clauses and version.change_kind == DocumentVersion.ChangeKind.EDITORIAL:
            message += f" Confirmed editorial although the words of {len(clauses)} sections changed."
        if version.notice_from != at:
            message += f" Re-issues version {version.reissue_of.number}; keeps its notice from {version.notice_from}."
        _record(version, user, message)
        transaction.on_commit(lambda: versions_changed.send(sender=DocumentVersion, document=version.document))
    return version


# A reason is a sentence or a short paragraph for readers and subscribers, not a document.
WITHDRAWAL_REASON_MAX_LENGTH = 2000


def withdraw_problems(version: DocumentVersion, *, at: datetime | None = None, reason: str | None = None) -> list[str]:
    """Every reason `version` cannot be withdrawn at `at`; `reason` is checked when given."""
    at = clock.now() if at is None else at
    if not version.is_published:
        return [_("Only a published version can be withdrawn.")]
    if version.effective_at <= at:
        return [_("This version is already in effect; it can no longer be withdrawn. Publish a new version instead.")]
    problems = []
    if reason is not None:
        if not reason.strip():
            problems.append(_("Say why the version is withdrawn: the reason is shown on its page and emailed."))
        elif len(reason) > WITHDRAWAL_REASON_MAX_LENGTH:
            problems.append(
                _("The reason is too long: at most %(limit)s characters.") % {"limit": WITHDRAWAL_REASON_MAX_LENGTH}
            )
    return problems


def withdraw_version(
    version: DocumentVersion,
    *,
    reason: str,
    reissue: bool = False,
    user: AbstractBaseUser | None = None,
    at: datetime | None = None,
) -> DocumentVersion:
    """Withdraw a scheduled version: it stays in the history, marked withdrawn, never in effect.

    `reason` is required; `reissue` records that its text is to be re-issued. Subscribers
    who were sent its notice get one follow-up email.
    """
    reason = normalise_text(reason or "").strip()
    with transaction.atomic(), db_triggers.publishing():
        version = _lock(version)
        at = clock.now() if at is None else at
        problems = withdraw_problems(version, at=at, reason=reason)
        if problems:
            raise PublishingError(problems)
        version.status = DocumentVersion.Status.WITHDRAWN
        version.withdrawn_at = at
        version.withdrawn_by = user if user is not None and user.pk else None
        version.withdrawal_reason = reason
        version.withdrawal_reissue_planned = bool(reissue)
        version.save(
            update_fields=[
                "status", "withdrawn_at", "withdrawn_by", "withdrawal_reason", "withdrawal_reissue_planned",
                "updated_at",
            ]
        )  # fmt: skip
        queue_withdrawal_notices(version)
        queue_withdrawal_event(version)
        transparency.record_event(version, LogLeaf.Event.WITHDRAWN)
        plan = " To be re-issued." if reissue else ""
        _record(version, user, f"Withdrawn before taking effect. Reason: {reason}{plan}")
        transaction.on_commit(lambda: versions_changed.send(sender=DocumentVersion, document=version.document))
    return version


def _new_draft(document, *, user, change_kind=DocumentVersion.ChangeKind.MATERIAL, **fields):
    draft = DocumentVersion(document=document, change_kind=change_kind, **fields)
    draft.created_by = draft.updated_by = user if user is not None and user.pk else None
    return draft


@transaction.atomic
def new_draft_from(version: DocumentVersion, *, user: AbstractBaseUser | None = None) -> DocumentVersion:
    """A new draft carrying every language of `version` (title and body; summary left empty).

    It starts as a material change whatever `version` was: a change is editorial only
    when the publisher says so.
    """
    draft = _new_draft(version.document, user=user, based_on=version if not version.is_draft else version.based_on)
    for code in language_codes():
        setattr(draft, f"title_{code}", getattr(version, f"title_{code}"))
        setattr(draft, f"body_{code}", getattr(version, f"body_{code}"))
    draft.save()
    inherit_ledger(draft, version)
    return draft


@transaction.atomic
def reissue_draft(withdrawn: DocumentVersion, *, user: AbstractBaseUser | None = None) -> tuple[DocumentVersion, int]:
    """A new draft re-issuing the withdrawn version's text, rebased on the latest published version.

    Keeps the withdrawn version's kind of change and summaries. Conflicting edits are left
    marked in the text for the editor to resolve; the draft cannot be published until they are.
    Returns (draft, number of conflicts).
    """
    if not withdrawn.is_withdrawn:
        raise PublishingError([_("Only a withdrawn version can be re-issued.")])
    onto = withdrawn.document.versions.latest_published()
    if onto is None:
        raise PublishingError([_("There is no published version to rebase on.")])
    merged = rebased_texts(withdrawn, onto)
    draft = _new_draft(
        withdrawn.document, user=user, change_kind=withdrawn.change_kind, based_on=onto, reissue_of=withdrawn
    )
    for name, result in merged.items():
        setattr(draft, name, result.text)
    for code in language_codes():
        setattr(draft, f"summary_{code}", getattr(withdrawn, f"summary_{code}"))
    draft.save()
    inherit_ledger(draft, withdrawn, onto)
    return draft, sum(result.conflicts for result in merged.values())


@transaction.atomic
def rebase_draft(draft: DocumentVersion, *, user: AbstractBaseUser | None = None) -> int:
    """Merge into `draft` the changes of the versions published since it was made.

    Returns the number of conflicts left marked in its text.
    """
    if not draft.is_draft:
        raise PublishingError([_("Only a draft can be rebased.")])
    onto = draft.document.versions.latest_published()
    if onto is None or draft.based_on_id == onto.pk:
        return 0
    merged = rebased_texts(draft, onto)
    for name, result in merged.items():
        setattr(draft, name, result.text)
    draft.based_on = onto
    draft.updated_by = user if user is not None and user.pk else draft.updated_by
    draft.save()
    inherit_ledger(draft, onto)
    return sum(result.conflicts for result in merged.values())
