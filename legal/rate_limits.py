"""Rate limits, both kinds in one place: the subscribe form's and the products' API calls.

The subscribe form (called by the subscribe view) is limited per client address and per
mailbox, counted by django-ratelimit in the shared cache (Redis when `REDIS_URL` is set):
every submission counts against the sender's address; one with a valid email address also
against its canonical mailbox, so the spellings of one mailbox ("A.B+news"@Example.COM) share
a limit. While the cache is down nothing is counted (`RATELIMIT_FAIL_OPEN`): the form still
works, and double opt-in still holds.

A product credential's API calls (legal/product_auth.py) are counted the same way, per
credential and minute; `Retry-After` is the time left in the credential's window. With the
cache down nothing is counted either, so no product is refused for it.
"""

import logging

from django_ratelimit.core import get_usage, is_ratelimited

from django.conf import settings

from sigma_terms.security import client_ip

from .subscribing import canonical_mailbox

logger = logging.getLogger("legal.product_auth")

# A product credential may make PRODUCT_RATE_LIMIT requests in a window of this many seconds.
PRODUCT_RATE_WINDOW = 60

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


def product_over_limit(request, credential) -> int | None:
    """Count this API call against `credential`; once past PRODUCT_RATE_LIMIT a minute, the seconds to wait.

    None while under the limit, when the limit is 0 (off), and while the cache is down.
    """
    limit = settings.PRODUCT_RATE_LIMIT
    if not limit:
        return None
    usage = get_usage(
        request,
        group="legal.product",
        key=lambda group, request: str(credential.pk),
        rate=(limit, PRODUCT_RATE_WINDOW),
        increment=True,
    )
    if usage is None or not usage["should_limit"]:
        return None
    if usage["count"] == limit + 1:  # once a window, not once a request
        logger.warning("product %s passed its rate limit of %d requests a minute", credential.name, limit)
    # django-ratelimit's window still counts during its last second (time_left 0).
    return usage["time_left"] + 1
