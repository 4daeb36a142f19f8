"""A Redis cache backend that fails open: a dead or hung Redis is a cache miss, never an error.

Django's RedisCache raises on every call while Redis is unreachable, and waits as long as
its socket timeout when Redis hangs. Here a failed call is logged once, opens a circuit for
`CACHE_CIRCUIT_SECONDS` in this process, and every call meanwhile answers at once as a
miss does: `get` gives the default, `add` False, `incr` raises ValueError (a missing key),
writes and deletes do nothing. After that time one call tries Redis again; success closes
the circuit. The site then serves from the database, only slower, and nothing it decides
depends on the cache (README, "Running on several servers").
"""

import logging
import threading
import time

from redis.exceptions import RedisError

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)


class CircuitBreaker:
    """Per-process state of one Redis location: closed (use it) or open until an instant."""

    def __init__(self, location):
        self.location = location
        self.open_until = None
        self.lock = threading.Lock()

    def allows(self):
        open_until = self.open_until
        if open_until is None:
            return True
        # Wall-clock seconds, so tests move past the open period with the clock; a clock set
        # back by more than the period closes the circuit rather than keeping it open.
        now = time.time()
        return now >= open_until or now < open_until - settings.CACHE_CIRCUIT_SECONDS

    def failed(self, error):
        with self.lock:
            was_closed = self.open_until is None
            self.open_until = time.time() + settings.CACHE_CIRCUIT_SECONDS
        if was_closed:
            logger.error(
                "Cache %s failed (%s: %s); serving without it, next try in %ss.",
                self.location,
                type(error).__name__,
                error,
                settings.CACHE_CIRCUIT_SECONDS,
            )

    def succeeded(self):
        if self.open_until is not None:
            with self.lock:
                self.open_until = None
            logger.warning("Cache %s answers again.", self.location)


_breakers = {}
_breakers_lock = threading.Lock()


def breaker_for(location):
    """The one breaker of `location` in this process (Django builds a cache object per thread)."""
    with _breakers_lock:
        return _breakers.setdefault(location, CircuitBreaker(location))


class Unavailable(Exception):
    """Redis failed just now, or did recently and the circuit is open."""


# INCRBY a key only if it exists, in one round-trip. Django's RedisCache asks EXISTS first and
# INCRBY then: two round-trips, and a key that expires between them is created again by INCRBY
# with no expiry at all.
INCR_EXISTING = (
    "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end return false"
)


class ReusedClient(RedisCacheClient):
    """Django's client, but with one `redis.Redis` per connection pool instead of one per call.

    Django builds a new `redis.Redis` for every cache call, which fills its table of about
    170 response callbacks each time: measured, that was most of a cache call's CPU. A
    `redis.Redis` on a pool is safe to share, and Django keeps a cache object per thread.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FailOpenRedisCache(RedisCache):
    """RedisCache whose every call degrades to a miss or a no-op when Redis fails."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClient
        self.breaker = breaker_for(server if isinstance(server, str) else ",".join(server))
        self._incr_script = None  # INCR_EXISTING, loaded into Redis by its first call

    def _call(self, method, *args):
        if not self.breaker.allows():
            raise Unavailable
        try:
            result = method(*args)
        except (RedisError, OSError) as error:
            self.breaker.failed(error)
            raise Unavailable from error
        self.breaker.succeeded()
        return result

    def _or(self, fallback, method, *args):
        try:
            return self._call(method, *args)
        except Unavailable:
            return fallback

    def ping(self):
        """True when Redis answers now, within the socket timeout; False at once while the circuit is open."""
        return self._or(False, lambda: self._cache.get_client(write=True).ping())

    def get(self, key, default=None, version=None):
        return self._or(default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._or({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._or(False, super().has_key, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._or(False, super().add, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._or(None, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        # Django's contract: the keys that could not be stored.
        return self._or(list(data), super().set_many, data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._or(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._or(False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        self._or(None, super().delete_many, keys, version)

    def incr(self, key, delta=1, version=None):
        try:
            value = self._call(self._incr_existing, self.make_and_validate_key(key, version=version), delta)
        except Unavailable:
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).") from None
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def _incr_existing(self, key, delta):
        client = self._cache.get_client(key, write=True)
        if self._incr_script is None:
            self._incr_script = client.register_script(INCR_EXISTING)
        return self._incr_script(keys=[key], args=[delta], client=client)

    def clear(self):
        return self._or(False, super().clear)
