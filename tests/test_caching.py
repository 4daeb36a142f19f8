"""Production serving: query budgets, the page cache, HTTP caching and /healthz."""

import gzip
import json
from datetime import timedelta

import pytest

from django.conf import settings
from django.core.cache import cache

from legal.publishing import withdraw_version
from tests.conftest import START, make_version, run_django, site_time, text_of

pytestmark = pytest.mark.django_db

PAGES = ["/vi/terms-of-service/", "/en/terms-of-service/versions/", "/en/terms-of-service/versions/1/"]


@pytest.mark.parametrize("path", PAGES + ["/api/documents/terms-of-service/"])
def test_document_pages_cost_one_query_cold_and_none_warm(
    client, scheduled, path, django_assert_max_num_queries, django_assert_num_queries
):
    with django_assert_max_num_queries(1):
        assert client.get(path).status_code == 200
    with django_assert_num_queries(0):
        assert client.get(path).status_code == 200


def test_comparison_costs_two_queries_cold_once_stored_and_none_warm(client, scheduled, django_assert_num_queries):
    """The versions, then the stored redline (legal.redlines); the first reader also stores it."""
    path = "/en/terms-of-service/compare/1/2/"
    assert client.get(path).status_code == 200
    cache.clear()
    with django_assert_num_queries(2):
        assert client.get(path).status_code == 200
    with django_assert_num_queries(0):
        assert client.get(path).status_code == 200


def test_warm_hit_renders_no_template(client, terms):
    client.get("/vi/terms-of-service/")
    response = client.get("/vi/terms-of-service/")
    assert response.status_code == 200 and not response.templates


def test_etag_and_last_modified_give_304(client, terms):
    first = client.get("/en/terms-of-service/")
    assert first["ETag"] and first["Last-Modified"]
    again = client.get("/en/terms-of-service/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    since = client.get("/en/terms-of-service/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    other = client.get("/en/terms-of-service/", HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200


def test_cache_control_is_public_and_capped(client, terms):
    response = client.get("/en/terms-of-service/")
    # HTTP_MAX_AGE and the lead are both 300 s; the lead wins, less CACHE_CLOCK_MARGIN.
    assert (settings.HTTP_MAX_AGE, settings.PUBLISH_LEAD_SECONDS) == (300, 300)
    assert response["Cache-Control"] == "public, max-age=298"


def test_max_age_never_reaches_past_the_next_switch(client, scheduled, clock):
    clock.move_to(site_time(2026, 11, 30, 23, 59, 50))
    for path in PAGES:
        assert client.get(path)["Cache-Control"] == "public, max-age=8", path  # 10 s less the margin
    clock.move_to(site_time(2026, 11, 30, 23, 59, 57))
    # Served from the warm cache, the ceiling still shrinks with the clock.
    assert client.get(PAGES[0])["Cache-Control"] == "public, max-age=1"


def test_switch_happens_at_the_instant_with_warm_caches(client, scheduled, clock):
    clock.move_to(site_time(2026, 11, 30, 23, 59, 59))
    assert "Phiên bản 1" in client.get("/vi/terms-of-service/").content.decode()
    assert "Phiên bản 1" in client.get("/vi/terms-of-service/").content.decode()  # warm
    clock.move_to(site_time(2026, 12, 1, 0, 0))
    page = client.get("/vi/terms-of-service/").content.decode()
    assert "Phiên bản 2" in page and "Một phiên bản mới" not in page


def test_publish_is_visible_at_once_on_a_warm_cache(client, terms, django_capture_on_commit_callbacks):
    assert "Một phiên bản mới" not in client.get("/vi/terms-of-service/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        version = make_version(terms.document, effective_at=START + timedelta(days=40))
    assert "Một phiên bản mới" in client.get("/vi/terms-of-service/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_version(version, reason="Published by mistake.")
    assert "Một phiên bản mới" not in client.get("/vi/terms-of-service/").content.decode()


def test_cached_page_is_not_shared_across_languages_or_hosts(client, terms):
    assert client.get("/vi/terms-of-service/")["Content-Language"] == "vi"
    assert client.get("/en/terms-of-service/")["Content-Language"] == "en"
    other = client.get("/en/terms-of-service/", HTTP_HOST="localhost")
    assert 'href="http://localhost/en/terms-of-service/"' in other.content.decode()


def test_prefixed_pages_do_not_vary_on_accept_language_or_cookie(client, terms):
    for path in PAGES:
        vary = client.get(path).get("Vary", "")
        assert "Accept-Language" not in vary and "Cookie" not in vary, (path, vary)
    assert "Accept-Language" in client.get("/")["Vary"]


def test_text_responses_are_compressed(client, terms):
    response = client.get("/vi/terms-of-service/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert "Điều khoản sử dụng" in gzip.decompress(response.content).decode()
    assert response["ETag"].startswith('W/"')
    again = client.get("/vi/terms-of-service/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_publish_retires_cached_pages_and_a_draft_does_not_reach_them(
    client, terms, django_capture_on_commit_callbacks
):
    """A warm page is rendered again after a publish (the generation moves); a saved draft changes nothing."""
    warm = client.get("/en/terms-of-service/").content
    assert client.get("/en/terms-of-service/").content == warm  # served from the cache
    make_version(terms.document, effective_at=START + timedelta(days=40), body_en=terms.body_en + "\nDRAFT ONLY.\n",
                 publish=False)  # fmt: skip
    after_draft = client.get("/en/terms-of-service/").content
    assert after_draft == warm and b"DRAFT ONLY" not in after_draft
    with django_capture_on_commit_callbacks(execute=True):
        make_version(terms.document, effective_at=START + timedelta(days=40))
    page = text_of(client.get("/en/terms-of-service/"))
    assert "A new version takes effect on 3 January 2027." in page


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_healthz_503_when_the_database_is_unreachable():
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(r.status_code, json.loads(r.content)['database'])"
    )
    result = run_django(["-c", script], DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")
    assert result.stdout.strip() == "503 unreachable", result.stderr[-2000:]


def test_the_acceptance_api_is_never_looked_up_in_the_page_cache(client, terms):
    """Its answers are per account and never stored, so its calls cost the page cache nothing."""
    from django.test import RequestFactory

    from legal.caching import get_page, page_key
    from legal.product_auth import issue_credential

    path = "/api/acceptances/status/?document=terms-of-service&account=acct-1"
    secret = issue_credential(name="Media VOD")[1]
    _missing, generation = get_page(RequestFactory().get(path))
    # A page stored under the call's key (none ever is) would be served if the key were looked up.
    planted = client.get("/api/documents/terms-of-service/")
    key = page_key(RequestFactory().get(path))
    cache.set(key, cache.get(page_key(RequestFactory().get("/api/documents/terms-of-service/"))))
    assert cache.get(key).generation == generation
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json()["account"] == "acct-1"
    assert response.content != planted.content
