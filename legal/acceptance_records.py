"""Recording acceptances and answering who must accept again.

`record_acceptance` is the one way an acceptance is written (the API calls it); it checks
the version against the time of acceptance, stores the SHA-256 of the exact text accepted
and is idempotent per account and version, and per credential and `Idempotency-Key`. `acceptance_status` applies the re-acceptance
rule: an account must accept again when a *material* version took effect after the one it
accepted; editorial versions never require it, and withdrawn versions never took effect.
"""

import datetime
import functools
import hashlib
from dataclasses import dataclass

import rfc8785

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from . import clock
from .histories import History, history_of, version_fields
from .models import (
    Acceptance,
    Document,
    DocumentVersion,
    ProductCredential,
    in_effect_among,
    language_codes,
    listed_version,
    scheduled_among,
)
from .rows import Lookup

# A product's clock may run a little ahead of ours; an acceptance further in the future is refused.
ACCEPTED_AT_SKEW = datetime.timedelta(seconds=60)


class AcceptanceRefused(Exception):
    """The acceptance cannot be recorded; `code` and `message` go into the JSON error."""

    def __init__(self, code, message, status=422):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def request_digest(body: dict) -> str:
    """SHA-256 of a request body's JSON, canonical (RFC 8785): the same body whatever its spacing or key order."""
    return hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def _replay(acceptance: Acceptance, request_sha256: str | None) -> tuple[Acceptance, bool]:
    """The record an `Idempotency-Key` named, unless the retry's body differs from the first one's."""
    if acceptance.request_sha256 != request_sha256:
        raise AcceptanceRefused(
            "idempotency_key_reused", "This Idempotency-Key was sent before with another body; use a new key."
        )
    return acceptance, False


def record_acceptance(
    *,
    credential: ProductCredential,
    document: Document,
    version_number: int,
    account: str,
    language: str,
    method: str = Acceptance.Method.CLICKWRAP,
    accepted_at: datetime.datetime | None = None,
    sha256: str | None = None,
    metadata: dict | None = None,
    idempotency_key: str | None = None,
    request_sha256: str | None = None,
    versions: History | None = None,
) -> tuple[Acceptance, bool]:
    """Record that `account` accepted version `version_number`; returns (record, created).

    With an `idempotency_key`, a retry of the same request (`request_sha256`, from
    `request_digest`) by the same credential returns the first record (created False) and
    another request under that key is refused. Without one, the same account and version
    still give the same record: a repeated or concurrent submission returns the first one.
    `versions` are `document`'s, when the caller has them (`histories.history`).
    """
    now = clock.now()
    accepted_at = now if accepted_at is None else accepted_at
    versions = history_of(document) if versions is None else versions
    # The version itself is read now, not from the copy: a version withdrawn a moment ago is
    # refused at once, whatever the copy says. The copy answers only which version was in
    # effect at `accepted_at`, which no publish changes within PUBLISH_LEAD_SECONDS.
    version = listed_version(document.pk, version_number, version_fields())
    if version is None:
        raise AcceptanceRefused("unknown_version", f"{document.slug} has no published version {version_number}.")
    # A new record is checked and inserted; the first record of a repeated submission is only
    # looked for when the insert or a check refuses, so a new record costs no query for it.
    try:
        text_sha256 = accepted_text_sha256(
            version, versions, language=language, sha256=sha256, accepted_at=accepted_at, now=now
        )
    except AcceptanceRefused:
        recorded = recorded_before(credential, idempotency_key, request_sha256, version, account)
        if recorded is None:
            raise
        return recorded
    acceptance = Acceptance(
        document=document,
        version=version,
        version_number=version.number,
        account=account,
        language=language,
        text_sha256=text_sha256,
        method=method,
        accepted_at=accepted_at,
        recorded_at=now,
        credential=credential,
        product=credential.name,
        metadata=metadata or {},
        idempotency_key=idempotency_key,
        request_sha256=request_sha256 if idempotency_key is not None else None,
    )
    try:
        insert(acceptance)
    except IntegrityError:
        # Recorded before: a retry under the same key, a repeated submission, or a concurrent
        # one that committed first.
        recorded = recorded_before(credential, idempotency_key, request_sha256, version, account)
        if recorded is None:
            raise
        return recorded
    return acceptance, True


def recorded_before(credential, idempotency_key, request_sha256, version, account) -> tuple[Acceptance, bool] | None:
    """(the first record, False) of a request seen before: its key's, else the account's for `version`.

    None when there is none. A key sent before with another body is refused.
    """
    if idempotency_key is not None:
        existing = Acceptance.objects.by_idempotency_key(credential, idempotency_key).first()
        if existing is not None:
            return _replay(existing, request_sha256)
    existing = first_record(version, account)
    return None if existing is None else (existing, False)


def accepted_text_sha256(version, versions: History, *, language, sha256, accepted_at, now) -> str:
    """The SHA-256 of the text `version` (one of `versions`) that may be recorded as accepted; else AcceptanceRefused."""
    number = version.number
    if version.is_withdrawn:
        raise AcceptanceRefused("version_withdrawn", f"Version {number} was withdrawn and never took effect.")
    if language not in language_codes():
        raise AcceptanceRefused("invalid_language", f"'language' must be one of {', '.join(language_codes())}.")
    text_sha256 = getattr(version, f"body_sha256_{language}")
    if not text_sha256:
        raise AcceptanceRefused("language_unavailable", f"Version {number} has no text in {language!r}.")
    if sha256 is not None and sha256 != text_sha256:
        raise AcceptanceRefused(
            "sha256_mismatch", f"'sha256' is not the SHA-256 of version {number}'s {language!r} text."
        )
    if accepted_at > now + ACCEPTED_AT_SKEW:
        raise AcceptanceRefused("accepted_at_in_future", "'accepted_at' is in the future.")
    if accepted_at < version.published_at:
        raise AcceptanceRefused("not_yet_published", f"Version {number} was not published yet at 'accepted_at'.")
    # In effect or scheduled at `accepted_at`: a version already in effect must still be the one
    # in effect then, not superseded.
    if not version.is_scheduled_at(accepted_at) and version != in_effect_among(versions.published, accepted_at):
        raise AcceptanceRefused(
            "version_superseded",
            f"Version {number} was superseded at 'accepted_at'; accept the version in effect or a scheduled one.",
        )
    return text_sha256


def first_record(version, account) -> Acceptance | None:
    """The record of `account`'s acceptance of `version`, if there is one (there is at most one)."""
    return Acceptance.objects.filter(version=version, account=account).first()


def insert(acceptance: Acceptance) -> None:
    """INSERT the record; IntegrityError when the account's acceptance of the version exists.

    Alone, the INSERT commits by itself (durably: synchronous_commit stays on), one round-trip
    with no BEGIN and COMMIT around it. Inside a caller's transaction a savepoint keeps a
    refused duplicate from spoiling that transaction.
    """
    if transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            acceptance.save(force_insert=True)
    else:
        acceptance.save(force_insert=True)


@dataclass(frozen=True)
class AcceptanceStatus:
    at: datetime.datetime
    accepted: Acceptance | None  # the acceptance that counts: the highest published version accepted
    in_effect: DocumentVersion | None
    scheduled: DocumentVersion | None  # the next scheduled version
    # Published versions that took effect after the one accepted, up to `in_effect`, in order.
    since_accepted: list[DocumentVersion]
    # A material version among them: the account must accept again.
    reacceptance_required: bool
    # The first scheduled material version after the one accepted: from its effective time on,
    # the account must accept again (unless it accepts in advance).
    next_required: DocumentVersion | None


def acceptance_status(document: Document, account: str, at: datetime.datetime | None = None) -> AcceptanceStatus:
    return acceptance_statuses(document, [account], at)[account]


def counting_acceptances(
    document: Document, accounts: list[str], at: datetime.datetime, *, versions: History
) -> dict[str, Acceptance]:
    """Each account's acceptance that counts at `at`: that of its highest published version.

    An acceptance names a published or a withdrawn version of `versions` (recording refuses
    drafts), so leaving out the few withdrawn ones leaves those of published versions. One
    query: for one account the first row in that order, a walk down the index on document,
    account and version number, in SQL written once here because building it with the ORM
    cost more than the rest of a status call (bench/acceptance_cpu.py); for several, a window
    keeps the first row of each account. Both orders are the same, so both give the same record.
    """
    withdrawn = [v.pk for v in versions.versions if v.is_withdrawn]
    if len(accounts) == 1:
        rows = _first_counting(document, accounts[0], at, withdrawn)
    else:
        order = [F("version_number").desc(), F("recorded_at").asc()]
        rows = (
            Acceptance.objects.of_accounts(document, accounts)
            .filter(accepted_at__lte=at)
            .exclude(version__in=withdrawn)
            .annotate(rank=Window(RowNumber(), partition_by=F("account"), order_by=order))
            .filter(rank=1)
        )
    best = {}
    for acceptance in rows:
        acceptance.document = document  # the one asked about: no join for it
        best[acceptance.account] = acceptance
    return best


def _first_counting(document, account, at, withdrawn):
    """[the acceptance that counts], or []: the account's row with the highest version number (the first recorded)."""
    also = ""
    if withdrawn:
        version = connection.ops.quote_name(Acceptance._meta.get_field("version").column)
        also = f"{version} NOT IN ({', '.join(['%s'] * len(withdrawn))})"
    found = _counting_lookup().first([document.pk, account, Lookup.instant(at), *withdrawn], also=also)
    return [] if found is None else [found]


@functools.cache
def _counting_lookup():
    """Each field a status reads of the acceptance that counts (the others load if asked for)."""
    column = {
        name: connection.ops.quote_name(Acceptance._meta.get_field(name).column)
        for name in ("document", "account", "accepted_at", "version_number", "recorded_at")
    }
    return Lookup(
        Acceptance,
        ["id", "document", "version", "version_number", "account", "accepted_at", "recorded_at"],
        where=f"{column['document']} = %s AND {column['account']} = %s AND {column['accepted_at']} <= %s",
        tail=f"ORDER BY {column['version_number']} DESC, {column['recorded_at']} ASC LIMIT 1",
    )


def acceptance_statuses(
    document: Document, accounts: list[str], at: datetime.datetime | None = None, *, versions: History | None = None
) -> dict[str, AcceptanceStatus]:
    """The status of each of `accounts` at `at`: one query, whatever their number (the caller bounds it).

    The versions come from this process's copy (legal/histories.py); reading them again, when
    a publish or withdraw retired the copy, costs one query more.

    Withdrawn versions never took effect: they are neither in effect nor in between, and an
    acceptance of one does not count.
    """
    at = clock.now() if at is None else at
    versions = history_of(document) if versions is None else versions
    published = versions.published
    best = counting_acceptances(document, accounts, at, versions=versions)
    current = in_effect_among(published, at)
    upcoming = scheduled_among(published, at)
    taken_effect = [v for v in published if current is not None and v.number <= current.number]
    material = DocumentVersion.ChangeKind.MATERIAL

    def status_of(accepted):
        if accepted is None:
            return AcceptanceStatus(at, None, current, upcoming[0] if upcoming else None, [], False, None)
        since = [v for v in taken_effect if v.number > accepted.version_number]
        return AcceptanceStatus(
            at=at,
            accepted=accepted,
            in_effect=current,
            scheduled=upcoming[0] if upcoming else None,
            since_accepted=since,
            reacceptance_required=any(v.change_kind == material for v in since),
            next_required=next(
                (v for v in upcoming if v.number > accepted.version_number and v.change_kind == material), None
            ),
        )

    return {account: status_of(best.get(account)) for account in accounts}
