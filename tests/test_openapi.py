"""The OpenAPI 3.1 document: valid, complete for /api/, and true of the real answers."""

import jsonschema
import pytest
from openapi_spec_validator import validate

from django.urls import get_resolver

from legal.models import WebhookDelivery, WebhookEndpoint
from legal.openapi import openapi_document
from legal.publishing import withdraw_version
from tests.conftest import make_version, site_time

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_site_url")]


@pytest.fixture(scope="module")
def document():
    return openapi_document()


def check(document, name, data):
    """Validate `data` against components/schemas/`name`, refs resolved in the whole document."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": f"#/components/schemas/{name}"}
    schema["components"] = document["components"]
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=str)
    assert not errors, "\n".join(str(e.message) for e in errors[:5])


def test_the_document_is_valid_openapi_3_1(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    served = response.json()
    validate(served)
    assert served["openapi"] == "3.1.0"
    assert served["servers"] == [{"url": "https://terms.sigma.video"}]


def test_every_api_route_is_described(document):
    routes = set()
    for pattern in get_resolver().url_patterns:
        # The acceptance API is one include of django-ninja's routes.
        inner = getattr(pattern, "url_patterns", [None])
        for route in [str(pattern.pattern) + (str(p.pattern) if p else "") for p in inner]:
            if route.startswith(("api/documents/", "api/acceptances/", ".well-known/")):
                routes.add("/" + route.replace("<slug:slug>", "{slug}").replace("<version:number>", "{number}"))
    assert routes == set(document["paths"])


def test_the_document_answers_match_their_schemas(client, document, history):
    check(document, "DocumentAnswer", client.get("/api/documents/terms-of-service/").json())
    check(document, "AtAnswer", client.get("/api/documents/terms-of-service/", {"at": "2026-12-01"}).json())
    check(document, "AtAnswer", client.get("/api/documents/terms-of-service/", {"at": "2020-01-01T00:00"}).json())
    check(document, "Error", client.get("/api/documents/terms-of-service/", {"at": "soon"}).json())
    check(document, "Error", client.get("/api/documents/nothing/").json())
    check(document, "VersionSections", client.get("/api/documents/terms-of-service/versions/1/sections/").json())
    check(document, "Error", client.get("/api/documents/terms-of-service/versions/99/sections/").json())


def test_webhook_events_match_their_schema(document, terms, settings):
    WebhookEndpoint.objects.create(url="https://hooks.example.com/sigma")
    version = make_version(terms.document, effective_at=site_time(2026, 12, 1))
    withdraw_version(version, reason="Mistake.")
    payloads = [d.payload for d in WebhookDelivery.objects.order_by("pk")]
    assert [p["type"] for p in payloads] == ["version.published", "version.effective", "version.withdrawn"]
    for payload in payloads:
        check(document, "WebhookEvent", payload)


def test_the_schemas_are_not_vacuous(document):
    """A wrong answer fails: the checks above can fail."""
    with pytest.raises(AssertionError):
        check(document, "Error", {"error": {"code": "x"}})
    with pytest.raises(AssertionError):
        check(document, "Version", {"number": 0})
