"""The products' rate limit (django-ratelimit) counted in a real Redis: two commands a request, windows that expire."""

import pytest
import redis as redis_py
from django_ratelimit.core import EXPIRATION_FUDGE

from django.test import RequestFactory

from legal.product_auth import issue_credential
from legal.rate_limits import PRODUCT_RATE_WINDOW as WINDOW
from legal.rate_limits import product_over_limit
from sigma_terms.settings import redis_cache
from tests.redis_server import REDIS_SERVER, ThrowawayRedis


@pytest.fixture
def redis(tmp_path, settings):
    """A throwaway redis-server that the site's cache points at, and a client of its own."""
    if not REDIS_SERVER.exists():
        pytest.skip("needs /usr/bin/redis-server (Debian package redis-server)")
    server = ThrowawayRedis(tmp_path).start()
    settings.CACHES = {"default": redis_cache(server.url, key_prefix="rate-test")}
    yield redis_py.Redis.from_url(server.url)
    server.stop()


def sent_commands(client, block):
    """The commands the site sent Redis while `block` ran (MONITOR; those a Lua script runs left out)."""
    with client.monitor() as monitor:
        block()
        client.echo("end of block")
        sent = []
        while (command := monitor.next_command())["command"] != "ECHO end of block":
            if command["client_type"] != "lua" and "rate-test:" in command["command"]:
                sent.append(command["command"])
    return sent


@pytest.fixture
def credential(db):
    return issue_credential(name="Media VOD")[0]


def test_each_counted_request_is_two_redis_commands(redis, settings, credential):
    """django-ratelimit adds the window's key (SET NX), then increments it (one script call)."""
    settings.PRODUCT_RATE_LIMIT = 4
    request = RequestFactory().get("/api/acceptances/status/")
    for _ in range(2):  # connects, and loads the increment's script, once per process
        assert product_over_limit(request, credential) is None
    waits = []
    sent = sent_commands(redis, lambda: waits.extend(product_over_limit(request, credential) for _ in range(4)))
    assert waits[:2] == [None, None]  # the 3rd and 4th of the window
    assert waits[2] == waits[3] and 1 <= waits[2] <= WINDOW
    assert [command.split()[0] for command in sent] == ["SET", "EVALSHA"] * 4, "\n".join(sent)


def test_a_windows_count_expires_with_its_window(redis, settings, credential):
    settings.PRODUCT_RATE_LIMIT = 100
    request = RequestFactory().get("/api/acceptances/status/")
    product_over_limit(request, credential)
    product_over_limit(request, credential)
    (key,) = redis.keys("*rl:*")
    assert 0 < redis.ttl(key) <= WINDOW + EXPIRATION_FUDGE
    assert int(redis.get(key)) == 2


def test_incr_of_a_missing_key_refuses_and_creates_nothing(redis):
    from django.core.cache import cache

    with pytest.raises(ValueError):
        cache.incr("nothing-here")
    assert redis.keys("*nothing-here*") == []
    cache.add("counter", 1, timeout=WINDOW)
    assert cache.incr("counter", 5) == 6
    assert cache.get("counter") == 6
