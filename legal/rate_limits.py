"""Rate limits of the subscribe form, per client address and per mailbox, counted by
django-ratelimit in the shared cache (Redis when `REDIS_URL` is set).

Called by the subscribe view: every submission counts against the sender's address; one
with a valid email address also against its canonical mailbox, so the spellings of one
mailbox ("A.B+news"@Example.COM) share a limit. While the cache is down nothing is counted
(`RATELIMIT_FAIL_OPEN`): the form still works, and double opt-in still holds.
"""

from django_ratelimit.core import is_ratelimited

from django.conf import settings

from sigma_terms.security import client_ip

from .subscribing import canonical_mailbox


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
