"""The OpenAPI 3.1 description of the acceptance API, and a page for people.

legal/openapi.py serves it within the site's one OpenAPI document (`/api/openapi.json`).
Written by hand next to the views it describes (legal/acceptance_api.py), and held to them by
tests/test_openapi_acceptances.py: the document passes openapi-spec-validator, every answer the tests get
is validated against its schema, and every documented answer is produced at least once.
Objects forbid undocumented fields, so a field added to a view without its description fails.
The page at `/<lang>/api/acceptances/` is made from the same document (its technical
descriptions are English, like the API's messages; the page says so in Vietnamese).
"""

from django.conf import settings
from django.views.generic import TemplateView

from .acceptance_api import (
    ACCOUNT,
    EXPORT_COLUMNS,
    EXPORT_PAGE_SIZE,
    MAX_BATCH_ACCOUNTS,
    MAX_BODY_BYTES,
    MAX_METADATA_BYTES,
    MAX_VERSION_NUMBER,
)
from .models import Acceptance, DocumentVersion, Scope, language_codes

SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
INSTANT = {"type": "string", "format": "date-time"}
ACCOUNT_ID = {"type": "string", "pattern": f"^{ACCOUNT.pattern}$"}
LANGUAGE = {"type": "string", "enum": language_codes()}
PER_LANGUAGE_TEXT = {
    "type": "object",
    "properties": {code: {"type": "string"} for code in language_codes()},
    "required": language_codes(),
    "additionalProperties": False,
}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(name):
    return {"oneOf": [ref(name), {"type": "null"}]}


def closed(properties, required=None):
    """An object with exactly these properties (all required unless said otherwise)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


SCHEMAS = {
    "Error": closed(
        {
            "error": closed(
                {
                    "code": {"type": "string", "description": "Stable, machine-readable: e.g. `sha256_mismatch`."},
                    "message": {"type": "string", "description": "For developers, in English."},
                }
            )
        }
    ),
    "AcceptanceRequest": closed(
        {
            "account": {**ACCOUNT_ID, "description": "The product's own opaque account id."},
            "version": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION_NUMBER},
            "language": LANGUAGE,
            "method": {"type": "string", "enum": Acceptance.Method.values, "default": Acceptance.Method.CLICKWRAP},
            "accepted_at": {**INSTANT, "description": "With an offset; default: now."},
            "sha256": {**SHA256, "description": "SHA-256 of the text the product showed; refused if it differs."},
            "metadata": {
                "type": "object",
                "description": f"The product's own data, at most {MAX_METADATA_BYTES} bytes.",
            },
        },
        required=["account", "version", "language"],
    ),
    "Acceptance": closed(
        {
            "id": {"type": "integer"},
            "document": {"type": "string"},
            "version": {"type": "integer"},
            "language": LANGUAGE,
            "account": ACCOUNT_ID,
            "accepted_at": INSTANT,
            "method": {"type": "string", "enum": Acceptance.Method.values},
            "text_sha256": {**SHA256, "description": "SHA-256 of the exact text accepted (UTF-8)."},
            "version_url": {"type": "string", "format": "uri"},
            "product": {"type": "string"},
            "recorded_at": INSTANT,
            "metadata": {"type": "object"},
            "receipt": {
                "type": ["string", "null"],
                "pattern": r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
                "description": (
                    "Compact JWS (alg EdDSA, Ed25519) whose payload is this record without `receipt`, "
                    "as JSON; verify it with the key of its `kid` at /.well-known/jwks.json. "
                    "null only while the site cannot sign (logged)."
                ),
            },
        }
    ),
    "VersionSummary": closed(
        {
            "number": {"type": "integer"},
            "effective_at": INSTANT,
            "change_kind": {"type": "string", "enum": DocumentVersion.ChangeKind.values},
            "sha256": {
                **PER_LANGUAGE_TEXT,
                "properties": {code: {"type": "string", "pattern": "^([0-9a-f]{64})?$"} for code in language_codes()},
            },
            "url": PER_LANGUAGE_TEXT,
        }
    ),
    "Status": closed(
        {
            "document": {"type": "string"},
            "account": ACCOUNT_ID,
            "at": INSTANT,
            "accepted": {
                **nullable("Acceptance"),
                "description": "The acceptance of the highest-numbered published version, if any.",
            },
            "in_effect": nullable("VersionSummary"),
            "must_accept": {
                "type": "boolean",
                "description": "Never accepted, or a material version took effect after the one accepted.",
            },
            "material_changes_since_accepted": {"type": "array", "items": {"type": "integer"}},
            "scheduled": nullable("VersionSummary"),
            "next_required": {
                "oneOf": [
                    closed({"number": {"type": "integer"}, "required_from": INSTANT}),
                    {"type": "null"},
                ]
            },
        }
    ),
    "BatchStatusRequest": closed(
        {
            "accounts": {"type": "array", "items": ACCOUNT_ID, "minItems": 1, "maxItems": MAX_BATCH_ACCOUNTS},
            "at": {"type": "string", "description": "ISO 8601; a date alone means the end of that day, site time."},
        },
        required=["accounts"],
    ),
    "BatchStatus": closed(
        {
            "document": {"type": "string"},
            "at": INSTANT,
            "statuses": {"type": "array", "items": ref("Status"), "description": "Each account once, as asked."},
        }
    ),
    "JWKS": closed(
        {
            "keys": {
                "type": "array",
                "items": closed(
                    {
                        "kty": {"const": "OKP"},
                        "crv": {"const": "Ed25519"},
                        "x": {"type": "string"},
                        "kid": {"type": "string", "description": "RFC 7638 thumbprint."},
                        "use": {"const": "sig"},
                        "alg": {"const": "EdDSA"},
                    }
                ),
            }
        }
    ),
}


def json_body(schema, description):
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def failure(description):
    return json_body("Error", description)


SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}, "example": "terms-of-service"}
AT = {
    "name": "at",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "ISO 8601 instant (default now); a date alone means the end of that day, site time.",
}
AUTH_FAILURES = {
    "401": failure("No token, an unknown one or a revoked one (`WWW-Authenticate: Bearer`)."),
    "403": failure("The token lacks the operation's scope (`insufficient_scope`)."),
    "404": failure("No document has this slug (`not_found`)."),
    "429": failure("Over the credential's requests a minute (`rate_limited`); `Retry-After` says when to retry."),
}
BODY_FAILURES = {
    "400": failure("`malformed_json` or `invalid_field`."),
    "413": failure(f"The body is over {MAX_BODY_BYTES} bytes (`body_too_large`)."),
    "415": failure("The body is not `application/json`."),
}


def operation(summary, scope, responses, **extra):
    return {
        "summary": summary,
        "security": [{"productToken": [scope]}],
        "description": f"Needs a product token with the scope `{scope}`.",
        "responses": responses,
        **extra,
    }


PATHS = {
    "/api/documents/{slug}/acceptances/": {
        "parameters": [SLUG],
        "post": operation(
            "Record that an account accepted a version",
            Scope.WRITE,
            {
                "201": json_body("Acceptance", "Recorded, with its receipt."),
                "200": json_body("Acceptance", "This account had accepted this version: the first record."),
                **BODY_FAILURES,
                **AUTH_FAILURES,
                "422": failure(
                    "`unknown_version`, `version_withdrawn`, `version_superseded`, `not_yet_published`, "
                    "`accepted_at_in_future` or `sha256_mismatch`."
                ),
                "503": failure("Receipts cannot be signed (`receipts_unavailable`); nothing was recorded."),
            },
            requestBody={"required": True, "content": {"application/json": {"schema": ref("AcceptanceRequest")}}},
        ),
    },
    "/api/documents/{slug}/acceptances/{account}/": {
        "parameters": [SLUG, {"name": "account", "in": "path", "required": True, "schema": {"type": "string"}}],
        "get": operation(
            "Whether an account must accept (again)",
            Scope.READ,
            {
                "200": json_body("Status", "The account's status at `at`."),
                "400": failure("`invalid_account` or `invalid_at`."),
                **AUTH_FAILURES,
            },
            parameters=[AT],
        ),
    },
    "/api/documents/{slug}/acceptances/status": {
        "parameters": [SLUG],
        "post": operation(
            f"The status of up to {MAX_BATCH_ACCOUNTS} accounts at once",
            Scope.READ,
            {"200": json_body("BatchStatus", "Each account's status."), **BODY_FAILURES, **AUTH_FAILURES},
            requestBody={"required": True, "content": {"application/json": {"schema": ref("BatchStatusRequest")}}},
        ),
    },
    "/api/documents/{slug}/acceptances/export": {
        "parameters": [SLUG],
        "get": operation(
            "Export the records, oldest first",
            Scope.EXPORT,
            {
                "200": {
                    "description": (
                        f"At most {EXPORT_PAGE_SIZE} records, each as in `Acceptance`; a `Link: <...>; "
                        'rel="next"` header gives the next page. CSV columns: ' + ", ".join(EXPORT_COLUMNS) + "."
                    ),
                    "content": {
                        "application/x-ndjson": {"schema": {"type": "string", "description": "One record a line."}},
                        "text/csv": {"schema": {"type": "string"}},
                    },
                },
                "400": failure("`invalid_format`, `invalid_since` or `invalid_after`."),
                **AUTH_FAILURES,
            },
            parameters=[
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["jsonl", "csv"]}},
                {"name": "since", "in": "query", "schema": {"type": "string"}, "description": "Recorded from then."},
                {"name": "after", "in": "query", "schema": {"type": "string"}, "description": "From the `Link`."},
            ],
        ),
    },
    "/.well-known/jwks.json": {
        "get": {
            "summary": "The public keys that verify receipts (current first, then retired ones)",
            "security": [],
            "responses": {
                "200": {
                    "description": "A JSON Web Key Set.",
                    "content": {"application/jwk-set+json": {"schema": ref("JWKS")}},
                },
                "503": failure("No key is configured (`receipts_unavailable`)."),
            },
        }
    },
}


def document():
    """The OpenAPI document, with the site's own address as its server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sigma Terms: acceptances",
            "version": "1",
            "description": (
                "For Sigma.video's products: record which account accepted which text of the Terms, "
                "ask who must accept again, export the evidence. Errors are "
                '`{"error": {"code": ..., "message": ...}}`; answers are `Cache-Control: no-store`.'
            ),
        },
        "servers": [{"url": settings.SITE_URL}],
        "security": [{"productToken": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "productToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "`Authorization: Bearer <token>`, a token from `manage.py create_product_token`.",
                }
            },
        },
    }


def _type_of(schema):
    if "enum" in schema:
        return " | ".join(str(value) for value in schema["enum"])
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "")
    if kind == "array":
        return f"array of {_type_of(schema.get('items', {}))}"
    return " | ".join(kind) if isinstance(kind, list) else kind


def operations(spec):
    """Each operation of `spec`, flattened for the documentation page."""
    schemas = spec["components"]["schemas"]
    listed = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            parameters = [*item.get("parameters", []), *op.get("parameters", [])]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            body_schema = schemas[body["$ref"].rsplit("/", 1)[-1]] if body else {}
            listed.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op["summary"],
                    "scopes": [scope for requirement in op.get("security", []) for scope in requirement.values()],
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _type_of(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in parameters
                    ],
                    "fields": [
                        {
                            "name": name,
                            "required": name in body_schema.get("required", []),
                            "type": _type_of(field),
                            "description": field.get("description", ""),
                        }
                        for name, field in body_schema.get("properties", {}).items()
                    ],
                    "responses": [
                        {"status": status, "description": answer["description"]}
                        for status, answer in sorted(op["responses"].items())
                    ],
                }
            )
    return listed


class DocsView(TemplateView):
    """`/<lang>/api/acceptances/`: the OpenAPI document as a page for the products' developers."""

    template_name = "legal/api_docs.html"

    def get_context_data(self, **kwargs):
        spec = document()
        return super().get_context_data(**kwargs, spec=spec, operations=operations(spec))
