"""The JSON API: current, scheduled and past versions, `?at=`, errors, ETag/304, Cache-Control, CORS."""

import hashlib
import json
from datetime import timedelta

import pytest

from django.core.cache import cache

from legal.importing import BUNDLED_DIR
from legal.rendering import split_front_matter
from tests.conftest import make_version, site_time

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_site_url")]

API = "/api/documents/terms-of-service/"


def get_json(client, path=API, status=200, **params):
    response = client.get(path, params)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["ETag"].startswith('"') and "public" in response["Cache-Control"]
    return response.json()


def test_the_current_version_with_urls_and_hashes_per_language(client, terms):
    data = get_json(client)
    current = data["current"]
    assert current["number"] == 1
    assert current["effective_at"] == "2026-11-24T00:00:00+07:00"
    assert current["change_kind"] == terms.change_kind
    for language in ("vi", "en"):
        entry = current["languages"][language]
        assert entry["url"] == f"https://terms.sigma.video/{language}/terms-of-service/versions/1/"
        assert entry["sha256"] == getattr(terms, f"body_sha256_{language}")
    assert current["languages"]["vi"]["title"] == "Điều khoản sử dụng"
    assert data["scheduled"] is None
    assert data["document"] == {
        "slug": "terms-of-service",
        "authoritative_language": "vi",
        "title": {"vi": "Điều khoản sử dụng", "en": "Terms of Service"},
        "url": {
            "vi": "https://terms.sigma.video/vi/terms-of-service/",
            "en": "https://terms.sigma.video/en/terms-of-service/",
        },
        "feed": {
            "vi": "https://terms.sigma.video/vi/terms-of-service/feed/",
            "en": "https://terms.sigma.video/en/terms-of-service/feed/",
        },
    }


def test_the_sha256_is_that_of_the_markdown_after_the_front_matter(client, terms):
    """A client can check a copy of the text it holds against the published one."""
    sha256 = get_json(client)["current"]["languages"]
    for language in ("vi", "en"):
        source = (BUNDLED_DIR / f"terms-of-service.{language}.md").read_text(encoding="utf-8")
        _meta, body = split_front_matter(source)
        assert sha256[language]["sha256"] == hashlib.sha256(body.encode("utf-8")).hexdigest()


def test_the_scheduled_version_and_the_list_of_published_versions(client, scheduled, withdrawn):
    data = get_json(client)
    assert data["current"]["number"] == 1
    assert data["scheduled"]["number"] == 2
    assert data["scheduled"]["effective_at"] == "2026-12-01T00:00:00+07:00"
    assert data["scheduled"]["languages"]["en"]["summary"] == "Clarified section 2 (en)"
    listed = [(version["number"], version["status"]) for version in data["versions"]]
    assert listed == [(3, "withdrawn"), (2, "scheduled"), (1, "in_effect")]
    withdrawn = data["versions"][0]
    assert (withdrawn["withdrawn_at"], withdrawn["reason"]) == ("2026-11-24T12:00:00+07:00", "Published by mistake.")
    assert [(v["previous"], v["next"]) for v in data["versions"]] == [(2, None), (1, None), (None, 2)]


def test_the_scheduled_version_becomes_current_at_its_instant(client, scheduled, withdrawn, clock):
    clock.move_to(site_time(2026, 12, 1, 0, 0))
    data = get_json(client)
    assert (data["current"]["number"], data["scheduled"]) == (2, None)


@pytest.mark.parametrize(
    ("at", "number"),
    [
        ("2026-11-24T00:00:00+07:00", 1),
        ("2026-11-23T23:59:59+07:00", None),
        ("2026-11-30T16:59:59Z", 1),
        ("2026-11-30T17:00:00Z", 2),
        ("2026-12-01T00:00", 2),  # naive: site time
        ("2026-11-30 23:59:59.999999", 1),
        ("2026-12-01", 2),
        ("2027-06-01T00:00:00+07:00", 2),  # the withdrawn version 3 never takes effect
    ],
)
def test_at_answers_which_version_was_in_effect(client, scheduled, withdrawn, at, number):
    data = get_json(client, at=at)
    assert data["version"] == (None if number is None else get_json(client)["versions"][-number])
    assert "current" not in data


def test_at_echoes_the_instant_in_site_time(client, scheduled, withdrawn):
    assert get_json(client, at="2026-11-30T17:00:00Z")["at"] == "2026-12-01T00:00:00+07:00"


@pytest.mark.parametrize(
    "at",
    ["", "yesterday", "2026-13-01T00:00", "2026-02-30", "2026-11-24T25:00", "2026-11-24T00:00:00 07:00", "1" * 100,
     "2026-11-24T00:00:00+07:00'; DROP TABLE legal_document;--"],
)  # fmt: skip
def test_a_malformed_at_is_a_400_with_a_json_error(client, terms, at):
    data = get_json(client, status=400, at=at)
    assert data["error"]["code"] == "invalid_at"
    assert "ISO 8601" in data["error"]["message"]


def test_unknown_documents_are_a_404_in_json(client, terms):
    data = get_json(client, "/api/documents/no-such-document/", status=404)
    assert data == {"error": {"code": "not_found", "message": "No published document has the slug 'no-such-document'."}}


def test_a_document_with_only_drafts_is_not_found(client, db):
    from legal.models import Document

    Document.objects.create(slug="draft-only", title_vi="Nháp", title_en="Draft")
    get_json(client, "/api/documents/draft-only/", status=404)


def test_etag_and_conditional_get(client, terms):
    response = client.get(API)
    etag = response["ETag"]
    assert etag == f'"{hashlib.sha256(response.content).hexdigest()[:40]}"'
    again = client.get(API, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in again["Cache-Control"]
    assert client.get(API, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert client.get(API, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_a_cold_answer_to_a_conditional_request_is_a_304_with_cors_headers(client, terms):
    """Revalidation when the page cache is empty: the 304 keeps what a cross-origin reader needs."""
    first = client.get(API)
    for headers in ({"HTTP_IF_NONE_MATCH": first["ETag"]}, {"HTTP_IF_MODIFIED_SINCE": first["Last-Modified"]}):
        cache.clear()
        again = client.get(API, **headers)
        assert (again.status_code, again.content) == (304, b"")
        assert (again["ETag"], again["Access-Control-Allow-Origin"]) == (first["ETag"], "*")
        assert again["Access-Control-Expose-Headers"] == "ETag"


def test_the_etag_changes_when_a_version_is_published(client, terms, django_capture_on_commit_callbacks):
    before = client.get(API)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        make_version(terms.document, effective_at=site_time(2026, 12, 1))
    response = client.get(API, HTTP_IF_NONE_MATCH=before)
    assert response.status_code == 200 and response["ETag"] != before


def test_cache_control_never_reaches_past_the_next_scheduled_switch(client, scheduled, withdrawn, clock):
    assert client.get(API)["Cache-Control"] == "public, max-age=60"
    clock.move_to(site_time(2026, 11, 30, 23, 59, 30))
    # 30 s to the switch, less the margin for caches that count whole seconds.
    assert client.get(API)["Cache-Control"] == "public, max-age=28"
    assert client.get(API, {"at": "2026-11-25"})["Cache-Control"] == "public, max-age=28"


def test_head_answers_like_get(client, terms):
    response = client.head(API)
    assert response.status_code == 200
    assert response["ETag"] == client.get(API)["ETag"]


def test_cors_preflight(client, terms):
    response = client.options(
        API, HTTP_ORIGIN="https://app.sigma.video", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
    )  # fmt: skip
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "If-None-Match" in response["Access-Control-Allow-Headers"]
    assert response["Access-Control-Max-Age"] == "86400"


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_other_methods_are_refused_in_json(client, terms, method):
    response = getattr(client, method)(API)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_version_list_is_paged(client, terms, settings):
    for minute in range(1, 55):
        make_version(terms.document, effective_at=site_time(2026, 12, 1) + timedelta(minutes=minute))
    first = get_json(client)
    assert [v["number"] for v in first["versions"]][:2] == [55, 54] and len(first["versions"]) == 50
    assert first["versions_page"] == 1
    assert first["versions_next_page"] == f"{settings.SITE_URL}/api/documents/terms-of-service/?page=2"
    second = json.loads(client.get(API, {"page": 2}).content)
    assert [v["number"] for v in second["versions"]] == [5, 4, 3, 2, 1] and second["versions_next_page"] is None
    assert client.get(API, {"page": 3}).status_code == 404
    assert client.get(API, {"page": "x"}).status_code == 400
