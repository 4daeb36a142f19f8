"""The acceptance API in /api/openapi.json: valid, and true of every answer the acceptance API gives."""

import json

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from legal.acceptance_schemas import AcceptanceRequest
from legal.models import ProductCredential, Scope
from legal.openapi import acceptance_paths
from legal.product_auth import issue_credential
from tests.conftest import make_version, site_time
from tests.test_acceptance_api import DOCUMENT, acceptance_body, bearer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_site_url")]

PATH = "/api/acceptances/"
STATUS_PATH = "/api/acceptances/status/"
EXPORT_PATH = "/api/acceptances/export/"
RECORD = (PATH, "post")
STATUS = (STATUS_PATH, "get")
BATCH = (STATUS_PATH, "post")
EXPORT = (EXPORT_PATH, "get")
JWKS = ("/.well-known/jwks.json", "get")
ACCEPTANCE_PATHS = [*acceptance_paths(), "/.well-known/jwks.json"]


class Conformance:
    """Validates answers against the document and remembers which documented answers were seen."""

    def __init__(self, spec):
        self.spec = spec
        self.registry = Registry().with_resource("urn:openapi", Resource(contents=spec, specification=DRAFT202012))
        self.seen = set()

    def validator(self, schema):
        assert set(schema) == {"$ref"}, "bodies are described by named schemas"
        return Draft202012Validator(
            {"$ref": "urn:openapi" + schema["$ref"]},
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )

    def request(self, operation, body):
        template, method = operation
        schema = self.spec["paths"][template][method]["requestBody"]["content"]["application/json"]["schema"]
        self.validator(schema).validate(body)
        return json.dumps(body)

    def check(self, operation, response):
        template, method = operation
        responses = self.spec["paths"][template][method]["responses"]
        status = str(response.status_code)
        assert status in responses, f"{method.upper()} {template} answered {status}, which is not documented"
        content_type = response["Content-Type"].split(";")[0]
        content = responses[status]["content"]
        assert content_type in content, f"{method.upper()} {template} {status} answered {content_type}"
        schema = content[content_type]["schema"]
        if "$ref" in schema:
            self.validator(schema).validate(json.loads(response.content))
        else:
            assert schema["type"] == "string" and b"".join(response.streaming_content)
        self.seen.add((template, method, status))
        return response

    def documented(self):
        return {
            (template, method, status)
            for template, item in self.spec["paths"].items()
            if template in ACCEPTANCE_PATHS  # the public API's answers are tests/test_openapi.py's
            for method, operation in item.items()
            if method != "parameters"
            for status in operation["responses"]
        }


@pytest.fixture
def conformance(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return Conformance(response.json())


def test_the_document_is_valid_openapi_and_served_publicly(client, db):
    response = client.get("/api/openapi.json")
    assert response["Content-Type"] == "application/json"
    # The publish lead bounds every max-age, less the margin for caches that count whole seconds.
    assert response["Cache-Control"] == "public, max-age=298"
    assert response["Access-Control-Allow-Origin"] == "*"
    spec = response.json()
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    assert spec["servers"] == [{"url": "https://terms.sigma.video"}]
    assert client.post("/api/openapi.json").status_code == 405


def test_every_answer_matches_the_document_and_every_documented_answer_happens(client, terms, conformance, settings):
    """Each operation and status, success and failure, against the schemas (no undocumented field)."""
    _c, token = issue_credential(name="Media VOD")
    _c, reader = issue_credential(name="Reader", scopes=[Scope.READ])
    _c, writer = issue_credential(name="Writer", scopes=[Scope.WRITE])
    _c, revoked = issue_credential(name="Gone")
    ProductCredential.objects.filter(name="Gone").update(revoked_at=site_time(2026, 11, 1))
    auth = bearer(token)
    as_json = {"content_type": "application/json"}

    def record(body, headers=auth, raw=None, **extra):
        data = raw if raw is not None else conformance.request(RECORD, body)
        return conformance.check(RECORD, client.post(PATH, data, **as_json, **headers, **extra))

    def status(account, headers=auth, document=DOCUMENT, **params):
        query = {"document": document, "account": account, **params}
        return conformance.check(STATUS, client.get(STATUS_PATH, query, **headers))

    def batch(body, headers=auth, raw=None):
        data = raw if raw is not None else conformance.request(BATCH, body)
        return conformance.check(BATCH, client.post(STATUS_PATH, data, **as_json, **headers))

    def export(headers=auth, **params):
        return conformance.check(EXPORT, client.get(EXPORT_PATH, {"document": DOCUMENT, **params}, **headers))

    make_version(terms.document, effective_at=site_time(2027, 1, 1), editorial=False)
    accepted = acceptance_body(account="acct-1")
    assert record({**accepted, "metadata": {"screen": "signup"}}, HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    assert record({**accepted, "metadata": {"screen": "signup"}}, HTTP_IDEMPOTENCY_KEY="k1").status_code == 200
    assert record(acceptance_body(version=2, account="acct-1", language="en")).status_code == 201
    assert record({}, raw="{not json").status_code == 400
    assert record(accepted, headers={}).status_code == 401
    assert record(accepted, headers=bearer(reader)).status_code == 403
    assert record({}, raw=json.dumps({"metadata": "x" * 20_000})).status_code == 413
    assert conformance.check(RECORD, client.post(PATH, {"a": "b"}, **auth)).status_code == 415
    assert record({**accepted, "version": 9}).status_code == 422
    assert record({}, raw=json.dumps({**accepted, "version": "1"})).json()["error"]["fields"]

    assert status("acct-1")["Content-Type"] == "application/json; charset=utf-8"
    assert status("acct-1", at="2027-01-02").json()["accepted_version"] == 2
    assert status("never").json()["accepted_version"] is None
    assert status("acct-1", at="2026-11-01").json()["in_effect_version"] is None
    assert status("acct-1", at="2027-01-02", headers=bearer(reader)).json()["versions_since_accepted"] == []
    assert status("acct-1", at="soon").status_code == 422
    assert status("acct-1", document="nope").status_code == 422
    assert status("acct-1", headers=bearer(revoked)).status_code == 401
    assert status("acct-1", headers={"HTTP_AUTHORIZATION": "Bearer " + "x" * 43}).status_code == 401
    assert status("acct-1", headers=bearer(writer)).status_code == 403

    assert batch({"document": DOCUMENT, "accounts": ["acct-1", "never"], "at": "2027-01-02"}).status_code == 200
    assert batch({}, raw="[]").status_code == 400
    assert batch({}, raw=json.dumps({"document": DOCUMENT, "accounts": []})).status_code == 422
    assert batch({"document": DOCUMENT, "accounts": ["a"]}, headers={}).status_code == 401
    assert batch({"document": DOCUMENT, "accounts": ["a"]}, headers=bearer(writer)).status_code == 403
    assert batch({}, raw=json.dumps({"document": DOCUMENT, "accounts": ["a" * 128] * 200})).status_code == 413
    assert conformance.check(BATCH, client.post(STATUS_PATH, {"a": "b"}, **auth)).status_code == 415

    for output in ("jsonl", "csv"):
        assert export(format=output).status_code == 200
    assert export(format="xlsx").status_code == 422
    assert export(headers={}).status_code == 401
    assert export(headers=bearer(reader)).status_code == 403

    settings.PRODUCT_RATE_LIMIT = 1  # a new limit counts afresh: one more request, then no more this minute
    assert status("acct-1").status_code == 200
    assert record(accepted).status_code == 429
    assert status("acct-1").status_code == 429
    assert batch({"document": DOCUMENT, "accounts": ["a"]}).status_code == 429
    assert export().status_code == 429
    settings.PRODUCT_RATE_LIMIT = 0

    assert conformance.check(JWKS, client.get("/.well-known/jwks.json")).status_code == 200
    settings.RECEIPT_SIGNING_KEY, settings.RECEIPT_SIGNING_KEY_FILE = "", ""
    assert record(acceptance_body(account="acct-3")).status_code == 503
    assert conformance.check(JWKS, client.get("/.well-known/jwks.json")).status_code == 503

    assert conformance.seen == conformance.documented()


def test_an_exported_line_is_an_acceptance_record_as_documented(client, terms, conformance):
    """The export's lines are described in prose (JSON Lines); each is the `AcceptanceRecord` schema."""
    _c, token = issue_credential(name="Media VOD")
    body = json.dumps(acceptance_body(account="acct-1"))
    assert client.post(PATH, body, content_type="application/json", **bearer(token)).status_code == 201
    response = client.get(EXPORT_PATH, {"document": DOCUMENT}, **bearer(token))
    (line,) = b"".join(response.streaming_content).decode().splitlines()
    conformance.validator({"$ref": "#/components/schemas/AcceptanceRecord"}).validate(json.loads(line))


def test_the_acceptance_api_is_generated_by_django_ninja(client, db):
    """Its operations and schemas come from the views and models: nothing is written by hand twice."""
    spec = client.get("/api/openapi.json").json()
    assert spec["paths"][PATH]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AcceptanceRequest"
    }
    assert set(AcceptanceRequest.model_fields) == set(spec["components"]["schemas"]["AcceptanceRequest"]["properties"])
    assert spec["paths"][PATH]["post"]["security"] == [{"ProductToken": ["acceptances:write"]}]
    assert spec["components"]["securitySchemes"]["ProductToken"]["scheme"] == "bearer"
    header = {p["name"]: p for p in spec["paths"][PATH]["post"]["parameters"]}["Idempotency-Key"]
    assert header["in"] == "header" and header["schema"]["anyOf"][0]["maxLength"] == 255


@pytest.mark.parametrize(
    ("language", "heading", "absent"),
    [
        ("vi", "API ghi nhận chấp thuận dành cho các sản phẩm của Sigma.video", ["Parameters", "Answers", "Required"]),
        ("en", "Acceptance API for Sigma.video's products", ["Tham số", "Phản hồi", "Bắt buộc"]),
    ],
)
def test_the_documentation_page_lists_every_operation_in_the_readers_language(client, db, language, heading, absent):
    response = client.get(f"/{language}/api/acceptances/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{heading}</h1>" in page.replace("&#x27;", "'")
    spec = client.get("/api/openapi.json").json()
    for path, item in spec["paths"].items():
        if path not in ACCEPTANCE_PATHS:
            continue
        for method in set(item) - {"parameters"}:
            assert f"<code>{method.upper()} {path}</code>" in page
    assert 'href="/api/openapi.json"' in page and 'href="/.well-known/jwks.json"' in page
    assert "<code>acceptances:write</code>" in page and "maxItems" not in page
    for word in absent:
        assert f">{word}<" not in page
