"""The acceptance API's request and answer bodies, as pydantic models (legal/acceptance_api.py).

django-ninja validates requests with them and writes the OpenAPI document from them, so a
field is declared once. Models are built once, at import; answers hold instants as the ISO 8601
text `legal.api._iso` gives (site time), so validation never reparses or reformats them.
Objects refuse fields they do not declare, in requests and in the document alike.
"""

import datetime
import json
import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr, WithJsonSchema
from pydantic_core import PydanticCustomError

from . import clock
from .api import InvalidInstant, parse_instant
from .models import Acceptance, DocumentVersion, language_codes
from .models.acceptances import MAX_IDEMPOTENCY_KEY_LENGTH

# An account id: the product's own opaque identifier, safe in a URL.
ACCOUNT = re.compile(r"[A-Za-z0-9._~:@-]{1,128}")
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")
MAX_VERSION_NUMBER = 999_999_999
# The product's own data about the acceptance (screen, app version, ...), as compact JSON.
MAX_METADATA_BYTES = 2 * 1024
# Accounts per batch status request.
MAX_BATCH_ACCOUNTS = 100
# An Idempotency-Key: visible ASCII, such as a UUID.
IDEMPOTENCY_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}")

Slug = Annotated[
    StrictStr, Field(pattern=f"^{SLUG.pattern}$", description="The document's slug, such as terms-of-service.")
]
Account = Annotated[
    StrictStr, Field(pattern=f"^{ACCOUNT.pattern}$", description="The product's own opaque account id.")
]
Language = Literal[tuple(language_codes())]
Sha256 = Annotated[StrictStr, Field(pattern="^[0-9a-f]{64}$")]
# An instant in an answer: ISO 8601 text with the site's offset.
Instant = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
IdempotencyKey = Annotated[
    str, Field(min_length=1, max_length=MAX_IDEMPOTENCY_KEY_LENGTH, pattern=f"^{IDEMPOTENCY_KEY.pattern}$")
]

INSTANT_EXAMPLE = "such as 2026-11-27T10:00:00+07:00"


def _instant_with_offset(value):
    try:
        if isinstance(value, str):
            return clock.parse_instant(value, offset_required=True)
    except InvalidInstant:
        pass
    raise PydanticCustomError("instant", f"an ISO 8601 date and time with an offset, {INSTANT_EXAMPLE}")


def _site_instant(value):
    """`legal.api.parse_instant`: a date alone is the end of that day, site time."""
    try:
        if isinstance(value, str):
            return parse_instant(value)[0]
    except InvalidInstant:
        pass
    raise PydanticCustomError(
        "instant",
        f"an ISO 8601 date and time, {INSTANT_EXAMPLE} (write '+' as %2B in a query string), or a date",
    )


def _bounded_metadata(value):
    if isinstance(value, dict) and len(json.dumps(value, ensure_ascii=False).encode()) > MAX_METADATA_BYTES:
        raise PydanticCustomError("too_large", f"at most {MAX_METADATA_BYTES} bytes of JSON")
    return value


OffsetInstant = Annotated[
    datetime.datetime,
    BeforeValidator(_instant_with_offset),
    WithJsonSchema({"type": "string", "format": "date-time", "description": "With an offset."}),
]
SiteInstant = Annotated[
    datetime.datetime,
    BeforeValidator(_site_instant),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 64,
            "description": "ISO 8601 instant (default now); without an offset, or a date alone (the end of "
            "that day), site time (Asia/Ho_Chi_Minh).",
        }
    ),
]


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Requests ----------------------------------------------------------------------------


class AcceptanceRequest(Closed):
    document: Slug
    version: Annotated[StrictInt, Field(ge=1, le=MAX_VERSION_NUMBER)]
    language: Language
    sha256: Annotated[Sha256, Field(description="SHA-256 of the text the product showed; refused if it differs.")]
    account: Account
    method: Literal[tuple(Acceptance.Method.values)]
    accepted_at: Annotated[OffsetInstant | None, Field(description="When the account accepted; default: now.")] = None
    metadata: Annotated[
        dict | None,
        BeforeValidator(_bounded_metadata),
        Field(description=f"The product's own data, at most {MAX_METADATA_BYTES} bytes of JSON."),
    ] = None


class BatchStatusRequest(Closed):
    document: Slug
    accounts: Annotated[list[Account], Field(min_length=1, max_length=MAX_BATCH_ACCOUNTS)]
    at: SiteInstant | None = None


# Answers -----------------------------------------------------------------------------


class ErrorField(Closed):
    field: str
    message: str


class ErrorDetail(Closed):
    code: str = Field(description="Stable and machine-readable, such as `sha256_mismatch`.")
    message: str = Field(description="For developers, in English.")
    fields: list[ErrorField] | None = Field(None, description="Validation errors: which field, and why.")


class Error(Closed):
    """Every error of the API, with a 4xx or 5xx status."""

    error: ErrorDetail


class AcceptanceRecord(Closed):
    """A recorded acceptance, with its signed receipt."""

    id: int
    document: str
    version: int
    language: Language
    account: Account
    accepted_at: Instant
    method: str
    text_sha256: Sha256 = Field(description="SHA-256 of the exact text accepted (UTF-8).")
    version_url: str = Field(description="The version's permanent page in the language accepted.")
    product: str
    recorded_at: Instant
    metadata: dict
    receipt: str | None = Field(
        pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
        description=(
            "Compact JWS (alg EdDSA, Ed25519) whose payload is this record without `receipt`, as JSON; "
            "verify it with the key of its `kid` at /.well-known/jwks.json. null only while the site "
            "cannot sign (logged)."
        ),
    )


class VersionSinceAccepted(Closed):
    number: int
    change_kind: Literal[tuple(DocumentVersion.ChangeKind.values)] = Field(
        description="`material` versions require acceptance again; `editorial` ones never do."
    )
    effective_at: Instant
    url: dict[Language, str] = Field(description="The version's permanent page, in each language.")


class AcceptanceStatus(Closed):
    """Which version an account accepted, which is in effect, and whether it must accept again."""

    document: str
    account: Account
    at: Instant
    accepted_version: int | None = Field(
        description="The highest published version the account accepted by `at`; null: it never accepted one."
    )
    in_effect_version: int | None
    scheduled_version: int | None = Field(description="The next version to take effect, if one is scheduled.")
    reacceptance_required: bool = Field(
        description="A material version took effect after the one accepted. Editorial versions never require it; "
        "withdrawn versions never took effect."
    )
    reacceptance_required_from: Instant | None = Field(
        description="When a scheduled material version will require it (unless the account accepts it before)."
    )
    versions_since_accepted: list[VersionSinceAccepted] = Field(
        description="Versions that took effect after the one accepted, up to the one in effect, oldest first."
    )


class BatchStatus(Closed):
    document: str
    at: Instant
    statuses: list[AcceptanceStatus] = Field(description="Each account once, in the order asked.")
