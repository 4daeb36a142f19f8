"""JSON API for Sigma.video's products: record acceptances, ask who must accept again, export.

`POST /api/documents/<slug>/acceptances/` (record), `GET /api/documents/<slug>/acceptances/<account>/`
(status), `POST /api/documents/<slug>/acceptances/status` (status of many accounts),
`GET /api/documents/<slug>/acceptances/export`, and the public `/.well-known/jwks.json` that
verifies the records' receipts (`legal.receipts`). Products authenticate with a bearer token
(`legal.product_auth`); cookies are never read, so these views need no CSRF token. Answers
are private (`Cache-Control: no-store`); errors have the shape of the rest of the API,
`{"error": {"code": ..., "message": ...}}`, in English like the rest of the API.
"""

import csv
import io
import json
import logging
import re

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from . import clock, receipts
from .acceptance_records import AcceptanceRefused, acceptance_status, acceptance_statuses, record_acceptance
from .api import InvalidInstant, _iso, history_urls, parse_instant
from .links import site_url
from .models import Acceptance, Document, Scope, language_codes
from .product_auth import authenticate
from .receipts import ReceiptKeyError

logger = logging.getLogger("legal.acceptance_api")

# Bodies larger than this are refused unread (413); an acceptance is a few hundred bytes.
MAX_BODY_BYTES = 16 * 1024
# The product's own data about the acceptance (screen, app version, ...), as compact JSON.
MAX_METADATA_BYTES = 2 * 1024
# An account id: the product's own opaque identifier, safe in a URL path.
ACCOUNT = re.compile(r"[A-Za-z0-9._~:@-]{1,128}")
SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_VERSION_NUMBER = 999_999_999
# Accounts per batch status request: 100 ids of 128 characters fit in MAX_BODY_BYTES.
MAX_BATCH_ACCOUNTS = 100
FIELDS = {"account", "version", "language", "accepted_at", "method", "sha256", "metadata"}
# Rows per export answer; `after=<id>` asks for the next page (the `Link: rel="next"` header).
EXPORT_PAGE_SIZE = 10_000
EXPORT_COLUMNS = [
    "id", "document", "version", "language", "account", "accepted_at", "method", "text_sha256", "version_url",
    "product", "recorded_at", "metadata", "receipt",
]  # fmt: skip


def json_answer(data, *, status=200):
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body.encode("utf-8"), status=status, content_type="application/json")
    add_never_cache_headers(response)
    return response


def error(status, code, message, **headers):
    response = json_answer({"error": {"code": code, "message": message}}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def refusal_response(refusal):
    if refusal.status == 401:
        challenge = 'Bearer realm="sigma-terms"'
        if refusal.code == "invalid_token":
            challenge += ', error="invalid_token"'
        return error(401, refusal.code, refusal.message, WWW_Authenticate=challenge)
    if refusal.status == 429:
        return error(429, refusal.code, refusal.message, Retry_After=str(refusal.retry_after))
    return error(
        refusal.status,
        refusal.code,
        refusal.message,
        WWW_Authenticate='Bearer realm="sigma-terms", error="insufficient_scope"',
    )


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


def version_summary(version, urls):
    if version is None:
        return None
    return {
        "number": version.number,
        "effective_at": _iso(version.effective_at),
        "change_kind": version.change_kind,
        "sha256": {code: getattr(version, f"body_sha256_{code}") for code in language_codes()},
        "url": {code: f"{urls[code]}{version.number}/" for code in language_codes()},
    }


class ProductAPIView(View):
    """Authenticates every request by its bearer token and the view's `scope`; JSON errors."""

    scope = None

    @method_decorator(csrf_exempt)
    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        credential, refusal = authenticate(request, self.scope)
        if refusal is not None:
            return refusal_response(refusal)
        request.product_credential = credential
        document = Document.objects.filter(slug=kwargs["slug"]).first()
        if document is None:
            return error(404, "not_found", f"No document has the slug {kwargs['slug']!r}.")
        kwargs["document"] = document
        return super().dispatch(request, *args, **kwargs)

    def http_method_not_allowed(self, request, *args, **kwargs):
        allowed = ", ".join(m.upper() for m in self.http_method_names if m != "options")
        return error(405, "method_not_allowed", f"Use {allowed}.", Allow=allowed)


class InvalidField(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message


def parse_acceptance(data):
    """Keyword arguments of `record_acceptance` from a request body's JSON object."""
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise InvalidField(unknown[0], f"Unknown field {unknown[0]!r}; the fields are {', '.join(sorted(FIELDS))}.")
    account = data.get("account")
    if not isinstance(account, str) or not ACCOUNT.fullmatch(account):
        raise InvalidField("account", "'account' is required: 1 to 128 letters, digits or . _ ~ : @ -")
    number = data.get("version")
    if type(number) is not int or not 0 < number <= MAX_VERSION_NUMBER:
        raise InvalidField("version", "'version' is required: a published version's number.")
    language = data.get("language")
    if language not in language_codes():
        raise InvalidField("language", f"'language' is required: one of {', '.join(language_codes())}.")
    method = data.get("method", Acceptance.Method.CLICKWRAP)
    if method not in Acceptance.Method.values:
        raise InvalidField("method", f"'method' must be one of {', '.join(Acceptance.Method.values)}.")
    accepted_at = data.get("accepted_at")
    if accepted_at is not None:
        try:
            parsed = clock.parse_instant(accepted_at, offset_required=True) if isinstance(accepted_at, str) else None
        except clock.InvalidInstant:
            parsed = None
        if parsed is None:
            raise InvalidField(
                "accepted_at",
                "'accepted_at' must be an ISO 8601 date and time with an offset, such as 2026-11-27T10:00:00+07:00.",
            )
        accepted_at = parsed
    sha256 = data.get("sha256")
    if sha256 is not None and not (isinstance(sha256, str) and SHA256.fullmatch(sha256)):
        raise InvalidField("sha256", "'sha256' must be 64 lower-case hexadecimal digits.")
    metadata = data.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise InvalidField("metadata", "'metadata' must be a JSON object.")
        if len(json.dumps(metadata, ensure_ascii=False, separators=(",", ":")).encode()) > MAX_METADATA_BYTES:
            raise InvalidField("metadata", f"'metadata' is too large: at most {MAX_METADATA_BYTES} bytes of JSON.")
    return {
        "account": account, "version_number": number, "language": language, "method": method,
        "accepted_at": accepted_at, "sha256": sha256, "metadata": metadata,
    }  # fmt: skip


def read_json_body(request):
    """(data, None) or (None, error response): a bounded, well-formed JSON object."""
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return None, error(415, "unsupported_media_type", "Send the body as application/json.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    too_large = error(413, "body_too_large", f"The body is too large: at most {MAX_BODY_BYTES} bytes.")
    if declared > MAX_BODY_BYTES:
        return None, too_large
    raw = request.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        return None, too_large
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None, error(400, "malformed_json", "The body is not valid JSON (UTF-8).")
    if not isinstance(data, dict):
        return None, error(400, "malformed_json", "The body must be a JSON object.")
    return data, None


class RecordAcceptanceView(ProductAPIView):
    http_method_names = ["post"]
    scope = Scope.WRITE

    def post(self, request, slug, document):
        data, problem = read_json_body(request)
        if problem is not None:
            return problem
        try:
            fields = parse_acceptance(data)
        except InvalidField as invalid:
            response = error(400, "invalid_field", invalid.message)
            return response
        try:
            receipts.keys()  # no record is written that cannot get its receipt
        except ReceiptKeyError as problem:
            logger.error("acceptance refused: receipts cannot be signed: %s", problem)
            return error(503, "receipts_unavailable", "Receipts cannot be signed right now; nothing was recorded.")
        try:
            acceptance, created = record_acceptance(credential=request.product_credential, document=document, **fields)
        except AcceptanceRefused as refused:
            return error(refused.status, refused.code, refused.message)
        return json_answer(acceptance_json(acceptance, history_urls(document)), status=201 if created else 200)


class AcceptanceStatusView(ProductAPIView):
    http_method_names = ["get", "head"]
    scope = Scope.READ

    def get(self, request, slug, account, document):
        if not ACCOUNT.fullmatch(account):
            return error(400, "invalid_account", "An account is 1 to 128 letters, digits or . _ ~ : @ -")
        at = None
        if "at" in request.GET:
            try:
                at, _day = parse_instant(request.GET["at"])
            except InvalidInstant:
                return error(
                    400, "invalid_at", "'at' must be an ISO 8601 date and time, such as 2026-11-24T00:00:00+07:00."
                )
        return json_answer(status_json(document, account, acceptance_status(document, account, at)))


def status_json(document, account, status, urls=None):
    urls = history_urls(document) if urls is None else urls
    return {
        "document": document.slug,
        "account": account,
        "at": _iso(status.at),
        "accepted": status.accepted and acceptance_json(status.accepted, urls),
        "in_effect": version_summary(status.in_effect, urls),
        "must_accept": status.must_accept,
        "material_changes_since_accepted": status.material_since,
        "scheduled": version_summary(status.scheduled, urls),
        "next_required": status.next_required
        and {"number": status.next_required.number, "required_from": _iso(status.next_required.effective_at)},
    }


class BatchStatusView(ProductAPIView):
    """Many accounts in one request: `{"accounts": [...], "at": ...}`, at most MAX_BATCH_ACCOUNTS."""

    http_method_names = ["post"]
    scope = Scope.READ

    def post(self, request, slug, document):
        data, problem = read_json_body(request)
        if problem is not None:
            return problem
        unknown = sorted(set(data) - {"accounts", "at"})
        if unknown:
            return error(400, "invalid_field", f"Unknown field {unknown[0]!r}; the fields are accounts, at.")
        accounts = data.get("accounts")
        if not isinstance(accounts, list) or not 0 < len(accounts) <= MAX_BATCH_ACCOUNTS:
            return error(
                400, "invalid_field", f"'accounts' is required: a list of 1 to {MAX_BATCH_ACCOUNTS} account ids."
            )
        for account in accounts:
            if not isinstance(account, str) or not ACCOUNT.fullmatch(account):
                return error(400, "invalid_field", "Each of 'accounts' is 1 to 128 letters, digits or . _ ~ : @ -")
        accounts = list(dict.fromkeys(accounts))  # once each, in the order asked
        at = data.get("at")
        if at is not None:
            try:
                if not isinstance(at, str):
                    raise InvalidInstant(at)
                at, _day = parse_instant(at)
            except InvalidInstant:
                return error(
                    400, "invalid_field", "'at' must be an ISO 8601 date and time, such as 2026-11-24T00:00:00+07:00."
                )
        statuses = acceptance_statuses(document, accounts, at)
        urls = history_urls(document)
        any_status = statuses[accounts[0]]
        return json_answer(
            {
                "document": document.slug,
                "at": _iso(any_status.at),
                "statuses": [status_json(document, account, statuses[account], urls) for account in accounts],
            }
        )


def _csv_cell(value):
    """Text that a spreadsheet shows as text, never runs as a formula."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class ExportAcceptancesView(ProductAPIView):
    http_method_names = ["get", "head"]
    scope = Scope.EXPORT

    def get(self, request, slug, document):
        output = request.GET.get("format", "jsonl")
        if output not in ("jsonl", "csv"):
            return error(400, "invalid_format", "'format' must be jsonl or csv.")
        since = None
        if "since" in request.GET:
            try:
                since, day = parse_instant(request.GET["since"])
            except InvalidInstant:
                return error(
                    400,
                    "invalid_since",
                    "'since' must be an ISO 8601 date and time, such as 2026-11-24T00:00:00+07:00.",
                )
            if day is not None:  # a date alone: from the start of that day, site time
                since = clock.day_span(day)[0]
        after = request.GET.get("after", "0")
        if not (after.isascii() and after.isdigit() and len(after) < 19):
            return error(400, "invalid_after", "'after' must be the id of the last record of the previous page.")
        rows = (
            Acceptance.objects.filter(document=document, pk__gt=int(after))
            .recorded_since(since)
            .select_related("document")
            .order_by("pk")
        )
        last = list(rows.values_list("pk", flat=True)[EXPORT_PAGE_SIZE - 1 : EXPORT_PAGE_SIZE + 1])
        urls = history_urls(document)
        records = (acceptance_json(a, urls) for a in rows[:EXPORT_PAGE_SIZE].iterator(chunk_size=1000))
        if output == "csv":
            response = StreamingHttpResponse(csv_lines(records), content_type="text/csv; charset=utf-8")
        else:
            lines = (json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
            response = StreamingHttpResponse(lines, content_type="application/x-ndjson; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{document.slug}-acceptances.{output}"'
        if len(last) == 2:
            query = request.GET.copy()
            query["after"] = str(last[0])
            response["Link"] = f'<{site_url(f"{request.path}?{query.urlencode()}")}>; rel="next"'
        add_never_cache_headers(response)
        return response


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
