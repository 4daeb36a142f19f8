"""Recording acceptances and answering who must accept again.

`record_acceptance` is the one way an acceptance is written (the API calls it); it checks
the version against the time of acceptance, stores the SHA-256 of the exact text accepted
and is idempotent per account and version. `acceptance_status` applies the re-acceptance
rule: an account must accept again when a *material* version took effect after the one it
accepted; editorial versions never require it, and withdrawn versions never took effect.
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from . import clock
from .models import (
    Acceptance,
    Document,
    DocumentVersion,
    ProductCredential,
    PublicState,
    in_effect_among,
    language_codes,
    scheduled_among,
)

# A product's clock may run a little ahead of ours; an acceptance further in the future is refused.
ACCEPTED_AT_SKEW = datetime.timedelta(seconds=60)


class AcceptanceRefused(Exception):
    """The acceptance cannot be recorded; `code` and `message` go into the JSON error."""

    def __init__(self, code, message, status=422):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


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
) -> tuple[Acceptance, bool]:
    """Record that `account` accepted version `version_number`; returns (record, created).

    The same account and version always give the same record: a repeated or concurrent
    submission returns the first one (created False), whatever else it says.
    """
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
            )
    except IntegrityError:
        # A concurrent submission of the same account and version committed first.
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
    must_accept: bool
    material_since: list[int]  # material versions in effect since the one accepted, up to `in_effect`
    scheduled: DocumentVersion | None  # the next scheduled version
    next_required: DocumentVersion | None  # the first scheduled version that will require acceptance


def acceptance_status(document: Document, account: str, at: datetime.datetime | None = None) -> AcceptanceStatus:
    return acceptance_statuses(document, [account], at)[account]


def acceptance_statuses(
    document: Document, accounts: list[str], at: datetime.datetime | None = None
) -> dict[str, AcceptanceStatus]:
    """The status of each of `accounts` at `at`: two queries, whatever their number (the caller bounds it)."""
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

    def material_between(low, high):
        return [
            v.number
            for v in published
            if low < v.number <= high and v.change_kind == DocumentVersion.ChangeKind.MATERIAL
        ]

    def status_of(accepted):
        accepted_number = accepted.version_number if accepted else 0

        def requires(version):
            # Never accepted: any version requires acceptance. Otherwise a material one since.
            return accepted is None or bool(material_between(accepted_number, version.number))

        return AcceptanceStatus(
            at=at,
            accepted=accepted,
            in_effect=current,
            must_accept=bool(current) and requires(current),
            material_since=material_between(accepted_number, current.number) if current and accepted else [],
            scheduled=upcoming[0] if upcoming else None,
            next_required=next((v for v in upcoming if requires(v)), None),
        )

    return {account: status_of(best.get(account)) for account in accounts}
