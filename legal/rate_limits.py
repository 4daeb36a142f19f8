"""Fixed-window counters in the cache: subscription forms per IP and address, products per credential.

Windows are numbered from the one clock, so every app server sharing the cache counts in the
same window, and the cache's own expiry only cleans up. The cache fails open
(sigma_terms/cache.py): with Redis gone every count is 1, so nothing is refused for it.
"""

from django.core.cache import cache

from . import clock


def count_attempt(key: str, window: int) -> int:
    """Count one attempt under `key` in the current `window`-second window; returns the count so far."""
    key = f"{key}:{int(clock.now().timestamp() // window)}"
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add() and incr(), or the cache is away
        cache.set(key, 1, timeout=window)
        return 1


def seconds_left(window: int) -> int:
    """Whole seconds until the current window ends (at least 1)."""
    return max(1, int(window - clock.now().timestamp() % window))
