"""Acceptance records for Sigma.video's products: tokens, recording, who must accept again, export, admin."""

import hashlib
import json
import logging
import threading
from datetime import timedelta

import pytest

from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from legal import acceptance_api, acceptance_triggers
from legal.models import Acceptance, ProductCredential, Scope
from legal.product_auth import issue_credential
from legal.publishing import withdraw_version
from sigma_terms.settings import redis_cache
from tests.conftest import START, make_version, site_time

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_site_url")]

BASE = "/api/documents/terms-of-service/acceptances/"
EXPORT = BASE + "export"


@pytest.fixture
def token(db):
    """A product token with every scope."""
    return issue_credential(name="Media VOD")[1]


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(client, secret, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(BASE, data, content_type="application/json", **bearer(secret), **extra)


def accept(client, secret, version=1, account="acct-123", status=201, **fields):
    response = post(client, secret, {"account": account, "version": version, "language": "vi", **fields})
    assert response.status_code == status, response.content
    return response.json()


def status_of(client, secret, account="acct-123", **params):
    response = client.get(f"{BASE}{account}/", params, **bearer(secret))
    assert response.status_code == 200, response.content
    return response.json()


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code
    assert "no-store" in response["Cache-Control"]


# Product credentials ---------------------------------------------------------------------------------------------


def test_only_the_sha256_of_the_secret_is_stored(token):
    credential = ProductCredential.objects.get()
    assert credential.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) == 43  # 256 bits, URL-safe base64
    assert token not in json.dumps(list(ProductCredential.objects.values()), default=str)
    assert credential.scopes == Scope.values


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
    response = client.post(BASE, "{}", content_type="application/json", **headers)
    assert_error(response, 401, code)
    assert response["WWW-Authenticate"].startswith('Bearer realm="sigma-terms"')
    assert Acceptance.objects.count() == 0


def test_a_revoked_token_is_401(client, terms, token):
    accept(client, token)
    ProductCredential.objects.update(revoked_at=START)
    response = client.get(f"{BASE}acct-123/", **bearer(token))
    assert_error(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("scopes", "method", "path"),
    [
        ([Scope.READ, Scope.EXPORT], "post", BASE),
        ([Scope.WRITE, Scope.EXPORT], "get", BASE + "acct-1/"),
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
    response = client.post(BASE, {"account": "a", "version": 1, "language": "vi"}, content_type="application/json")
    assert_error(response, 401, "unauthenticated")


def test_each_use_is_logged_with_the_product_and_sets_last_used(client, terms, token, caplog, clock):
    with caplog.at_level(logging.INFO, logger="legal.product_auth"):
        accept(client, token)
    assert "product Media VOD: POST /api/documents/terms-of-service/acceptances/" in caplog.text
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
            response = client.get(f"{BASE}acct-123/", **bearer(token))
            assert_error(response, 429, "rate_limited")
    assert response["Retry-After"] == "60"  # the frozen clock sits at the start of a minute
    assert caplog.text.count("Media VOD passed its rate limit of 3 requests a minute") == 1
    assert status_of(client, other)["must_accept"] is True  # another product counts on its own
    clock.shift(timedelta(seconds=45))
    assert client.get(f"{BASE}acct-123/", **bearer(token))["Retry-After"] == "15"
    clock.shift(timedelta(seconds=15))
    status_of(client, token)


def test_the_rate_limit_fails_open_when_the_cache_is_gone(client, terms, token, settings):
    """With Redis unreachable the counts are lost, and products are served rather than refused."""
    settings.PRODUCT_RATE_LIMIT = 1
    settings.CACHES = {"default": redis_cache("redis://127.0.0.1:9/0")}  # nothing listens on port 9
    for _ in range(3):
        status_of(client, token)


def test_create_product_token_prints_the_secret_alone_on_its_last_line(client, terms, capsys):
    call_command("create_product_token", "Media Live", "--scopes", "acceptances:read")
    secret = capsys.readouterr().out.splitlines()[-1]
    credential = ProductCredential.objects.get(name="Media Live")
    assert credential.scopes == ["acceptances:read"]
    assert credential.token_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert status_of(client, secret, "acct-1")["must_accept"] is True
    assert_error(post(client, secret, {}), 403, "insufficient_scope")
    with pytest.raises(CommandError, match="exists"):
        call_command("create_product_token", "Media Live")


def test_create_product_token_gives_every_scope_by_default(capsys, db):
    call_command("create_product_token", "SSAI")
    assert ProductCredential.objects.get(name="SSAI").scopes == Scope.values


# Recording -------------------------------------------------------------------------------------------------------


def test_an_acceptance_is_recorded_with_the_hash_of_the_text_accepted(terms, token):
    client = Client(enforce_csrf_checks=True)  # bearer-token requests need no CSRF token
    record = accept(client, token, metadata={"screen": "signup"}, method="clickwrap")
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


def test_a_repeated_submission_returns_the_first_record_with_200(client, terms, token, clock):
    first = accept(client, token)
    clock.shift(timedelta(minutes=3))
    again = accept(client, token, status=200, language="en")
    assert again == first
    assert Acceptance.objects.count() == 1


def test_the_product_may_send_the_hash_of_the_text_it_showed(client, terms, token):
    assert_error(
        post(client, token, {"account": "a", "version": 1, "language": "en", "sha256": terms.body_sha256_vi}),
        422,
        "sha256_mismatch",
    )
    accept(client, token, language="en", sha256=terms.body_sha256_en)


def test_a_scheduled_version_may_be_accepted_in_advance(client, terms, token):
    version = make_version(terms.document, effective_at=site_time(2026, 12, 1))
    assert accept(client, token, version=2)["text_sha256"] == version.body_sha256_vi


def test_withdrawn_unknown_and_superseded_versions_are_refused(client, terms, token, clock):
    withdraw_version(make_version(terms.document, effective_at=site_time(2026, 12, 1)), reason="Mistake.")
    assert_error(post(client, token, {"account": "a", "version": 2, "language": "vi"}), 422, "version_withdrawn")
    assert_error(post(client, token, {"account": "a", "version": 9, "language": "vi"}), 422, "unknown_version")
    make_version(terms.document, effective_at=site_time(2026, 12, 2))
    clock.move_to(site_time(2026, 12, 3))
    assert_error(post(client, token, {"account": "a", "version": 1, "language": "vi"}), 422, "version_superseded")
    # While version 1 was in effect, it was the one to accept: a late record of that is fine.
    accept(client, token, account="a", accepted_at="2026-12-01T09:00:00+07:00")
    assert Acceptance.objects.count() == 1


def test_accepted_at_is_not_in_the_future_nor_before_publication(client, terms, token):
    body = {"account": "a", "version": 1, "language": "vi"}
    assert_error(
        post(client, token, {**body, "accepted_at": "2026-11-24T12:01:01+07:00"}), 422, "accepted_at_in_future"
    )
    assert_error(post(client, token, {**body, "accepted_at": "2020-01-01T00:00:00+07:00"}), 422, "not_yet_published")
    assert_error(post(client, token, {**body, "accepted_at": "2026-11-24T10:00:00"}), 400, "invalid_field")
    assert_error(post(client, token, {**body, "accepted_at": "2026-13-01T10:00:00Z"}), 400, "invalid_field")
    accept(client, token, account="a", accepted_at="2026-11-24T12:00:59+07:00")  # a product clock a little ahead


@pytest.mark.parametrize(
    "body",
    [
        {"version": 1, "language": "vi"},
        {"account": "", "version": 1, "language": "vi"},
        {"account": "a" * 129, "version": 1, "language": "vi"},
        {"account": "a/b", "version": 1, "language": "vi"},
        {"account": "a", "version": "1", "language": "vi"},
        {"account": "a", "version": True, "language": "vi"},
        {"account": "a", "version": 10**12, "language": "vi"},
        {"account": "a", "version": 1, "language": "fr"},
        {"account": "a", "version": 1, "language": "vi", "method": "telepathy"},
        {"account": "a", "version": 1, "language": "vi", "sha256": "ABC"},
        {"account": "a", "version": 1, "language": "vi", "metadata": ["x"]},
        {"account": "a", "version": 1, "language": "vi", "metadata": {"x": "y" * 3000}},
        {"account": "a", "version": 1, "language": "vi", "acount": "typo"},
    ],
)
def test_invalid_fields_are_400_and_write_nothing(client, terms, token, body):
    assert_error(post(client, token, body), 400, "invalid_field")
    assert Acceptance.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        (b"[1, 2]", "malformed_json"),
        (b"[" * 10000 + b"]" * 10000, "body_too_large"),
        (b"[" * 5000 + b"]" * 5000, "malformed_json"),
    ],
)
def test_malformed_bodies_are_refused(client, terms, token, raw, code):
    response = post(client, token, raw)
    assert_error(response, 413 if code == "body_too_large" else 400, code)


def test_a_huge_body_is_413_unread(client, terms, token):
    body = json.dumps({"account": "a", "version": 1, "language": "vi", "metadata": {"x": "y" * 100_000}})
    assert_error(post(client, token, body), 413, "body_too_large")
    assert Acceptance.objects.count() == 0


def test_other_content_types_methods_and_documents_are_refused(client, terms, token):
    response = client.post(BASE, {"account": "a"}, **bearer(token))  # a form, not JSON
    assert_error(response, 415, "unsupported_media_type")
    response = client.get(BASE, **bearer(token))
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"
    response = client.post("/api/documents/nope/acceptances/", "{}", content_type="application/json", **bearer(token))
    assert_error(response, 404, "not_found")


# Append-only -----------------------------------------------------------------------------------------------------


def test_the_append_only_triggers_are_installed(db):
    assert acceptance_triggers.installed(connection) == set(acceptance_triggers.TRIGGERS[connection.vendor])


@pytest.mark.django_db(transaction=True)
def test_migrate_puts_lost_triggers_back():
    """The post_migrate handler legal/apps.py connects reinstalls them (SQLite drops them on table rebuilds)."""
    acceptance_triggers.remove(connection)
    assert acceptance_triggers.installed(connection) == set()
    call_command("migrate", verbosity=0)
    assert acceptance_triggers.installed(connection) == set(acceptance_triggers.TRIGGERS[connection.vendor])


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE legal_acceptance SET account = 'someone-else'",
        "UPDATE legal_acceptance SET accepted_at = recorded_at",
        "DELETE FROM legal_acceptance",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_acceptance(client, terms, token, statement):
    accept(client, token)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert Acceptance.objects.get().account == "acct-123"


def test_querysets_cannot_change_or_delete_an_acceptance_either(client, terms, token):
    accept(client, token)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Acceptance.objects.update(language="en")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Acceptance.objects.all().delete()
    assert Acceptance.objects.get().language == "vi"


# Who must accept again -------------------------------------------------------------------------------------------


@pytest.fixture
def material(terms):
    """Version 2, a material change, takes effect on 1 January 2027."""
    return make_version(terms.document, effective_at=site_time(2027, 1, 1), editorial=False)


def test_an_account_that_never_accepted_must_accept(client, terms, token):
    data = status_of(client, token, "new-account")
    assert data["accepted"] is None
    assert data["must_accept"] is True
    assert data["in_effect"]["number"] == 1
    assert data["in_effect"]["sha256"] == {"vi": terms.body_sha256_vi, "en": terms.body_sha256_en}


def test_a_scheduled_material_version_requires_acceptance_when_it_takes_effect(client, terms, token, material, clock):
    accept(client, token)
    data = status_of(client, token)
    assert (data["accepted"]["version"], data["in_effect"]["number"], data["must_accept"]) == (1, 1, False)
    assert data["scheduled"]["number"] == 2
    assert data["next_required"] == {"number": 2, "required_from": "2027-01-01T00:00:00+07:00"}
    after = status_of(client, token, at="2027-01-01T00:00:00+07:00")
    assert (after["in_effect"]["number"], after["must_accept"]) == (2, True)
    assert after["material_changes_since_accepted"] == [2]
    clock.move_to(site_time(2027, 1, 2))
    assert status_of(client, token)["must_accept"] is True
    accept(client, token, version=2)
    assert status_of(client, token)["must_accept"] is False


def test_editorial_versions_never_require_acceptance(client, terms, token, clock):
    accept(client, token)
    make_version(terms.document, effective_at=site_time(2026, 12, 1), editorial=True)
    clock.move_to(site_time(2026, 12, 2))
    data = status_of(client, token)
    assert (data["accepted"]["version"], data["in_effect"]["number"], data["must_accept"]) == (1, 2, False)
    assert data["next_required"] is None


def test_a_material_version_in_between_still_counts_after_an_editorial_one(client, terms, token, material, clock):
    accept(client, token)
    make_version(terms.document, effective_at=site_time(2027, 1, 5), editorial=True)
    clock.move_to(site_time(2027, 1, 6))
    data = status_of(client, token)
    assert (data["in_effect"]["number"], data["must_accept"], data["material_changes_since_accepted"]) == (3, True, [2])


def test_accepting_the_scheduled_version_in_advance_clears_the_requirement(client, terms, token, material):
    accept(client, token)
    accept(client, token, version=2)
    data = status_of(client, token)
    assert (data["accepted"]["version"], data["must_accept"], data["next_required"]) == (2, False, None)
    assert status_of(client, token, at="2027-01-02T00:00:00+07:00")["must_accept"] is False


def test_a_withdrawn_material_version_never_requires_acceptance(client, terms, token, material, clock):
    accept(client, token)
    accept(client, token, version=2)  # accepted in advance, then withdrawn
    withdraw_version(material, reason="Published by mistake.")
    data = status_of(client, token)
    assert (data["accepted"]["version"], data["must_accept"], data["scheduled"], data["next_required"]) == (
        1,
        False,
        None,
        None,
    )
    clock.move_to(site_time(2027, 1, 2))
    assert status_of(client, token)["must_accept"] is False


def test_status_refuses_bad_accounts_and_instants(client, terms, token):
    assert_error(client.get(f"{BASE}{'a' * 129}/", **bearer(token)), 400, "invalid_account")
    assert_error(client.get(f"{BASE}acct/", {"at": "soon"}, **bearer(token)), 400, "invalid_at")


# Batch status ----------------------------------------------------------------------------------------------------

BATCH = BASE + "status"


def batch(client, secret, accounts, **fields):
    return client.post(
        BATCH, json.dumps({"accounts": accounts, **fields}), content_type="application/json", **bearer(secret)
    )


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
    assert [s["must_accept"] for s in data["statuses"]] == [True, False, True]


def test_a_batch_costs_the_same_queries_for_one_account_or_a_hundred(client, terms, token):
    for n in range(5):
        accept(client, token, account=f"acct-{n}")
    queries = []
    for accounts in (["acct-0"], [f"acct-{n}" for n in range(acceptance_api.MAX_BATCH_ACCOUNTS)]):
        with CaptureQueriesContext(connection) as context:
            response = batch(client, token, accounts)
        assert response.status_code == 200
        assert len(response.json()["statuses"]) == len(accounts)
        queries.append(len(context))
    assert queries[0] == queries[1]


def test_a_batch_answers_a_repeated_account_once_in_the_order_asked(client, terms, token):
    accept(client, token, account="b")
    statuses = batch(client, token, ["b", "a", "b"]).json()["statuses"]
    assert [(s["account"], s["must_accept"]) for s in statuses] == [("b", False), ("a", True)]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"accounts": []},
        {"accounts": "acct-1"},
        {"accounts": [f"a{n}" for n in range(101)]},
        {"accounts": ["ok", "a/b"]},
        {"accounts": ["ok", 7]},
        {"accounts": ["ok"], "at": "soon"},
        {"accounts": ["ok"], "at": 1700000000},
        {"accounts": ["ok"], "account": "typo"},
    ],
)
def test_a_bad_batch_is_400(client, terms, token, body):
    response = client.post(BATCH, json.dumps(body), content_type="application/json", **bearer(token))
    assert_error(response, 400, "invalid_field")


def test_a_batch_needs_the_read_scope_and_a_json_body(client, terms):
    _credential, writer = issue_credential(name="Writer", scopes=[Scope.WRITE])
    assert_error(batch(client, writer, ["a"]), 403, "insufficient_scope")
    _credential, reader = issue_credential(name="Reader", scopes=[Scope.READ])
    assert_error(client.post(BATCH, {"accounts": "a"}, **bearer(reader)), 415, "unsupported_media_type")
    assert_error(client.get(BATCH, **bearer(reader)), 405, "method_not_allowed")
    huge = json.dumps({"accounts": ["a" * 128] * 200})
    assert_error(client.post(BATCH, huge, content_type="application/json", **bearer(reader)), 413, "body_too_large")
    assert batch(client, reader, ["a"]).status_code == 200


# Export ----------------------------------------------------------------------------------------------------------


def _body(response):
    return b"".join(response.streaming_content).decode()


def test_export_streams_json_lines_since_an_instant(client, terms, token, clock):
    accept(client, token, account="early")
    clock.move_to(START + timedelta(hours=1))
    accept(client, token, account="late")
    response = client.get(EXPORT, {"since": "2026-11-24T12:30:00+07:00"}, **bearer(token))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    lines = [json.loads(line) for line in _body(response).splitlines()]
    assert [line["account"] for line in lines] == ["late"]
    assert lines[0]["text_sha256"] == terms.body_sha256_vi
    assert "Link" not in response
    whole_day = client.get(EXPORT, {"since": "2026-11-24"}, **bearer(token))
    assert [json.loads(line)["account"] for line in _body(whole_day).splitlines()] == ["early", "late"]


def test_export_as_csv_never_holds_a_formula(client, terms, token):
    accept(client, token, account="@SUM-1", metadata={"k": "v"})
    response = client.get(EXPORT, {"format": "csv"}, **bearer(token))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, row = _body(response).splitlines()
    assert header.split(",") == acceptance_api.EXPORT_COLUMNS
    assert ",'@SUM-1," in row and terms.body_sha256_vi in row and '"{""k"":""v""}"' in row


def test_export_is_paged_with_a_next_link(client, terms, token, monkeypatch):
    for n in range(5):
        accept(client, token, account=f"acct-{n}")
    monkeypatch.setattr(acceptance_api, "EXPORT_PAGE_SIZE", 2)
    seen, url = [], EXPORT
    while url:
        response = client.get(url, **bearer(token))
        seen += [json.loads(line)["account"] for line in _body(response).splitlines()]
        url = response.get("Link", "").partition(">")[0].removeprefix("<https://terms.sigma.video")
    assert seen == [f"acct-{n}" for n in range(5)]


def test_export_refuses_bad_parameters(client, terms, token):
    assert_error(client.get(EXPORT, {"format": "xlsx"}, **bearer(token)), 400, "invalid_format")
    assert_error(client.get(EXPORT, {"since": "yesterday"}, **bearer(token)), 400, "invalid_since")
    assert_error(client.get(EXPORT, {"after": "-1"}, **bearer(token)), 400, "invalid_after")


# Evidence of one account -----------------------------------------------------------------------------------------


def test_export_acceptances_prints_an_accounts_evidence_with_receipts_and_keys(client, terms, token, material, capsys):
    accept(client, token, account="other")
    first = accept(client, token)
    second = accept(client, token, version=2)
    call_command("export_acceptances", "acct-123")
    evidence = json.loads(capsys.readouterr().out)
    assert evidence["document"] == "terms-of-service" and evidence["account"] == "acct-123"
    assert evidence["records"] == [first, second]
    assert evidence["records"][0]["version_url"] == "https://terms.sigma.video/vi/terms-of-service/versions/1/"
    assert evidence["jwks"] == client.get("/.well-known/jwks.json").json()
    call_command("export_acceptances", "acct-123", "--format", "csv")
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split(",") == acceptance_api.EXPORT_COLUMNS
    assert [row.split(",")[0] for row in rows] == [str(first["id"]), str(second["id"])]
    assert rows[1].endswith(second["receipt"])


def test_export_acceptances_writes_a_file_and_refuses_bad_input(client, terms, token, tmp_path):
    accept(client, token)
    target = tmp_path / "evidence.json"
    call_command("export_acceptances", "acct-123", "--output", str(target))
    assert len(json.loads(target.read_text())["records"]) == 1
    with pytest.raises(CommandError, match="no document has the slug 'nope'"):
        call_command("export_acceptances", "acct-123", "--document", "nope")
    with pytest.raises(CommandError, match="an account is 1 to 128"):
        call_command("export_acceptances", "a/b")
    with pytest.raises(CommandError, match="No such file or directory"):
        call_command("export_acceptances", "acct-123", "--output", str(tmp_path / "missing" / "x.json"))


# Admin -----------------------------------------------------------------------------------------------------------


def test_a_superuser_creates_a_credential_and_sees_its_token_once(client, terms):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    response = client.post(
        "/admin/legal/productcredential/add/", {"name": "Livestream", "scopes": ["acceptances:read"]}
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    credential = ProductCredential.objects.get()
    assert (credential.name, credential.scopes, credential.created_by.username) == (
        "Livestream",
        ["acceptances:read"],
        "root",
    )
    assert credential.token_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert status_of(client, secret)["must_accept"] is True
    page = client.get(f"/admin/legal/productcredential/{credential.pk}/change/")
    assert secret not in page.content.decode()


def test_a_superuser_revokes_credentials_in_the_admin(client, terms, token):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    credential = ProductCredential.objects.get()
    response = client.post(
        "/admin/legal/productcredential/", {"action": "revoke", "_selected_action": [credential.pk]}, follow=True
    )
    assert response.status_code == 200
    assert ProductCredential.objects.get().revoked_at == START
    assert_error(client.get(f"{BASE}acct/", **bearer(token)), 401, "invalid_token")


def test_staff_who_are_not_superusers_cannot_see_credentials(client, terms):
    staff = User.objects.create_user("editor", password="pw", is_staff=True)
    staff.user_permissions.add(*__import__("django.contrib.auth.models").contrib.auth.models.Permission.objects.all())
    client.force_login(staff)
    assert client.get("/admin/legal/productcredential/").status_code == 403
    assert client.get("/admin/legal/productcredential/add/").status_code == 403


@pytest.mark.parametrize(("action", "content_type"), [("export_json", "application/json"), ("export_csv", "text/csv")])
def test_staff_who_may_view_acceptances_export_the_selected_records(client, terms, token, action, content_type):
    first, second = accept(client, token, account="acct-1"), accept(client, token, account="acct-2")
    staff = User.objects.create_user("legal", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_acceptance"))
    client.force_login(staff)
    response = client.post(
        "/admin/legal/acceptance/",
        {"action": action, "_selected_action": [second["id"]]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode()
    assert second["receipt"] in body and first["receipt"] not in body
    if action == "export_json":
        assert json.loads(body) == {"records": [second]}


def test_an_admin_export_is_bounded(client, terms, token, monkeypatch):
    from legal.admin import acceptances as admin_acceptances

    accept(client, token, account="acct-1")
    accept(client, token, account="acct-2")
    monkeypatch.setattr(admin_acceptances, "MAX_ADMIN_EXPORT", 1)
    client.force_login(User.objects.create_superuser("root", password="pw"))
    ids = list(Acceptance.objects.values_list("pk", flat=True))
    response = client.post("/admin/legal/acceptance/", {"action": "export_json", "_selected_action": ids}, follow=True)
    assert response["Content-Type"].startswith("text/html")
    assert "Chỉ chọn tối đa 1 bản ghi để xuất" in response.content.decode()  # the admin speaks Vietnamese


def test_staff_search_acceptances_by_account_read_only(client, terms, token):
    accept(client, token, account="acct-1")
    accept(client, token, account="acct-2")
    client.force_login(User.objects.create_superuser("root", password="pw"))
    response = client.get("/admin/legal/acceptance/", {"q": "acct-2"})
    assert [a.account for a in response.context["cl"].result_list] == ["acct-2"]
    pk = Acceptance.objects.get(account="acct-2").pk
    page = client.get(f"/admin/legal/acceptance/{pk}/change/")
    assert page.status_code == 200 and 'name="account"' not in page.content.decode()
    assert client.post(f"/admin/legal/acceptance/{pk}/delete/").status_code == 403
    assert client.get("/admin/legal/acceptance/add/").status_code == 403


# Concurrency (PostgreSQL) ----------------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_submissions_make_one_record(terms):
    _credential, secret = issue_credential(name="Media VOD")
    barrier = threading.Barrier(6)
    statuses = []

    def submit():
        try:
            barrier.wait(timeout=30)
            statuses.append(post(Client(), secret, {"account": "racer", "version": 1, "language": "vi"}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200] * 5 + [201]
    assert Acceptance.objects.filter(account="racer").count() == 1


@pytest.mark.parametrize("instant", ["0001-01-01", "9999-12-31", "2026-02-30", "2026-11-24T25:00:00+07:00"])
def test_instants_at_the_calendar_edges_are_400_not_500(client, terms, token, instant):
    assert_error(client.get(EXPORT, {"since": instant}, **bearer(token)), 400, "invalid_since")
    assert_error(client.get(f"{BASE}acct/", {"at": instant}, **bearer(token)), 400, "invalid_at")
    body = {"account": "a", "version": 1, "language": "vi", "accepted_at": instant}
    assert_error(post(client, token, body), 400, "invalid_field")


@pytest.mark.parametrize(
    ("instant", "status", "code"),
    [
        ("0001-01-01T00:00:00+07:00", 400, "invalid_field"),
        ("0001-01-01T00:00:00-07:00", 422, "not_yet_published"),
        ("9999-12-31T23:59:59-07:00", 400, "invalid_field"),
        ("9999-12-31T00:00:00+07:00", 422, "accepted_at_in_future"),
    ],
)
def test_accepted_at_at_the_calendar_edges_is_refused_cleanly(client, terms, token, instant, status, code):
    body = {"account": "a", "version": 1, "language": "vi", "accepted_at": instant}
    assert_error(post(client, token, body), status, code)
