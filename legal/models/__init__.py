"""The legal app's models, one topic per module; import them from here (`from legal.models import …`).

- `documents`: documents and their versions, every "which version" question, and the record's guards.
- `acceptances`: product credentials and the acceptances they record.
- `evidence`: the transparency log, RFC 3161 time-stamps and PDFs of record.
- `redlines`: redlines of published pairs, stored once.
- `reviews`: the review hand-off's records and the language staff read in.
- `section_ledger`: which authoritative text each translated section was confirmed against.
- `subscriptions`: email subscriptions and the outbox of notices.
- `webhooks`: webhook endpoints, their deliveries and the delivery log.
"""

from .acceptances import Acceptance, ProductCredential, Scope
from .documents import (
    ALWAYS_MUTABLE_FIELDS,
    PUBLISH_PERMISSION,
    WITHDRAWAL_FIELDS,
    DayStretch,
    Document,
    DocumentQuerySet,
    DocumentVersion,
    DocumentVersionQuerySet,
    ProtectedVersionError,
    PublicState,
    body_sha256,
    frozen_field_names,
    in_effect_among,
    language_codes,
    listed_version,
    normalise_text,
    rendered_field_names,
    scheduled_among,
    text_and_rendering_field_names,
    text_field_names,
    text_sha256,
)
from .evidence import AppendOnlyError, LogLeaf, RecordPdf, Timestamp, TreeHead
from .redlines import StoredRedline
from .reviews import Review, ReviewState, StaffLanguage, draft_fingerprint
from .section_ledger import ANCHOR_MAX_LENGTH, REASON_MAX_LENGTH, SectionConfirmation
from .subscriptions import Notification, Subscription
from .webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ALWAYS_MUTABLE_FIELDS",
    "ANCHOR_MAX_LENGTH",
    "PUBLISH_PERMISSION",
    "REASON_MAX_LENGTH",
    "WITHDRAWAL_FIELDS",
    "Acceptance",
    "AppendOnlyError",
    "DayStretch",
    "Document",
    "DocumentQuerySet",
    "DocumentVersion",
    "DocumentVersionQuerySet",
    "LogLeaf",
    "Notification",
    "ProductCredential",
    "ProtectedVersionError",
    "PublicState",
    "RecordPdf",
    "Review",
    "ReviewState",
    "Scope",
    "SectionConfirmation",
    "StaffLanguage",
    "StoredRedline",
    "Subscription",
    "Timestamp",
    "TreeHead",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "body_sha256",
    "draft_fingerprint",
    "frozen_field_names",
    "in_effect_among",
    "listed_version",
    "language_codes",
    "normalise_text",
    "rendered_field_names",
    "scheduled_among",
    "text_and_rendering_field_names",
    "text_field_names",
    "text_sha256",
]
