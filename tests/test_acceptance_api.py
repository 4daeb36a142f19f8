"""The acceptance API (legal/acceptance_api.py) through the real stack: tokens, recording, idempotency, status, export."""

import csv
import io
import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta

import jwt
import pytest

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from legal import acceptance_api, acceptance_schemas
from legal.models import Acceptance, DocumentVersion, ProductCredential, Scope
from legal.product_auth import issue_credential
from legal.publishing import withdraw_version
from sigma_terms.settings import redis_cache
from tests.conftest import START, at_once, make_version, site_time

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_site_url")]

RECORD = "/api/acceptances/"
STATUS = "/api/acceptances/status/"
EXPORT = "/api/acceptances/export/"
DOCUMENT = "terms-of-service"


@pytest.fixture
def token(db):
    """A product token with every scope."""
    return issue_credential(name="Media VOD")[1]


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def acceptance_body(version=1, account="acct-123", language="vi", **fields):
    """A complete request body, with the SHA-256 of the text shown (the published version's own)."""
    published = DocumentVersion.objects.filter(document__slug=DOCUMENT, number=version).first()
    sha256 = getattr(published, f"body_sha256_{language}", None) or "0" * 64
    return {
        "document": DOCUMENT, "version": version, "language": language, "sha256": sha256, "account": account,
        "method": "clickwrap", **fields,
    }  # fmt: skip


def post(client, secret, body, path=RECORD, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **bearer(secret), **extra)


def accept(client, secret, version=1, account="acct-123", status=201, key=None, **fields):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    response = post(client, secret, acceptance_body(version, account, **fields), **headers)
    assert response.status_code == status, response.content
    return response.json()


def status_of(client, secret, account="acct-123", **params):
    response = client.get(STATUS, {"document": DOCUMENT, "account": account, **params}, **bearer(secret))
    assert response.status_code == 200, response.content
    return response.json()


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].split(";")[0] == "application/json"
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["code"] == code
    assert "no-store" in response["Cache-Control"]
    return response.json()["error"]


def _body(response):
    return b"".join(response.streaming_content).decode()


# Authentication, scopes, revocation, rate limits ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "unauthenticated"),
        ({"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}, "unauthenticated"),
        ({"HTTP_AUTHORIZATION": "Bearer "}, "unauthenticated"),
        ({"HTTP_AUTHORIZATION": "Bearer not-a-token"}, "invalid_token"),
        ({"HTTP_AUTHORIZATION": "Bearer " + "x" * 5000}, "unauthenticated"),
    ],
)
def test_a_request_without_a_valid_token_is_401_with_a_challenge(client, terms, token, headers, code):
    response = client.post(RECORD, json.dumps(acceptance_body()), content_type="application/json", **headers)
    assert_error(response, 401, code)
    assert response["WWW-Authenticate"].startswith('Bearer realm="sigma-terms"')
    assert Acceptance.objects.count() == 0


def test_a_revoked_token_is_401(client, terms, token):
    accept(client, token)
    ProductCredential.objects.update(revoked_at=START)
    response = client.get(STATUS, {"document": DOCUMENT, "account": "acct-123"}, **bearer(token))
    assert_error(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("scopes", "method", "path"),
    [
        ([Scope.READ, Scope.EXPORT], "post", RECORD),
        ([Scope.WRITE, Scope.EXPORT], "get", STATUS),
        ([Scope.WRITE, Scope.EXPORT], "post", STATUS),
        ([Scope.WRITE, Scope.READ], "get", EXPORT),
    ],
)
def test_a_token_without_the_scope_is_403(client, terms, scopes, method, path):
    _credential, secret = issue_credential(name="Media Live", scopes=scopes)
    response = getattr(client, method)(path, **bearer(secret))
    assert_error(response, 403, "insufficient_scope")
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_an_admin_session_is_not_a_product_token(client, terms):
    """The API reads no cookie: a superuser's logged-in browser is still unauthenticated there."""
    client.force_login(User.objects.create_superuser("root", password="pw"))
    response = client.post(RECORD, acceptance_body(), content_type="application/json")
    assert_error(response, 401, "unauthenticated")


def test_each_use_is_logged_with_the_product_and_sets_last_used(client, terms, token, caplog, clock):
    with caplog.at_level(logging.INFO, logger="legal.product_auth"):
        accept(client, token)
    assert "product Media VOD: POST /api/acceptances/" in caplog.text
    assert ProductCredential.objects.get().last_used_at == START
    clock.shift(timedelta(minutes=5))
    status_of(client, token)
    assert ProductCredential.objects.get().last_used_at == START + timedelta(minutes=5)


def test_each_credential_is_limited_to_its_requests_a_minute(client, terms, token, settings, clock, caplog):
    settings.PRODUCT_RATE_LIMIT = 3
    _credential, other = issue_credential(name="Media Live")
    for _ in range(3):
        status_of(client, token)
    with caplog.at_level(logging.WARNING, logger="legal.product_auth"):
        for _ in range(2):
            response = client.get(STATUS, {"document": DOCUMENT, "account": "a"}, **bearer(token))
            assert_error(response, 429, "rate_limited")
    wait = int(response["Retry-After"])
    assert 1 <= wait <= 60
    assert caplog.text.count("Media VOD passed its rate limit of 3 requests a minute") == 1
    assert status_of(client, other)["accepted_version"] is None  # another product counts on its own
    clock.shift(timedelta(seconds=wait - 1))
    assert client.get(STATUS, {"document": DOCUMENT, "account": "a"}, **bearer(token))["Retry-After"] == "1"
    clock.shift(timedelta(seconds=1))
    status_of(client, token)


def test_the_rate_limit_fails_open_when_the_cache_is_gone(client, terms, token, settings):
    """With Redis unreachable the counts are lost, and products are served rather than refused."""
    settings.PRODUCT_RATE_LIMIT = 1
    settings.CACHES = {"default": redis_cache("redis://127.0.0.1:9/0")}  # nothing listens on port 9
    for _ in range(3):
        status_of(client, token)


# Recording -------------------------------------------------------------------------------------------------------


def test_an_acceptance_is_recorded_with_the_hash_of_the_text_accepted(terms, token):
    client = Client(enforce_csrf_checks=True)  # bearer-token requests need no CSRF token
    response = post(client, token, acceptance_body(metadata={"screen": "signup"}))
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    record = response.json()
    assert record.pop("receipt").count(".") == 2  # a compact JWS: tests/test_receipts.py verifies it
    assert record == {
        "id": Acceptance.objects.get().pk,
        "document": "terms-of-service",
        "version": 1,
        "language": "vi",
        "account": "acct-123",
        "accepted_at": "2026-11-24T12:00:00+07:00",
        "method": "clickwrap",
        "text_sha256": terms.body_sha256_vi,
        "version_url": "https://terms.sigma.video/vi/terms-of-service/versions/1/",
        "product": "Media VOD",
        "recorded_at": "2026-11-24T12:00:00+07:00",
        "metadata": {"screen": "signup"},
    }


def test_a_repeated_submission_without_a_key_returns_the_first_record_with_200(client, terms, token, clock):
    first = accept(client, token)
    clock.shift(timedelta(minutes=3))
    again = accept(client, token, status=200, language="en")
    assert again == first
    assert Acceptance.objects.count() == 1


def test_the_hash_must_be_that_of_the_version_and_language(client, terms, token):
    error = assert_error(
        post(client, token, acceptance_body(language="en", sha256=terms.body_sha256_vi)), 422, "sha256_mismatch"
    )
    assert error["message"] == "'sha256' is not the SHA-256 of version 1's 'en' text."
    accept(client, token, language="en")


def test_a_scheduled_version_may_be_accepted_in_advance(client, terms, token):
    version = make_version(terms.document, effective_at=site_time(2026, 12, 1))
    assert accept(client, token, version=2)["text_sha256"] == version.body_sha256_vi


def test_withdrawn_unknown_and_superseded_versions_are_refused(client, terms, token, clock):
    withdraw_version(make_version(terms.document, effective_at=site_time(2026, 12, 1)), reason="Mistake.")
    withdrawn = {**acceptance_body(version=1), "version": 2}
    assert_error(post(client, token, withdrawn), 422, "version_withdrawn")
    assert_error(post(client, token, {**acceptance_body(), "version": 9}), 422, "unknown_version")
    make_version(terms.document, effective_at=site_time(2026, 12, 2))
    clock.move_to(site_time(2026, 12, 3))
    # Version 1 was not in effect at accepted_at (now): version 3 was.
    assert_error(post(client, token, acceptance_body(account="a")), 422, "version_superseded")
    # While version 1 was in effect, it was the one to accept: a late record of that is fine.
    accept(client, token, account="a", accepted_at="2026-12-01T09:00:00+07:00")
    assert Acceptance.objects.count() == 1


def test_accepted_at_is_not_in_the_future_nor_before_publication(client, terms, token):
    def refused(accepted_at, status, code):
        return assert_error(post(client, token, acceptance_body(account="a", accepted_at=accepted_at)), status, code)

    refused("2026-11-24T12:01:01+07:00", 422, "accepted_at_in_future")
    refused("2020-01-01T00:00:00+07:00", 422, "not_yet_published")
    assert refused("2026-11-24T10:00:00", 422, "invalid_field")["fields"][0]["field"] == "accepted_at"
    refused("2026-13-01T10:00:00Z", 422, "invalid_field")
    accept(client, token, account="a", accepted_at="2026-11-24T12:00:59+07:00")  # a product clock a little ahead


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"account": None}, "account"),
        ({"account": ""}, "account"),
        ({"account": "a" * 129}, "account"),
        ({"account": "a/b"}, "account"),
        ({"version": "1"}, "version"),
        ({"version": True}, "version"),
        ({"version": 10**12}, "version"),
        ({"language": "fr"}, "language"),
        ({"method": "telepathy"}, "method"),
        ({"method": None}, "method"),
        ({"sha256": "ABC"}, "sha256"),
        ({"sha256": None}, "sha256"),
        ({"document": None}, "document"),
        ({"document": "a/b"}, "document"),
        ({"metadata": ["x"]}, "metadata"),
        ({"metadata": {"x": "y" * 3000}}, "metadata"),
        ({"acount": "typo"}, "acount"),
    ],
)
def test_invalid_fields_are_422_with_the_field_named_and_write_nothing(client, terms, token, change, field):
    body = {**acceptance_body(), **change}
    body = {name: value for name, value in body.items() if value is not None}
    error = assert_error(post(client, token, body), 422, "invalid_field")
    assert field in [f["field"] for f in error["fields"]]
    assert all(set(f) == {"field", "message"} for f in error["fields"])
    assert Acceptance.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"\xff\xfe", 400, "malformed_json"),
        (b"[1, 2]", 400, "malformed_json"),
        (b"[" * 10000 + b"]" * 10000, 413, "body_too_large"),
        (b"[" * 5000 + b"]" * 5000, 400, "malformed_json"),
        (b"", 422, "invalid_field"),
    ],
)
def test_malformed_bodies_are_refused(client, terms, token, raw, status, code):
    assert_error(post(client, token, raw), status, code)


def test_a_huge_body_is_413_unread(client, terms, token):
    body = json.dumps(acceptance_body(metadata={"x": "y" * 100_000}))
    assert_error(post(client, token, body), 413, "body_too_large")
    assert Acceptance.objects.count() == 0


def test_other_content_types_methods_and_documents_are_refused(client, terms, token):
    response = client.post(RECORD, {"account": "a"}, **bearer(token))  # a form, not JSON
    assert_error(response, 415, "unsupported_media_type")
    response = client.get(RECORD, **bearer(token))
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"
    assert_error(client.delete(STATUS, **bearer(token)), 405, "method_not_allowed")
    error = assert_error(post(client, token, {**acceptance_body(), "document": "nope"}), 422, "unknown_document")
    assert error["fields"] == [{"field": "document", "message": "No document has the slug 'nope'."}]


@pytest.mark.parametrize(
    "instant", ["0001-01-01", "9999-12-31", "2026-02-30", "2026-11-24T25:00:00+07:00", "0001-01-01T00:00:00+07:00"]
)
def test_instants_at_the_calendar_edges_are_422_not_500(client, terms, token, instant):
    since = client.get(EXPORT, {"document": DOCUMENT, "since": instant}, **bearer(token))
    if instant != "0001-01-01T00:00:00+07:00":
        assert assert_error(since, 422, "invalid_field")["fields"] == [
            {"field": "since", "message": "an ISO 8601 date and time or a date"}
        ]
    at = client.get(STATUS, {"document": DOCUMENT, "account": "a", "at": instant}, **bearer(token))
    if instant != "0001-01-01T00:00:00+07:00":
        assert assert_error(at, 422, "invalid_field")["fields"][0]["field"] == "at"
    assert_error(post(client, token, acceptance_body(accepted_at=instant)), 422, "invalid_field")


@pytest.mark.parametrize(
    ("instant", "code"),
    [
        ("0001-01-01T00:00:00-07:00", "not_yet_published"),
        ("9999-12-31T23:59:59-07:00", "invalid_field"),
        ("9999-12-31T00:00:00+07:00", "accepted_at_in_future"),
    ],
)
def test_accepted_at_at_the_calendar_edges_is_refused_cleanly(client, terms, token, instant, code):
    assert_error(post(client, token, acceptance_body(accepted_at=instant)), 422, code)


# Idempotency-Key -------------------------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_and_body_answers_200_with_the_first_record(client, terms, token, clock):
    first = accept(client, token, key="4f9c2b1e-retry")
    clock.shift(timedelta(minutes=1))
    # The same body, spelled differently (key order, spacing), is the same request.
    body = acceptance_body()
    respelled = json.dumps(dict(reversed(list(body.items()))), indent=2)
    response = post(client, token, respelled, HTTP_IDEMPOTENCY_KEY="4f9c2b1e-retry")
    assert response.status_code == 200
    assert response.json() == first  # its receipt included
    assert Acceptance.objects.get().idempotency_key == "4f9c2b1e-retry"


def test_the_same_key_with_another_body_is_422(client, terms, token):
    accept(client, token, key="k-1")
    other = post(client, token, acceptance_body(account="someone-else"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert_error(other, 422, "idempotency_key_reused")
    same_account_other_method = post(client, token, acceptance_body(method="browsewrap"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert_error(same_account_other_method, 422, "idempotency_key_reused")
    assert Acceptance.objects.count() == 1


def test_a_key_belongs_to_one_credential(client, terms, token):
    first = accept(client, token, key="shared")
    _credential, other = issue_credential(name="Media Live")
    second = accept(client, other, account="acct-9", key="shared")
    assert second["id"] != first["id"] and second["product"] == "Media Live"


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "tiếng-việt"])
def test_an_idempotency_key_is_bounded(client, terms, token, key):
    response = post(client, token, acceptance_body(), HTTP_IDEMPOTENCY_KEY=key.encode().decode("latin-1"))
    error = assert_error(response, 422, "invalid_field")
    assert error["fields"][0]["field"] == "Idempotency-Key"
    assert Acceptance.objects.count() == 0


def test_a_key_of_255_characters_is_accepted(client, terms, token):
    accept(client, token, key="k" * 255)
    accept(client, token, key="k" * 255, status=200)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_account", [True, False])
def test_concurrent_retries_with_one_key_make_one_record(terms, same_account):
    """Six threads send one key at once: one record; the same body gets it, another body is refused."""
    _credential, secret = issue_credential(name="Media VOD")

    def submit(n):
        account = "racer" if same_account or n == 0 else f"racer-{n}"
        response = post(Client(), secret, acceptance_body(account=account), HTTP_IDEMPOTENCY_KEY="race")
        return account, response.status_code, response.json()

    answers = at_once(submit, range(6))
    assert Acceptance.objects.count() == 1
    winner = Acceptance.objects.get()
    statuses = sorted(status for _account, status, _body in answers)
    if same_account:
        assert statuses == [200] * 5 + [201]
        assert {body["id"] for _a, _s, body in answers} == {winner.pk}
    else:
        assert statuses.count(201) == 1
        for account, status, body in answers:
            assert status == (201 if account == winner.account else 422), body


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_submissions_without_a_key_make_one_record(terms):
    _credential, secret = issue_credential(name="Media VOD")
    statuses = at_once(lambda _n: post(Client(), secret, acceptance_body(account="racer")).status_code, range(6))
    assert sorted(statuses) == [200] * 5 + [201]
    assert Acceptance.objects.filter(account="racer").count() == 1


# Who must accept again -------------------------------------------------------------------------------------------


@pytest.fixture
def material(terms):
    """Version 2, a material change, takes effect on 1 January 2027."""
    return make_version(terms.document, effective_at=site_time(2027, 1, 1), editorial=False)


def since(status):
    return [(v["number"], v["change_kind"]) for v in status["versions_since_accepted"]]


def test_an_account_that_never_accepted_has_no_accepted_version(client, terms, token):
    assert status_of(client, token, "new-account") == {
        "document": "terms-of-service",
        "account": "new-account",
        "at": "2026-11-24T12:00:00+07:00",
        "accepted_version": None,
        "in_effect_version": 1,
        "scheduled_version": None,
        "reacceptance_required": False,
        "reacceptance_required_from": None,
        "versions_since_accepted": [],
    }


def test_a_scheduled_material_version_requires_reacceptance_when_it_takes_effect(client, terms, token, material, clock):
    accept(client, token)
    data = status_of(client, token)
    assert (data["accepted_version"], data["in_effect_version"], data["scheduled_version"]) == (1, 1, 2)
    assert (data["reacceptance_required"], data["reacceptance_required_from"]) == (False, "2027-01-01T00:00:00+07:00")
    after = status_of(client, token, at="2027-01-01T00:00:00+07:00")
    assert (after["in_effect_version"], after["reacceptance_required"]) == (2, True)
    assert after["versions_since_accepted"] == [
        {
            "number": 2,
            "change_kind": "material",
            "effective_at": "2027-01-01T00:00:00+07:00",
            "url": {
                "vi": "https://terms.sigma.video/vi/terms-of-service/versions/2/",
                "en": "https://terms.sigma.video/en/terms-of-service/versions/2/",
            },
        }
    ]
    assert status_of(client, token, at="2026-12-31T23:59:59+07:00")["reacceptance_required"] is False
    clock.move_to(site_time(2027, 1, 2))
    assert status_of(client, token)["reacceptance_required"] is True
    accept(client, token, version=2)
    data = status_of(client, token)
    assert (data["accepted_version"], data["reacceptance_required"], since(data)) == (2, False, [])


def test_editorial_versions_never_require_reacceptance(client, terms, token, clock):
    accept(client, token)
    make_version(terms.document, effective_at=site_time(2026, 12, 1), editorial=True)
    clock.move_to(site_time(2026, 12, 2))
    data = status_of(client, token)
    assert (data["accepted_version"], data["in_effect_version"], data["reacceptance_required"]) == (1, 2, False)
    assert since(data) == [(2, "editorial")]
    assert data["reacceptance_required_from"] is None


def test_a_material_version_in_between_still_counts_after_an_editorial_one(client, terms, token, material, clock):
    accept(client, token)
    make_version(terms.document, effective_at=site_time(2027, 1, 5), editorial=True)
    clock.move_to(site_time(2027, 1, 6))
    data = status_of(client, token)
    assert (data["in_effect_version"], data["reacceptance_required"]) == (3, True)
    assert since(data) == [(2, "material"), (3, "editorial")]
    accept(client, token, version=3)
    assert status_of(client, token)["reacceptance_required"] is False


def test_accepting_the_scheduled_version_in_advance_clears_the_requirement(client, terms, token, material):
    accept(client, token)
    accept(client, token, version=2)
    data = status_of(client, token)
    assert (data["accepted_version"], data["reacceptance_required"], data["reacceptance_required_from"]) == (
        2,
        False,
        None,
    )
    assert status_of(client, token, at="2027-01-02T00:00:00+07:00")["reacceptance_required"] is False


def test_a_withdrawn_material_version_never_requires_reacceptance(client, terms, token, material, clock):
    accept(client, token)
    accept(client, token, version=2)  # accepted in advance, then withdrawn
    withdraw_version(material, reason="Published by mistake.")
    data = status_of(client, token)
    assert (data["accepted_version"], data["scheduled_version"], data["reacceptance_required_from"]) == (1, None, None)
    clock.move_to(site_time(2027, 1, 2))
    data = status_of(client, token)
    assert (data["in_effect_version"], data["reacceptance_required"], since(data)) == (1, False, [])


def test_status_refuses_bad_accounts_documents_and_instants(client, terms, token):
    def get(**params):
        return client.get(STATUS, {"document": DOCUMENT, "account": "a", **params}, **bearer(token))

    assert assert_error(get(account="a" * 129), 422, "invalid_field")["fields"][0]["field"] == "account"
    assert assert_error(get(at="soon"), 422, "invalid_field")["fields"][0]["field"] == "at"
    assert_error(client.get(STATUS, {"account": "a"}, **bearer(token)), 422, "invalid_field")
    assert_error(get(document="nope"), 422, "unknown_document")


# Batch status ----------------------------------------------------------------------------------------------------


def batch(client, secret, accounts, **fields):
    return post(client, secret, {"document": DOCUMENT, "accounts": accounts, **fields}, path=STATUS)


def test_a_batch_answers_each_account_as_the_single_status_does(client, terms, token, material):
    accept(client, token, account="old")
    accept(client, token, account="ahead")
    accept(client, token, account="ahead", version=2)
    for at in (None, "2027-01-01T00:00:00+07:00"):
        params = {"at": at} if at else {}
        response = batch(client, token, ["old", "ahead", "never"], **params)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        data = response.json()
        singles = [status_of(client, token, account, **params) for account in ("old", "ahead", "never")]
        assert data == {"document": "terms-of-service", "at": singles[0]["at"], "statuses": singles}
    assert [s["reacceptance_required"] for s in data["statuses"]] == [True, False, False]


def test_a_batch_costs_the_same_queries_for_one_account_or_a_hundred(client, terms, token):
    for n in range(5):
        accept(client, token, account=f"acct-{n}")
    queries = []
    for accounts in (["acct-0"], [f"acct-{n}" for n in range(acceptance_schemas.MAX_BATCH_ACCOUNTS)]):
        with CaptureQueriesContext(connection) as context:
            response = batch(client, token, accounts)
        assert response.status_code == 200
        assert len(response.json()["statuses"]) == len(accounts)
        queries.append(len(context))
    assert queries[0] == queries[1]


def test_a_batch_answers_a_repeated_account_once_in_the_order_asked(client, terms, token):
    accept(client, token, account="b")
    statuses = batch(client, token, ["b", "a", "b"]).json()["statuses"]
    assert [(s["account"], s["accepted_version"]) for s in statuses] == [("b", 1), ("a", None)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"document": DOCUMENT}, "accounts"),
        ({"accounts": ["a"]}, "document"),
        ({"document": DOCUMENT, "accounts": []}, "accounts"),
        ({"document": DOCUMENT, "accounts": "acct-1"}, "accounts"),
        ({"document": DOCUMENT, "accounts": [f"a{n}" for n in range(101)]}, "accounts"),
        ({"document": DOCUMENT, "accounts": ["ok", "a/b"]}, "accounts.1"),
        ({"document": DOCUMENT, "accounts": ["ok", 7]}, "accounts.1"),
        ({"document": DOCUMENT, "accounts": ["ok"], "at": "soon"}, "at"),
        ({"document": DOCUMENT, "accounts": ["ok"], "at": 1700000000}, "at"),
        ({"document": DOCUMENT, "accounts": ["ok"], "account": "typo"}, "account"),
    ],
)
def test_a_bad_batch_is_422(client, terms, token, body, field):
    error = assert_error(post(client, token, body, path=STATUS), 422, "invalid_field")
    assert field in [f["field"] for f in error["fields"]]


def test_a_batch_needs_the_read_scope_and_a_bounded_json_body(client, terms):
    _credential, writer = issue_credential(name="Writer", scopes=[Scope.WRITE])
    assert_error(batch(client, writer, ["a"]), 403, "insufficient_scope")
    _credential, reader = issue_credential(name="Reader", scopes=[Scope.READ])
    assert_error(client.post(STATUS, {"accounts": "a"}, **bearer(reader)), 415, "unsupported_media_type")
    huge = {"document": DOCUMENT, "accounts": ["a" * 128] * 200}
    assert_error(post(client, reader, huge, path=STATUS), 413, "body_too_large")
    assert batch(client, reader, ["a"]).status_code == 200


# Export ----------------------------------------------------------------------------------------------------------


def export(client, secret, **params):
    return client.get(EXPORT, {"document": DOCUMENT, **params}, **bearer(secret))


def test_export_streams_json_lines_since_an_instant(client, terms, token, clock):
    accept(client, token, account="early")
    clock.move_to(START + timedelta(hours=1))
    accept(client, token, account="late")
    response = export(client, token, since="2026-11-24T12:30:00+07:00")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    lines = [json.loads(line) for line in _body(response).splitlines()]
    assert [line["account"] for line in lines] == ["late"]
    assert lines[0]["text_sha256"] == terms.body_sha256_vi
    assert "Link" not in response
    whole_day = export(client, token, since="2026-11-24")
    assert [json.loads(line)["account"] for line in _body(whole_day).splitlines()] == ["early", "late"]


def test_export_of_one_account(client, terms, token, material):
    accept(client, token, account="other")
    first, second = accept(client, token), accept(client, token, version=2)
    response = export(client, token, account="acct-123")
    assert response["Content-Disposition"] == 'attachment; filename="terms-of-service-acct-123-acceptances.jsonl"'
    assert [json.loads(line) for line in _body(response).splitlines()] == [first, second]


def test_export_as_csv_never_holds_a_formula(client, terms, token):
    accept(client, token, account="@SUM-1", metadata={"k": "v"})
    response = export(client, token, format="csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, row = _body(response).splitlines()
    assert header.split(",") == acceptance_api.EXPORT_COLUMNS
    assert ",'@SUM-1," in row and terms.body_sha256_vi in row and '"{""k"":""v""}"' in row


def test_export_is_paged_with_a_next_link(client, terms, token, monkeypatch):
    for n in range(5):
        accept(client, token, account=f"acct-{n}")
    monkeypatch.setattr(acceptance_api, "EXPORT_PAGE_SIZE", 2)
    seen, url = [], f"{EXPORT}?document={DOCUMENT}"
    while url:
        response = client.get(url, **bearer(token))
        seen += [json.loads(line)["account"] for line in _body(response).splitlines()]
        url = response.get("Link", "").partition(">")[0].removeprefix("<https://terms.sigma.video")
    assert seen == [f"acct-{n}" for n in range(5)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"format": "xlsx"}, "format"),
        ({"since": "yesterday"}, "since"),
        ({"after": "-1"}, "after"),
        ({"after": "x"}, "after"),
        ({"account": "a/b"}, "account"),
    ],
)
def test_export_refuses_bad_parameters(client, terms, token, params, field):
    error = assert_error(export(client, token, **params), 422, "invalid_field")
    assert [f["field"] for f in error["fields"]] == [field]


def test_an_unknown_document_is_422_everywhere(client, terms, token):
    assert_error(client.get(EXPORT, {"document": "nope"}, **bearer(token)), 422, "unknown_document")
    assert_error(post(client, token, {"document": "nope", "accounts": ["a"]}, path=STATUS), 422, "unknown_document")


# Done when: the walk a new product's developer takes -------------------------------------------------------------


def _http(method, url, secret, body=None):
    """One request over HTTP to the live server, as a product's backend makes it."""
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_a_new_product_records_verifies_asks_and_exports(live_server, terms, client, settings, tmp_path, clock):
    """Create a credential, accept version 1, verify the receipt with the JWKS alone, publish material
    and editorial versions and ask after each takes effect, then export the account's evidence."""
    settings.SITE_URL = live_server.url
    out = io.StringIO()
    call_command("create_product_token", "Media VOD", stdout=out)
    secret = out.getvalue().splitlines()[-1]
    api = f"{live_server.url}/api/acceptances/"

    body = {
        "document": "terms-of-service", "version": 1, "language": "vi", "sha256": terms.body_sha256_vi,
        "account": "acct-123", "method": "clickwrap", "accepted_at": "2026-11-24T12:00:00+07:00",
    }  # fmt: skip
    status, record = _http("POST", api, secret, body)
    assert status == 201, record
    assert record["version"] == 1

    # The receipt verifies with the published keys and a JOSE library, nothing of the site's code.
    signing_key = jwt.PyJWKClient(f"{live_server.url}/.well-known/jwks.json").get_signing_key_from_jwt(
        record["receipt"]
    )
    payload = jwt.api_jws.PyJWS().decode(record["receipt"], key=signing_key.key, algorithms=["EdDSA"])
    assert json.loads(payload) == {name: value for name, value in record.items() if name != "receipt"}

    make_version(terms.document, effective_at=site_time(2027, 1, 1), editorial=False)  # 30 days notice
    status, answer = _http("GET", f"{api}status/?document=terms-of-service&account=acct-123&at=2027-01-02", secret)
    assert status == 200
    assert (answer["accepted_version"], answer["in_effect_version"], answer["reacceptance_required"]) == (1, 2, True)
    assert [v["number"] for v in answer["versions_since_accepted"]] == [2]

    clock.move_to(site_time(2027, 1, 3))
    status, again = _http("POST", api, secret, {**body, "version": 2, "sha256": DocumentVersion.objects.get(
        number=2).body_sha256_vi, "accepted_at": "2027-01-03T00:00:00+07:00"})  # fmt: skip
    assert status == 201, again
    make_version(terms.document, effective_at=site_time(2027, 1, 10), editorial=True)
    status, answer = _http("GET", f"{api}status/?document=terms-of-service&account=acct-123&at=2027-01-11", secret)
    assert (answer["accepted_version"], answer["in_effect_version"], answer["reacceptance_required"]) == (2, 3, False)
    assert [(v["number"], v["change_kind"]) for v in answer["versions_since_accepted"]] == [(3, "editorial")]

    # The evidence: the command's JSON (with the keys) and CSV, and the admin's two exports.
    call_command("export_acceptances", "acct-123", "--output", str(tmp_path / "evidence.json"))
    evidence = json.loads((tmp_path / "evidence.json").read_text())
    assert evidence["records"] == [record, again]
    assert evidence["jwks"]["keys"][0]["kid"] == signing_key.key_id
    call_command("export_acceptances", "acct-123", "--format", "csv", "--output", str(tmp_path / "evidence.csv"))
    rows = list(csv.DictReader((tmp_path / "evidence.csv").open(encoding="utf-8")))
    assert [(row["version"], row["receipt"]) for row in rows] == [("1", record["receipt"]), ("2", again["receipt"])]
    client.force_login(User.objects.create_superuser("root", password="pw"))
    ids = [record["id"], again["id"]]
    exported = client.post("/admin/legal/acceptance/", {"action": "export_json", "_selected_action": ids})
    assert sorted(r["id"] for r in json.loads(exported.content)["records"]) == sorted(ids)
    exported = client.post("/admin/legal/acceptance/", {"action": "export_csv", "_selected_action": ids})
    assert exported.content.decode().count(record["receipt"]) == 1
