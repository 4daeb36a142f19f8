"""Recording acceptances and answering who must accept again.

`record_acceptance` is the one way an acceptance is written (the API calls it); it checks
the version against the time of acceptance, stores the SHA-256 of the exact text accepted
and is idempotent per account and version, and per credential and `Idempotency-Key`. `acceptance_status` applies the re-acceptance
rule: an account must accept again when a *material* version took effect after the one it
accepted; editorial versions never require it, and withdrawn versions never took effect.
"""

import datetime
import hashlib
from dataclasses import dataclass

import rfc8785

from django.db import IntegrityError, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from . import clock
from .acceptances import Acceptance, ProductCredential
from .models import Document, DocumentVersion, PublicState, in_effect_among, language_codes, scheduled_among

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
) -> tuple[Acceptance, bool]:
    """Record that `account` accepted version `version_number`; returns (record, created).

    With an `idempotency_key`, a retry of the same request (`request_sha256`, from
    `request_digest`) by the same credential returns the first record (created False) and
    another request under that key is refused. Without one, the same account and version
    still give the same record: a repeated or concurrent submission returns the first one.
    """
    if idempotency_key is not None:
        existing = Acceptance.objects.by_idempotency_key(credential, idempotency_key).first()
        if existing is not None:
            return _replay(existing, request_sha256)
    now = clock.now()
    accepted_at = now if accepted_at is None else accepted_at
    version = DocumentVersion.objects.listed().filter(document=document, number=version_number).without_texts().first()
    if version is None:
        raise AcceptanceRefused("unknown_version", f"{document.slug} has no published version {version_number}.")
    existing = Acceptance.objects.filter(version=version, account=account).first()
    if existing is not None:
        return existing, False
    if version.is_withdrawn:
        raise AcceptanceRefused("version_withdrawn", f"Version {version_number} was withdrawn and never took effect.")
    if language not in language_codes():
        raise AcceptanceRefused("invalid_language", f"'language' must be one of {', '.join(language_codes())}.")
    text_sha256 = getattr(version, f"body_sha256_{language}")
    if not text_sha256:
        raise AcceptanceRefused("language_unavailable", f"Version {version_number} has no text in {language!r}.")
    if sha256 is not None and sha256 != text_sha256:
        raise AcceptanceRefused(
            "sha256_mismatch", f"'sha256' is not the SHA-256 of version {version_number}'s {language!r} text."
        )
    if accepted_at > now + ACCEPTED_AT_SKEW:
        raise AcceptanceRefused("accepted_at_in_future", "'accepted_at' is in the future.")
    if accepted_at < version.published_at:
        raise AcceptanceRefused(
            "not_yet_published", f"Version {version_number} was not published yet at 'accepted_at'."
        )
    if version.public_state(accepted_at) not in (PublicState.IN_EFFECT, PublicState.SCHEDULED):
        raise AcceptanceRefused(
            "version_superseded",
            f"Version {version_number} was superseded at 'accepted_at'; accept the version in effect or a scheduled one.",
        )
    try:
        with transaction.atomic():
            acceptance = Acceptance.objects.create(
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
    except IntegrityError:
        # A concurrent submission of the same key, or of the same account and version, committed first.
        if idempotency_key is not None:
            existing = Acceptance.objects.by_idempotency_key(credential, idempotency_key).first()
            if existing is not None:
                return _replay(existing, request_sha256)
        existing = Acceptance.objects.filter(version=version, account=account).first()
        if existing is None:
            raise
        return existing, False
    return acceptance, True


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


def acceptance_statuses(
    document: Document, accounts: list[str], at: datetime.datetime | None = None
) -> dict[str, AcceptanceStatus]:
    """The status of each of `accounts` at `at`: two queries, whatever their number (the caller bounds it).

    Withdrawn versions never took effect: they are neither in effect nor in between, and an
    acceptance of one does not count.
    """
    at = clock.now() if at is None else at
    published = list(DocumentVersion.objects.published().filter(document=document).without_texts().order_by("number"))
    # Each account's acceptance of its highest published version, one row per account.
    best = {}
    rows = (
        Acceptance.objects.of_accounts(document, accounts)
        .filter(version__in=DocumentVersion.objects.published(), accepted_at__lte=at)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=F("account"), order_by=[F("version_number").desc(), F("recorded_at").asc()]
            )
        )
        .filter(rank=1)
    )
    for acceptance in rows:
        acceptance.document = document  # the one asked about: no join for it
        best[acceptance.account] = acceptance
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
