"""Rate limits, both kinds in one place: the subscribe form's and the products' API calls.

The subscribe form (called by the subscribe view) is limited per client address and per
mailbox, counted by django-ratelimit in the shared cache (Redis when `REDIS_URL` is set):
every submission counts against the sender's address; one with a valid email address also
against its canonical mailbox, so the spellings of one mailbox ("A.B+news"@Example.COM) share
a limit. While the cache is down nothing is counted (`RATELIMIT_FAIL_OPEN`): the form still
works, and double opt-in still holds.

A product credential's API calls (legal/product_auth.py) are counted in fixed windows
numbered from the one clock (`count_attempt`), so every app server sharing the cache counts in
the same window and `Retry-After` (`seconds_left`) names the end of the window exactly, which
django-ratelimit's per-key staggered windows do not give. The cache fails open
(sigma_terms/cache.py): with Redis gone every count is 1, so nothing is refused for it.
"""

from django_ratelimit.core import is_ratelimited

from django.conf import settings
from django.core.cache import cache

from sigma_terms.security import client_ip

from . import clock
from .subscribing import canonical_mailbox

# The subscribe form -------------------------------------------------------------------


def _over_limit(request, *, group, value, limit_setting):
    """Count one request under (`group`, `value`) in the current window; True once past the limit."""
    return is_ratelimited(
        request,
        group=group,
        key=lambda group, request: value,
        rate=lambda group, request: (getattr(settings, limit_setting), settings.SUBSCRIPTION_RATE_LIMIT_WINDOW),
        increment=True,
    )


def subscribe_ip_over_limit(request) -> bool:
    """Count this submission against its client address; True once past SUBSCRIPTION_RATE_LIMIT_PER_IP."""
    return _over_limit(
        request, group="legal.subscribe.ip", value=client_ip(request), limit_setting="SUBSCRIPTION_RATE_LIMIT_PER_IP"
    )


def subscribe_address_over_limit(request, email: str) -> bool:
    """Count this submission against `email`'s mailbox; True once past SUBSCRIPTION_RATE_LIMIT_PER_ADDRESS."""
    return _over_limit(
        request,
        group="legal.subscribe.address",
        value=canonical_mailbox(email),
        limit_setting="SUBSCRIPTION_RATE_LIMIT_PER_ADDRESS",
    )


# Product credentials ------------------------------------------------------------------


def count_attempt(key: str, window: int) -> int:
    """Count one attempt under `key` in the current `window`-second window; returns the count so far.

    Every attempt but a window's first is one `incr` (one round-trip to Redis).
    """
    key = f"{key}:{int(clock.now().timestamp() // window)}"
    try:
        return cache.incr(key)
    except ValueError:  # the window's first attempt, or the cache is away
        pass
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)  # another process started the window meanwhile
    except ValueError:  # the key expired meanwhile, or the cache is away
        cache.set(key, 1, timeout=window)
        return 1


def seconds_left(window: int) -> int:
    """Whole seconds until the current window ends (at least 1)."""
    return max(1, int(window - clock.now().timestamp() % window))
