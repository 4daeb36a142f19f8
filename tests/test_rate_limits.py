"""The products' rate limit counted in a real Redis: one round-trip a request, windows that expire."""

import pytest
import redis as redis_py

from legal import clock
from legal.rate_limits import count_attempt
from sigma_terms.settings import redis_cache
from tests.redis_server import REDIS_SERVER, ThrowawayRedis

WINDOW = 60


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


def test_each_request_after_a_windows_first_is_one_redis_command(redis):
    count_attempt("product-rate:1", WINDOW)  # connects and loads the script, once per process
    count_attempt("product-rate:1", WINDOW)
    counts = []
    sent = sent_commands(redis, lambda: counts.extend(count_attempt("product-rate:7", WINDOW) for _ in range(6)))
    assert counts == [1, 2, 3, 4, 5, 6]
    # The window's first: the increment finds no key, which is then added; then one each.
    assert len(sent) == 2 + 5, "\n".join(sent)


def test_a_windows_count_expires_with_its_window(redis):
    count_attempt("product-rate:7", WINDOW)
    count_attempt("product-rate:7", WINDOW)
    (key,) = redis.keys("*product-rate:7*")
    assert key.endswith(str(int(clock.now().timestamp() // WINDOW)).encode())
    assert 0 < redis.ttl(key) <= WINDOW
    assert int(redis.get(key)) == 2


def test_incr_of_a_missing_key_refuses_and_creates_nothing(redis):
    from django.core.cache import cache

    with pytest.raises(ValueError):
        cache.incr("nothing-here")
    assert redis.keys("*nothing-here*") == []
    cache.add("counter", 1, timeout=WINDOW)
    assert cache.incr("counter", 5) == 6
    assert cache.get("counter") == 6
