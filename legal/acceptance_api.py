"""The acceptance API for Sigma.video's products (django-ninja), and the public keys of its receipts.

`POST /api/acceptances/` records an acceptance, `GET /api/acceptances/status/` answers whether
an account must accept again (`POST` the same path for many accounts), `GET
/api/acceptances/export/` exports records; `/.well-known/jwks.json` (a plain view, public)
publishes the keys that verify the receipts (`legal.receipts`). Products authenticate with a
bearer token (`ProductToken`, calling `legal.product_auth`); cookies are never read, so no CSRF
token is needed. Bodies and answers are the pydantic models of `legal.acceptance_schemas`, from
which ninja also writes the OpenAPI document that `legal.openapi` serves. Answers are private
(`Cache-Control: no-store`); every error, validation errors included, is
`{"error": {"code": ..., "message": ...}}` like the rest of the API, in English like it.
"""

import csv
import functools
import io
import json
import logging
from typing import Annotated

from ninja import Header, NinjaAPI, Query, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_safe

from . import clock, paging, receipts
from .acceptance_records import AcceptanceRefused, acceptance_statuses, record_acceptance, request_digest
from .acceptance_schemas import (
    AcceptanceRecord,
    AcceptanceRequest,
    AcceptanceStatus,
    Account,
    BatchStatus,
    BatchStatusRequest,
    Error,
    IdempotencyKey,
    SiteInstant,
    Slug,
)
from .api import InvalidInstant, _iso, history_urls, parse_instant
from .histories import history
from .models import Acceptance, Scope
from .product_auth import authenticate
from .receipts import ReceiptKeyError

logger = logging.getLogger("legal.acceptance_api")

# Bodies larger than this are refused unread (413); an acceptance is a few hundred bytes.
MAX_BODY_BYTES = 16 * 1024
# Rows per export answer; `after=<id>` asks for the next page (the `Link: rel="next"` header).
EXPORT_PAGE_SIZE = 10_000
EXPORT_COLUMNS = [
    "id", "document", "version", "language", "account", "accepted_at", "method", "text_sha256", "version_url",
    "product", "recorded_at", "metadata", "receipt",
]  # fmt: skip


# Errors ------------------------------------------------------------------------------


class APIError(Exception):
    """An answer with a status and the API's error shape; `headers` go with it."""

    def __init__(self, status, code, message, *, fields=None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.headers = fields, headers or {}


def error_body(code, message, fields=None):
    detail = {"code": code, "message": message}
    if fields:
        detail["fields"] = fields
    return {"error": detail}


def json_answer(data, *, status=200):
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body.encode("utf-8"), status=status, content_type="application/json")
    add_never_cache_headers(response)
    return response


def error(status, code, message, **headers):
    """The error answer of the views outside ninja (the JWKS, refusals before ninja reads a request)."""
    response = json_answer(error_body(code, message), status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class CompactJSON(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False, "separators": (",", ":")}


class BoundedJSONParser(Parser):
    """Request bodies: application/json and a JSON object (`_guarded` refused larger ones unread)."""

    def parse_body(self, request):
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise APIError(415, "unsupported_media_type", "Send the body as application/json.")
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError):
            raise APIError(400, "malformed_json", "The body is not valid JSON (UTF-8).") from None
        if not isinstance(data, dict):
            raise APIError(400, "malformed_json", "The body must be a JSON object.")
        return data


class AcceptanceAPI(NinjaAPI):
    """Every answer is private: `no-store`, whatever its status."""

    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        add_never_cache_headers(response)
        return response

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """ninja's document, with each operation's scope named in its security requirement."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for item in schema["paths"].values():
            for operation in item.values():
                scope = SCOPES.get(operation.get("operationId"))
                if scope is not None:
                    operation["security"] = [{ProductToken.__name__: [scope]}]
                    operation["description"] = f"Needs a product token with the scope `{scope}`."
        return schema


api = AcceptanceAPI(
    title="Sigma Terms: acceptances",
    version="1",
    urls_namespace="acceptances",
    docs_url=None,
    openapi_url=None,
    parser=BoundedJSONParser(),
    renderer=CompactJSON(),
)


def _answer(request, exc):
    response = api.create_response(request, error_body(exc.code, exc.message, exc.fields), status=exc.status)
    for name, value in exc.headers.items():
        response[name] = value
    return response


@api.exception_handler(APIError)
def _api_error(request, exc):
    return _answer(request, exc)


@api.exception_handler(AcceptanceRefused)
def _refused(request, exc):
    return _answer(request, APIError(exc.status, exc.code, exc.message))


def _field(location):
    # ninja's locations: ("body", "<argument>", field...) or ("query" | "header", field...)
    parts = location[2:] if location[0] == "body" else location[1:]
    return ".".join(str(part) for part in parts) or location[0]


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc):
    fields = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors]
    names = ", ".join(dict.fromkeys(f["field"] for f in fields))
    return _answer(request, APIError(422, "invalid_field", f"Invalid: {names}.", fields=fields))


@api.exception_handler(HttpError)
def _http_error(request, exc):
    if isinstance(exc.__cause__, APIError):  # the parser's refusal, wrapped by ninja
        return _answer(request, exc.__cause__)
    return _answer(request, APIError(exc.status_code, "bad_request", str(exc)))


@api.exception_handler(Exception)
def _server_error(request, exc):
    logger.exception("acceptance API: %s %s failed", request.method, request.path)
    return _answer(request, APIError(500, "server_error", "Something went wrong on our side; the error is logged."))


# Authentication ----------------------------------------------------------------------


class ProductToken(HttpBearer):
    """`Authorization: Bearer <token>` of a product credential with `scope` (legal/product_auth.py).

    A refusal raises APIError: 401 with a `WWW-Authenticate` challenge, 403 for a missing
    scope, 429 with `Retry-After` past the credential's rate limit.
    """

    def __init__(self, scope):
        super().__init__()
        self.scope = scope

    def __call__(self, request):
        credential, refusal = authenticate(request, self.scope)
        if refusal is None:
            return credential
        if refusal.status == 401:
            challenge = 'Bearer realm="sigma-terms"'
            if refusal.code == "invalid_token":
                challenge += ', error="invalid_token"'
            headers = {"WWW-Authenticate": challenge}
        elif refusal.status == 429:
            headers = {"Retry-After": str(refusal.retry_after)}
        else:
            headers = {"WWW-Authenticate": 'Bearer realm="sigma-terms", error="insufficient_scope"'}
        raise APIError(refusal.status, refusal.code, refusal.message, headers=headers)

    def authenticate(self, request, token):  # pragma: no cover - __call__ reads the header itself
        raise NotImplementedError


# The scope each operation needs, by its operationId (also in the OpenAPI document).
SCOPES = {
    "recordAcceptance": Scope.WRITE,
    "acceptanceStatus": Scope.READ,
    "acceptanceStatuses": Scope.READ,
    "exportAcceptances": Scope.EXPORT,
}
AUTH_ERRORS = {401: Error, 403: Error, 429: Error}
ERROR_DESCRIPTIONS = {
    "401": "No token, an unknown one or a revoked one (`WWW-Authenticate: Bearer`).",
    "403": "The token lacks the operation's scope (`insufficient_scope`).",
    "422": "A field is invalid (`invalid_field`, with `fields`), or no document has that slug (`unknown_document`).",
    "429": "Over the credential's requests a minute (`rate_limited`); `Retry-After` says when to retry.",
}


def described(**descriptions):
    """openapi_extra that words each answer (ninja writes only the status's name); ninja's keys are ints."""
    merged = {**ERROR_DESCRIPTIONS, **descriptions}
    return {"responses": {int(status): {"description": text} for status, text in merged.items()}}


def document_named(slug):
    """The History (document and versions, legal/histories.py) of a request's `document` field.

    An unknown one is 422 (a 404 at the API's root would be redirected by LocaleMiddleware to
    the documentation page, which shares its path)."""
    found = history(slug)
    if found is None:
        message = f"No document has the slug {slug!r}."
        raise APIError(422, "unknown_document", message, fields=[{"field": "document", "message": message}])
    return found


# Answers -----------------------------------------------------------------------------


def acceptance_json(acceptance, urls):
    """The record as the API shows it, with its signed `receipt` (legal/receipts.py)."""
    record = {
        "id": acceptance.pk,
        "document": acceptance.document.slug,
        "version": acceptance.version_number,
        "language": acceptance.language,
        "account": acceptance.account,
        "accepted_at": _iso(acceptance.accepted_at),
        "method": acceptance.method,
        "text_sha256": acceptance.text_sha256,
        "version_url": f"{urls[acceptance.language]}{acceptance.version_number}/",
        "product": acceptance.product,
        "recorded_at": _iso(acceptance.recorded_at),
        "metadata": acceptance.metadata,
    }
    return {**record, "receipt": receipts.sign_or_none(record)}


def status_json(document, account, status, urls):
    accepted = status.accepted
    return {
        "document": document.slug,
        "account": account,
        "at": _iso(status.at),
        "accepted_version": accepted and accepted.version_number,
        "in_effect_version": status.in_effect and status.in_effect.number,
        "scheduled_version": status.scheduled and status.scheduled.number,
        "reacceptance_required": status.reacceptance_required,
        "reacceptance_required_from": status.next_required and _iso(status.next_required.effective_at),
        "versions_since_accepted": [
            {
                "number": version.number,
                "change_kind": version.change_kind,
                "effective_at": _iso(version.effective_at),
                "url": {code: f"{url}{version.number}/" for code, url in urls.items()},
            }
            for version in status.since_accepted
        ],
    }


# Operations --------------------------------------------------------------------------


@api.post(
    "/",
    operation_id="recordAcceptance",
    summary="Record that an account accepted a version",
    auth=ProductToken(Scope.WRITE),
    response={
        201: AcceptanceRecord,
        200: AcceptanceRecord,
        400: Error,
        413: Error,
        415: Error,
        422: Error,
        **AUTH_ERRORS,
        503: Error,
    },  # fmt: skip
    openapi_extra=described(
        **{
            "201": "Recorded, with its receipt.",
            "200": "A retry: this `Idempotency-Key` with the same body, or an account that had accepted this "
            "version already. The first record, with its receipt.",
            "400": "The body is not a JSON object (`malformed_json`).",
            "413": f"The body is over {MAX_BODY_BYTES} bytes (`body_too_large`).",
            "415": "The body is not `application/json` (`unsupported_media_type`).",
            "422": "A field is invalid (`invalid_field`, with `fields`), or the acceptance is refused: "
            "`unknown_version`, `version_withdrawn`, `version_superseded` (not in effect at `accepted_at`), "
            "`not_yet_published`, `accepted_at_in_future`, `language_unavailable`, `sha256_mismatch`, or "
            "`idempotency_key_reused` (the key was sent with another body), or `unknown_document`.",
            "503": "Receipts cannot be signed (`receipts_unavailable`); nothing was recorded.",
        }
    ),
)
def record(
    request,
    payload: AcceptanceRequest,
    idempotency_key: Annotated[
        IdempotencyKey | None,
        Header(alias="Idempotency-Key", description="Makes retries safe: the same key and body give the first record."),
    ] = None,
):
    versions = document_named(payload.document)
    document = versions.document
    try:
        receipts.keys()  # no record is written that cannot get its receipt
    except ReceiptKeyError as problem:
        logger.error("acceptance refused: receipts cannot be signed: %s", problem)
        raise APIError(503, "receipts_unavailable", "Receipts cannot be signed right now; nothing was recorded.")
    acceptance, created = record_acceptance(
        credential=request.auth,
        document=document,
        version_number=payload.version,
        account=payload.account,
        language=payload.language,
        method=payload.method,
        accepted_at=payload.accepted_at,
        sha256=payload.sha256,
        metadata=payload.metadata,
        idempotency_key=idempotency_key,
        request_sha256=idempotency_key and request_digest(payload.model_dump(mode="json", exclude_unset=True)),
        versions=versions,
    )
    acceptance.document = document
    return Status(201 if created else 200, acceptance_json(acceptance, history_urls(document)))


@api.get(
    "/status/",
    operation_id="acceptanceStatus",
    summary="Whether an account must accept again",
    auth=ProductToken(Scope.READ),
    response={200: AcceptanceStatus, 422: Error, **AUTH_ERRORS},
    openapi_extra=described(**{"200": "The account's status at `at`."}),
)
def status(request, document: Slug, account: Account, at: SiteInstant | None = None):
    versions = document_named(document)
    found = versions.document
    statuses = acceptance_statuses(found, [account], at, versions=versions)
    return status_json(found, account, statuses[account], history_urls(found))


@api.post(
    "/status/",
    operation_id="acceptanceStatuses",
    summary="The status of many accounts at once",
    auth=ProductToken(Scope.READ),
    response={200: BatchStatus, 400: Error, 413: Error, 415: Error, 422: Error, **AUTH_ERRORS},
    openapi_extra=described(
        **{
            "200": "Each account's status, as `GET` answers it.",
            "400": "The body is not a JSON object (`malformed_json`).",
            "413": f"The body is over {MAX_BODY_BYTES} bytes (`body_too_large`).",
            "415": "The body is not `application/json` (`unsupported_media_type`).",
        }
    ),
)
def statuses(request, payload: BatchStatusRequest):
    versions = document_named(payload.document)
    found = versions.document
    accounts = list(dict.fromkeys(payload.accounts))  # once each, in the order asked
    answers = acceptance_statuses(found, accounts, payload.at, versions=versions)
    urls = history_urls(found)
    return {
        "document": found.slug,
        "at": _iso(answers[accounts[0]].at),
        "statuses": [status_json(found, account, answers[account], urls) for account in accounts],
    }


def _csv_cell(value):
    """Text that a spreadsheet shows as text, never runs as a formula."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(records):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for record in records:
        writer.writerow([_csv_cell("" if record[c] is None else record[c]) for c in EXPORT_COLUMNS])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@api.get(
    "/export/",
    operation_id="exportAcceptances",
    summary="Export the records, oldest first",
    auth=ProductToken(Scope.EXPORT),
    response={422: Error, **AUTH_ERRORS},
    openapi_extra={
        "responses": {
            **described()["responses"],
            200: {
                "description": (
                    f"At most {EXPORT_PAGE_SIZE} records, each as in `AcceptanceRecord`; a `Link: <...>; "
                    'rel="next"` header gives the next page. CSV columns: ' + ", ".join(EXPORT_COLUMNS) + "."
                ),
                "content": {
                    "application/x-ndjson": {"schema": {"type": "string", "description": "One record a line."}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            },
        },
    },
)
def export(
    request,
    document: Slug,
    account: Account | None = None,
    format: str = Query("jsonl", pattern="^(jsonl|csv)$"),  # noqa: A002 - the parameter's public name
    since: str | None = Query(None, max_length=64, description="Recorded from then (ISO 8601 or a date)."),
    after: int = Query(0, ge=0, le=2**63 - 1, description="From the `Link` header: the last id of a page."),
):
    found = document_named(document).document
    since_at = None
    if since is not None:
        try:
            since_at, day = parse_instant(since)
        except InvalidInstant:
            raise APIError(422, "invalid_field", "Invalid: since.", fields=[
                {"field": "since", "message": "an ISO 8601 date and time or a date"}
            ]) from None  # fmt: skip
        if day is not None:  # a date alone: from the start of that day, site time
            since_at = clock.day_span(day)[0]
    rows = Acceptance.objects.filter(document=found).recorded_since(since_at)
    if account is not None:
        rows = rows.filter(account=account)
    page, next_after = paging.keyset_page(rows, after=after, size=EXPORT_PAGE_SIZE)
    urls = history_urls(found)

    def records():
        for acceptance in page.iterator(chunk_size=1000):
            acceptance.document = found
            yield acceptance_json(acceptance, urls)

    if format == "csv":
        response = StreamingHttpResponse(csv_lines(records()), content_type="text/csv; charset=utf-8")
    else:
        lines = (json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records())
        response = StreamingHttpResponse(lines, content_type="application/x-ndjson; charset=utf-8")
    name = found.slug if account is None else f"{found.slug}-{account}"
    response["Content-Disposition"] = f'attachment; filename="{name}-acceptances.{format}"'
    if next_after is not None:
        response["Link"] = paging.next_link(request, after=next_after)
    add_never_cache_headers(response)
    return response


# Mounting ----------------------------------------------------------------------------


def _guarded(view):
    """Refusals before ninja reads a request, in the API's error shape: 405, and 413 unread."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > MAX_BODY_BYTES:
            return error(413, "body_too_large", f"The body is too large: at most {MAX_BODY_BYTES} bytes.")
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            return error(405, "method_not_allowed", f"Use {allowed}.", Allow=allowed)
        return response

    return guarded


def urlpatterns():
    """ninja's URL patterns, each behind `_guarded`; mounted at api/acceptances/ by sigma_terms.urls."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _guarded(pattern.callback)
    return patterns, app_name, namespace


@require_safe
def jwks(request):
    """`/.well-known/jwks.json`: the public keys that verify acceptance receipts."""
    try:
        keys = receipts.jwks()
    except ReceiptKeyError as problem:
        logger.error("the JWKS cannot be served: %s", problem)
        return error(503, "receipts_unavailable", "The receipt keys are not available right now.")
    body = json.dumps(keys, separators=(",", ":")).encode("ascii")
    response = HttpResponse(body, content_type="application/jwk-set+json")
    patch_cache_control(response, public=True, max_age=settings.JWKS_MAX_AGE)
    response["Access-Control-Allow-Origin"] = "*"
    return response
