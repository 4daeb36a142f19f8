"""The products' rate limit counted in a real Redis: what each request costs it in round-trips."""

import pytest
import redis as redis_py

from django.test import RequestFactory

from legal.product_auth import issue_credential
from legal.rate_limits import PRODUCT_RATE_WINDOW, product_over_limit
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


@pytest.mark.django_db
def test_each_request_after_a_windows_first_is_two_redis_commands(redis, settings):
    """django-ratelimit's add, which finds the window's key, and one increment (Django's takes two)."""
    settings.PRODUCT_RATE_LIMIT = 100
    credential = issue_credential(name="Media VOD")[0]
    request = RequestFactory().get("/api/acceptances/status/")
    other = issue_credential(name="Media Live")[0]
    product_over_limit(request, other)  # connects and loads the script, once per process
    product_over_limit(request, other)
    waits = []
    sent = sent_commands(redis, lambda: waits.extend(product_over_limit(request, credential) for _ in range(6)))
    assert waits == [None] * 6
    # The window's first: the add creates the key; then an add that finds it and an increment.
    assert len(sent) == 1 + 5 * 2, "\n".join(sent)
    settings.PRODUCT_RATE_LIMIT = 6  # a key per rate: this one counts afresh
    assert [product_over_limit(request, credential) for _ in range(6)] == [None] * 6
    assert 0 < product_over_limit(request, credential) <= PRODUCT_RATE_WINDOW + 1


def test_incr_of_a_missing_key_refuses_and_creates_nothing(redis):
    from django.core.cache import cache

    with pytest.raises(ValueError):
        cache.incr("nothing-here")
    assert redis.keys("*nothing-here*") == []
    cache.add("counter", 1, timeout=60)
    assert cache.incr("counter", 5) == 6
    assert cache.get("counter") == 6
