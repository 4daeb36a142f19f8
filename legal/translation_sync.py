"""Keeping each translation in step with the authoritative text, section by section.

A translated section is *in step* when the authoritative section's SHA-256 now is the one
its ledger row (`legal.models.SectionConfirmation`) was confirmed against; *stale*
when the authoritative section changed since, whether or not the translation changed too;
*new* when it was never confirmed. Publishing refuses stale and new sections
(`translation_problems`, used by `legal.publishing`). Someone confirms a section against
the authoritative text, or records that an authoritative change does not affect the
translation (with a reason); either way the row takes the authoritative hash of now and
the version's history says who did it. A new draft inherits its origin's ledger.
"""

from dataclasses import dataclass

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import models, transaction
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from . import clock
from .diffing import Block, Section, compare_section
from .models import REASON_MAX_LENGTH, DocumentVersion, SectionConfirmation, language_codes
from .section_ledger import read_section_texts, text_lines


class LedgerError(ValueError):
    """A confirmation cannot be recorded; `problems` says why, one sentence each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class SectionState(models.TextChoices):
    """Where a translated section stands against the authoritative text."""

    IN_STEP = "in_step", gettext_lazy("In step")
    STALE = "stale", gettext_lazy("Stale")
    NEW = "new", gettext_lazy("New")


def _language_name(code):
    return get_language_info(code)["name_translated"]


def section_texts(version, code):
    """[SectionText] of `version` in language `code`, from its stored title and HTML."""
    return read_section_texts(getattr(version, f"title_{code}") or "", getattr(version, f"body_html_{code}") or "")


def translation_languages(version):
    """The languages of `version` that translate the authoritative one."""
    return [code for code in language_codes() if code != version.document.authoritative_language]


def section_name(section):
    """How messages name a section: its heading and anchor; the opening one by what it is."""
    if not section.anchor:
        return _("the title and the opening text")
    return _("section “%(section)s” (#%(anchor)s)") % {"section": section.title, "anchor": section.anchor}


@dataclass
class SectionStatus:
    """One translated section of a draft or version, beside its authoritative section."""

    language: str
    authoritative: object  # SectionText
    translation: object  # SectionText, or None when the translation lacks the section
    confirmation: SectionConfirmation | None

    @property
    def anchor(self):
        return self.authoritative.anchor

    @property
    def state(self):
        if self.confirmation is None:
            return SectionState.NEW
        if self.confirmation.authoritative_sha256 == self.authoritative.sha256:
            return SectionState.IN_STEP
        return SectionState.STALE

    @property
    def state_label(self):
        return self.state.label

    @property
    def in_step(self):
        return self.state == SectionState.IN_STEP

    @property
    def name(self):
        return section_name(self.authoritative)

    def redline(self):
        """The authoritative section's changes since it was last confirmed (all new when never)."""
        now = _as_section(self.authoritative.anchor, self.authoritative.level, self.authoritative.lines)
        if self.confirmation is None:
            return compare_section(None, now)
        lines = text_lines(self.confirmation.authoritative_text)
        return compare_section(_as_section(self.anchor, self.authoritative.level, lines), now)


def _as_section(anchor, level, lines):
    return Section(anchor=anchor, level=level, title=lines[0], blocks=[Block("p", line) for line in lines[1:]])


def section_statuses(version, *, languages=None):
    """[SectionStatus] for each translation with a text and each authoritative section, in order."""
    authoritative = section_texts(version, version.document.authoritative_language)
    rows = {}
    if version.pk:
        rows = {(row.language, row.anchor): row for row in version.section_confirmations.all()}
    statuses = []
    for code in languages or translation_languages(version):
        if not version.has_language(code):
            continue
        translated = {section.anchor: section for section in section_texts(version, code)}
        statuses.extend(
            SectionStatus(code, section, translated.get(section.anchor), rows.get((code, section.anchor)))
            for section in authoritative
        )
    return statuses


def translation_problems(version):
    """One sentence per translated section that is not in step, naming section and language."""
    authoritative = _language_name(version.document.authoritative_language)
    problems = []
    for status in section_statuses(version):
        values = {"section": status.name, "language": _language_name(status.language), "authoritative": authoritative}
        if status.state == SectionState.STALE:
            problems.append(
                _(
                    "The %(language)s translation of %(section)s has not been confirmed since the %(authoritative)s "
                    "text of that section changed. Check it against the %(authoritative)s text and confirm it."
                )
                % values
            )
        elif status.state == SectionState.NEW:
            problems.append(
                _(
                    "The %(language)s translation of %(section)s has never been confirmed against the "
                    "%(authoritative)s text. Check it and confirm it."
                )
                % values
            )
    return problems


def _record(version, user, message):
    if user is None or not user.pk:
        return
    LogEntry.objects.log_actions(
        user_id=user.pk, queryset=[version], action_flag=CHANGE, change_message=message, single_object=True
    )


def confirm_sections(
    version: DocumentVersion,
    *,
    anchors=None,
    languages=None,
    method=SectionConfirmation.Method.CONFIRMED,
    reason="",
    user=None,
    at=None,
    only_out_of_step=False,
):
    """Record that translated sections of the draft `version` match the authoritative text now.

    `anchors` (default: every section) and `languages` (default: every translation) choose
    the sections; an anchor the authoritative text does not have is refused. With
    `only_out_of_step`, sections already in step keep their earlier confirmation. Method
    NOT_AFFECTED needs a `reason`. Returns the SectionStatus of each section confirmed.
    """
    reason = (reason or "").strip()
    problems = []
    if not version.is_draft:
        problems.append(_("Only a draft's translation can be confirmed; a published version's ledger is final."))
    if method == SectionConfirmation.Method.NOT_AFFECTED and not reason:
        problems.append(_("Say why the change does not affect the translation: the reason is kept in the record."))
    if len(reason) > REASON_MAX_LENGTH:
        problems.append(_("The reason is too long: at most %(limit)s characters.") % {"limit": REASON_MAX_LENGTH})
    foreign = [code for code in languages or () if code not in translation_languages(version)]
    if foreign:
        problems.append(
            _("%(language)s is not a translation of this document.") % {"language": _language_name(foreign[0])}
            if foreign[0] in language_codes()
            else _("Unknown language.")
        )
    statuses = section_statuses(version, languages=[code for code in languages or () if code not in foreign] or None)
    if anchors is not None:
        known = {status.anchor for status in statuses}
        unknown = [anchor for anchor in dict.fromkeys(anchors) if anchor not in known]
        if unknown:
            problems.append(
                _("The %(authoritative)s text has no section with the anchor %(anchors)s.")
                % {
                    "authoritative": _language_name(version.document.authoritative_language),
                    "anchors": ", ".join(f"#{anchor}" if anchor else "“”" for anchor in unknown),
                }
            )
        statuses = [status for status in statuses if status.anchor in set(anchors)]
    if only_out_of_step:
        statuses = [status for status in statuses if not status.in_step]
    if problems:
        raise LedgerError(problems)
    at = clock.now() if at is None else at
    fields = {
        "method": method,
        "reason": reason,
        "confirmed_at": at,
        "confirmed_by": user if user is not None and user.pk else None,
    }
    with transaction.atomic():
        written = _write_rows(
            version,
            {
                (status.language, status.anchor): {
                    "authoritative_sha256": status.authoritative.sha256,
                    "authoritative_text": status.authoritative.text,
                    **fields,
                }
                for status in statuses
            },
        )
        for status in statuses:
            status.confirmation = written[(status.language, status.anchor)]
        if statuses:
            _record(version, user, confirmation_message(version, statuses, method=method, reason=reason))
    return statuses


def _write_rows(version, rows):
    """Replace the draft's ledger rows for the keys of `rows` ({(language, anchor): fields}).

    Two statements whatever the count of sections (up to the renderer's 500 headings per
    language), after locking the draft's row so that two confirmations of one draft take
    turns. Returns {key: row written}.
    """
    if not rows:
        return {}
    with transaction.atomic():
        DocumentVersion.objects.select_for_update().filter(pk=version.pk).first()
        SectionConfirmation.check_draft(version.pk)
        keys = set(rows)
        replaced = [row.pk for row in version.section_confirmations.all() if (row.language, row.anchor) in keys]
        SectionConfirmation.objects.filter(pk__in=replaced).delete()
        created = SectionConfirmation.objects.bulk_create(
            [
                SectionConfirmation(version=version, language=language, anchor=anchor, **fields)
                for (language, anchor), fields in rows.items()
            ]
        )
    return {(row.language, row.anchor): row for row in created}


def confirmation_message(version, statuses, *, method, reason=""):
    """The history line of one confirmation, in the active language."""
    values = {
        "authoritative": _language_name(version.document.authoritative_language),
        "sections": "; ".join(f"{_language_name(status.language)}: {status.name}" for status in statuses),
        "reason": reason,
    }
    if method == SectionConfirmation.Method.NOT_AFFECTED:
        return (
            _(
                "Marked the %(authoritative)s change as not affecting the translation of %(sections)s. "
                "Reason: %(reason)s"
            )
            % values
        )
    return _("Confirmed the translation against the %(authoritative)s text: %(sections)s.") % values


COPIED_FIELDS = ("authoritative_sha256", "authoritative_text", "method", "reason", "confirmed_at", "confirmed_by_id")


def inherit_ledger(draft, *sources):
    """Give the draft the ledger of the version(s) it was made from.

    For each translated section, the first source whose row was confirmed against the
    draft's authoritative text of now wins (a rebase that took a section over whole keeps
    that version's confirmation); otherwise the first source that has a row. Rows are
    copied with who confirmed them and when.
    """
    sources = [source for source in sources if source is not None and source.pk]
    if not sources or not draft.is_draft:
        return
    current = {
        section.anchor: section.sha256 for section in section_texts(draft, draft.document.authoritative_language)
    }
    by_source = [{(row.language, row.anchor): row for row in source.section_confirmations.all()} for source in sources]
    existing = {(row.language, row.anchor): row for row in draft.section_confirmations.all()}
    keys = {key for rows in by_source for key in rows if key[1] in current}
    copied = {}
    for key in sorted(keys):
        candidates = [rows[key] for rows in by_source if key in rows]
        own = existing.get(key)
        if own is not None:
            candidates.insert(0, own)
        chosen = next((row for row in candidates if row.authoritative_sha256 == current[key[1]]), candidates[0])
        if chosen is not own:
            copied[key] = {field: getattr(chosen, field) for field in COPIED_FIELDS}
    _write_rows(draft, copied)


def prune_ledger(version):
    """Drop the rows of sections the draft's authoritative text no longer has (before it is published)."""
    kept = _keys(version)
    stale_rows = [row.pk for row in version.section_confirmations.all() if (row.language, row.anchor) not in kept]
    if stale_rows:
        SectionConfirmation.objects.filter(pk__in=stale_rows).delete()


def _keys(version):
    anchors = [section.anchor for section in section_texts(version, version.document.authoritative_language)]
    return {(code, anchor) for code in translation_languages(version) for anchor in anchors}


def start_in_step(versions):
    """Start the ledger of published `versions` that have none: each section confirmed at publication.

    For a record older than the ledger, such as a backup restored by `restore_versions`;
    migration 0010_translation_ledger did the same for the versions in the database when the ledger began.
    """
    rows = [
        SectionConfirmation(
            version=version, language=code, anchor=section.anchor, authoritative_sha256=section.sha256,
            authoritative_text=section.text, method=SectionConfirmation.Method.INITIAL, reason="",
            confirmed_at=version.published_at, confirmed_by_id=version.published_by_id,
        )
        for version in versions
        for section in section_texts(version, version.document.authoritative_language)
        for code in translation_languages(version)
    ]  # fmt: skip
    # bulk_create, as loaddata: rows of a version that left the draft state are not save()d.
    SectionConfirmation.objects.bulk_create(rows, batch_size=500)
    return len(rows)
