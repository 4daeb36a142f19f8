"""The fail-open page cache (sigma_terms/cache.py) against a real Redis that dies, hangs and comes back stale.

Each test starts its own redis-server on a free loopback port (tests/redis_server.py) and
points the cache at it with the project's own cache settings. Which version is in effect
must never depend on that cache: while it is down or hung pages are served from the
database, and when it comes back with entries from before a publish, those expire before
the published version takes effect (PUBLISH_LEAD_SECONDS).
"""

import json
import logging
import re
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis as redis_py

from legal.models import DocumentVersion
from legal.publishing import new_draft_from
from sigma_terms.settings import redis_cache
from tests.conftest import START, make_version, role_user, text_of
from tests.redis_server import REDIS_SERVER, ThrowawayRedis

pytestmark = pytest.mark.django_db

CANONICAL = "/vi/terms-of-service/"
API = "/api/documents/terms-of-service/"
# Cached pages, uncached pages and the subscription form, in both languages.
PATHS = [
    CANONICAL,
    "/en/terms-of-service/",
    "/en/terms-of-service/versions/",
    "/vi/terms-of-service/versions/1/",
    API,
    "/vi/",
    "/en/terms-of-service/feed/",
    "/sitemap.xml",
    "/en/terms-of-service/subscribe/",
    "/vi/terms-of-service/versions/1/vi.md",
]
# Generous: a request that waits on a hung Redis without a timeout takes far longer.
ANTI_HANG_SECONDS = 5


@pytest.fixture
def redis(tmp_path, settings):
    """A throwaway redis-server that the site's cache points at."""
    if not REDIS_SERVER.exists():
        pytest.skip("needs /usr/bin/redis-server (Debian package redis-server)")
    server = ThrowawayRedis(tmp_path).start()
    settings.CACHES = {"default": redis_cache(server.url, key_prefix="fault-test")}
    yield server
    server.stop()


@contextmanager
def outage(redis, kind):
    """Redis killed (then restarted from its append-only file) or hung (then resumed)."""
    if kind == "killed":
        redis.kill()
        yield
        redis.start()
    else:
        with redis.hung():
            yield


def timed_get(client, path, **extra):
    started = time.monotonic()
    response = client.get(path, **extra)
    return response, time.monotonic() - started


def max_age(response):
    return int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1))


def connections_received(redis):
    return redis_py.Redis.from_url(redis.url).info("stats")["total_connections_received"]


@pytest.mark.parametrize("kind", ["killed", "hung"])
def test_pages_api_and_forms_are_served_from_the_database_while_redis_fails(client, terms, redis, kind, caplog):
    """No 500 and no wait: every page, the API and the subscription form answer without Redis."""
    for path in PATHS:
        assert client.get(path).status_code == 200, path  # warm the cache
    before = connections_received(redis)
    with caplog.at_level(logging.WARNING, logger="sigma_terms.cache"), outage(redis, kind):
        for path in PATHS:
            response, seconds = timed_get(client, path)
            assert response.status_code == 200, path
            assert seconds < ANTI_HANG_SECONDS, (path, seconds)
        page = client.get(CANONICAL)
        assert "Phiên bản 1" in text_of(page) and page.templates  # rendered from the database
        subscribed = client.post("/en/terms-of-service/subscribe/", {"email": "reader@example.com", "language": "en"})
        assert subscribed.status_code == 200 and "Check your inbox" in text_of(subscribed)
        health = client.get("/healthz")
        assert (health.status_code, json.loads(health.content)) == (
            200,
            {"status": "degraded", "database": "ok", "cache": "unreachable"},
        )
    # One failure opened the circuit: logged once, and no request after it tried Redis again
    # (new connections: the one that counts them, and at most the one that timed out).
    assert [r.levelname for r in caplog.records if r.name == "sigma_terms.cache"] == ["ERROR"]
    if kind == "hung":
        assert connections_received(redis) - before <= 2


def test_the_circuit_closes_again_when_redis_answers(client, terms, redis, clock, settings):
    """After CACHE_CIRCUIT_SECONDS one request tries Redis again, and pages are cached again."""
    redis.kill()
    client.get(CANONICAL)
    redis.start()
    assert client.get(CANONICAL).templates  # the circuit is still open: not stored
    clock.shift(timedelta(seconds=settings.CACHE_CIRCUIT_SECONDS))
    assert client.get(CANONICAL).templates
    assert not client.get(CANONICAL).templates  # a warm hit from Redis
    assert json.loads(client.get("/healthz").content)["cache"] == "ok"


def test_healthz_answers_within_a_second_while_redis_hangs(client, terms, redis):
    """/healthz waits at most the socket timeout for a hung Redis, and says so with a 200."""
    assert json.loads(client.get("/healthz").content) == {"status": "ok", "database": "ok", "cache": "ok"}
    with redis.hung():
        response, seconds = timed_get(client, "/healthz")
    assert response.status_code == 200 and json.loads(response.content)["cache"] == "unreachable"
    assert seconds < 1


@pytest.mark.parametrize("kind", ["killed", "hung"])
def test_publish_during_an_outage_commits_and_the_switch_happens_on_time(
    client, terms, redis, kind, clock, settings, django_capture_on_commit_callbacks
):
    """Redis down or hung at the publish, back with its old entries: the page and API switch at the instant."""
    lead = settings.PUBLISH_LEAD_SECONDS
    assert "Phiên bản 1" in text_of(client.get(CANONICAL))
    assert json.loads(client.get(API).content)["current"]["number"] == 1
    assert not client.get(CANONICAL).templates  # warm: cached in Redis

    draft = new_draft_from(terms)
    draft.change_kind = DocumentVersion.ChangeKind.EDITORIAL
    draft.effective_at = START + timedelta(seconds=lead)  # the shortest notice allowed
    draft.summary_vi, draft.summary_en = "Sửa lỗi chính tả", "Typo fixed"
    draft.save()
    staff = client.__class__()
    staff.force_login(role_user("publisher"))
    with outage(redis, kind):
        with django_capture_on_commit_callbacks(execute=True):
            response = staff.post(f"/admin/legal/documentversion/{draft.pk}/publish/")
        assert response.status_code == 302  # reported as committed
        assert DocumentVersion.objects.get(pk=draft.pk).status == DocumentVersion.Status.PUBLISHED
        assert client.get(CANONICAL).status_code == 200

    # Redis is back with the entries it held before the publish, which was never retired.
    clock.shift(timedelta(seconds=settings.CACHE_CIRCUIT_SECONDS))
    stale = client.get(CANONICAL)
    assert not stale.templates and "Phiên bản 1" in text_of(stale)
    for moment in (START + timedelta(seconds=lead // 2), draft.effective_at - timedelta(seconds=1)):
        clock.move_to(moment)
        for path in (CANONICAL, API):
            served = client.get(path)
            # Whatever it serves until then, no cache in front may keep it past the switch.
            assert moment + timedelta(seconds=max_age(served)) <= draft.effective_at, (path, moment)
        assert "Phiên bản 1" in text_of(client.get(CANONICAL))

    clock.move_to(draft.effective_at)
    assert "Phiên bản 2" in text_of(client.get(CANONICAL))
    assert json.loads(client.get(API).content)["current"]["number"] == 2


def test_a_page_served_just_before_a_short_notice_publish_expires_before_the_switch(
    client, terms, redis, clock, settings
):
    """A CDN honouring max-age cannot show the old version after the switch, whatever HTTP_MAX_AGE says."""
    settings.PUBLISH_LEAD_SECONDS = 120
    settings.HTTP_MAX_AGE = settings.PAGE_CACHE_SECONDS = 3600
    served = [(START, client.get(path)) for path in (CANONICAL, API)]
    clock.shift(timedelta(seconds=100))
    served += [(START + timedelta(seconds=100), client.get(path)) for path in (CANONICAL, API)]  # warm hits
    clock.shift(timedelta(seconds=1))
    version = make_version(terms.document, effective_at=START + timedelta(seconds=101 + 120))
    for at, response in served:
        assert at + timedelta(seconds=max_age(response)) <= version.effective_at, response["Cache-Control"]


def test_every_cache_lifetime_and_max_age_is_cut_to_the_lead(client, terms, redis, clock, settings):
    """PUBLISH_LEAD_SECONDS bounds the page cache, HTTP_MAX_AGE and the API's max-age."""
    settings.PUBLISH_LEAD_SECONDS = 30
    settings.HTTP_MAX_AGE = settings.PAGE_CACHE_SECONDS = 3600
    # The lead, less the margin for caches that count whole seconds (CACHE_CLOCK_MARGIN).
    assert client.get(CANONICAL)["Cache-Control"] == "public, max-age=28"
    assert client.get(API)["Cache-Control"] == "public, max-age=28"
    assert client.get("/api/documents/nothing/")["Cache-Control"] == "public, max-age=28"
    clock.shift(timedelta(seconds=29))
    assert not client.get(CANONICAL).templates
    clock.shift(timedelta(seconds=1))
    assert client.get(CANONICAL).templates  # rendered again: stored for 30 s, not 3600


def test_a_publish_is_reported_even_when_the_cache_raises(terms, settings, django_capture_on_commit_callbacks):
    """The generation bump after commit never raises, even with Django's plain Redis backend."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.25},
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        version = make_version(terms.document, effective_at=START + timedelta(days=1))
    assert version.status == DocumentVersion.Status.PUBLISHED


def page_keys(redis):
    return redis_py.Redis.from_url(redis.url).keys("fault-test:*legal:page:*")


def test_a_warm_page_is_served_from_the_process_copy_for_at_most_page_cache_local_seconds(
    client, terms, redis, clock, settings
):
    """After one read from Redis the page body comes from the process's copy, for PAGE_CACHE_LOCAL_SECONDS at most."""
    assert client.get(CANONICAL).templates  # rendered, stored in Redis
    body = client.get(CANONICAL).content  # read from Redis, kept by the process
    redis_py.Redis.from_url(redis.url).delete(*page_keys(redis))
    clock.shift(timedelta(seconds=settings.PAGE_CACHE_LOCAL_SECONDS - 1))
    copy = client.get(CANONICAL)
    assert not copy.templates and copy.content == body  # Redis no longer holds it: the copy answered
    clock.shift(timedelta(seconds=1))
    assert client.get(CANONICAL).templates  # the copy is too old, and Redis has nothing: rendered again


def test_a_publish_in_another_process_retires_the_process_copy_at_once(client, terms, redis):
    """Another server's publish bumps the generation in Redis: this process's copy is not served after it."""
    client.get(CANONICAL)
    assert not client.get(CANONICAL).templates  # kept by the process
    assert not client.get(CANONICAL).templates  # served from the copy
    redis_py.Redis.from_url(redis.url).incr("fault-test:1:legal:generation")  # as bump_generation elsewhere
    assert client.get(CANONICAL).templates


@pytest.mark.parametrize("kind", ["killed", "hung"])
def test_the_process_copy_is_not_served_while_redis_fails(client, terms, redis, kind):
    """A cache that cannot be read is a miss: the page is rendered, not taken from the process's copy."""
    client.get(CANONICAL)
    assert not client.get(CANONICAL).templates  # kept by the process
    with outage(redis, kind):
        assert client.get(CANONICAL).templates
