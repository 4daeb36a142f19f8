"""Fetching queued RFC 3161 time-stamps from the authorities in TSA_URLS, with retries.

Publishing only queues a `Timestamp` row per text and tree head and authority (in its own
transaction, `legal.transparency`); nothing there waits on the network. `fetch_due`, run
by `manage.py fetch_timestamps` from cron, asks each authority in turn: a token is kept
only when `legal.rfc3161` accepts it, and an authority that is down, slow (past
TSA_TIMEOUT), or answers garbage is asked again after 1, 2, 4, ... minutes (up to a day),
TSA_MAX_ATTEMPTS times in all. Each row is leased to one worker, so two runs at once never
ask twice for the same stamp.
"""

import logging
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from . import clock, rfc3161
from .leases import backoff
from .models import Timestamp
from .signals import versions_changed

logger = logging.getLogger(__name__)

# A time-stamp response is a few kilobytes; anything much larger is not one.
MAX_RESPONSE_BYTES = 64 * 1024
MAX_RETRY_SECONDS = 24 * 3600


class AuthorityError(Exception):
    """The authority could not be asked or did not answer in time; the message says how."""


@dataclass
class FetchReport:
    granted: list = field(default_factory=list)
    retried: list = field(default_factory=list)
    failed: list = field(default_factory=list)


def post_request(url, body, *, timeout):
    """POST a time-stamp query; the answer's bytes, within `timeout` seconds overall."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/timestamp-query"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URLs)
            chunks, size = [], 0
            while True:
                if time.monotonic() > deadline:
                    raise AuthorityError(f"no complete answer within {timeout:g} s")
                chunk = response.read(8192)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise AuthorityError(f"answer larger than {MAX_RESPONSE_BYTES} bytes")
                chunks.append(chunk)
    except urllib.error.HTTPError as error:
        raise AuthorityError(f"HTTP {error.code}") from None
    except TimeoutError:
        raise AuthorityError(f"no answer within {timeout:g} s") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise AuthorityError(f"unreachable ({reason})") from None
    return b"".join(chunks)


def request_timestamp(url, digest):
    """(DER response, Token) from the authority at `url` for a SHA-256 `digest` (bytes)."""
    nonce = secrets.randbits(63)
    der = post_request(url, rfc3161.build_request(digest, nonce=nonce), timeout=settings.TSA_TIMEOUT)
    return der, rfc3161.check_response(der, digest=digest, nonce=nonce)


def _lease(stamp, at):
    """Take `stamp` for this worker; False when another worker holds it or it is done."""
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=at)
    until = at + timedelta(seconds=2 * settings.TSA_TIMEOUT + 60)
    return bool(Timestamp.objects.filter(free, pk=stamp.pk, status=Timestamp.Status.PENDING).update(leased_until=until))


def _retry_delay(attempts):
    return backoff(settings.TSA_RETRY_BASE_SECONDS, attempts, cap_seconds=MAX_RETRY_SECONDS)


def fetch_one(stamp, *, at=None):
    """Ask the authority for one leased stamp and record the outcome. Returns its new status."""
    at = clock.now() if at is None else at
    stamp.attempts += 1
    stamp.leased_until = None
    try:
        der, token = request_timestamp(stamp.tsa_url, bytes.fromhex(stamp.digest))
    except (AuthorityError, rfc3161.InvalidResponse) as error:
        stamp.last_error = str(error)[:500]
        if stamp.attempts >= settings.TSA_MAX_ATTEMPTS:
            stamp.status = Timestamp.Status.FAILED
        else:
            stamp.next_attempt_at = at + _retry_delay(stamp.attempts)
        logger.warning("time-stamp %s from %s, attempt %s: %s", stamp.pk, stamp.tsa_url, stamp.attempts, error)
    else:
        stamp.response, stamp.gen_time = der, token.gen_time
        stamp.status, stamp.last_error = Timestamp.Status.GRANTED, ""
    stamp.save()
    return stamp.status


def due(at):
    """Pending stamps whose next attempt is due and that no worker holds, oldest first."""
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=at)
    return Timestamp.objects.filter(free, status=Timestamp.Status.PENDING, next_attempt_at__lte=at).order_by(
        "next_attempt_at", "pk"
    )


def fetch_due(*, at=None, limit=None):
    """Fetch up to `limit` (TSA_BATCH_SIZE) due stamps; a FetchReport of what became of them."""
    at = clock.now() if at is None else at
    report = FetchReport()
    for stamp in list(due(at)[: limit or settings.TSA_BATCH_SIZE]):
        if not _lease(stamp, at):
            continue
        status = fetch_one(stamp, at=at)
        if status == Timestamp.Status.GRANTED:
            report.granted.append(stamp)
        elif status == Timestamp.Status.FAILED:
            report.failed.append(stamp)
        else:
            report.retried.append(stamp)
    if report.granted:
        # Pages show a granted stamp's download link: retire the cached ones that say "pending".
        versions_changed.send(sender=Timestamp, document=None)
    return report


def retry_failed():
    """Put the stamps that ran out of attempts back in the queue; returns how many."""
    return Timestamp.objects.filter(status=Timestamp.Status.FAILED).update(
        status=Timestamp.Status.PENDING, attempts=0, next_attempt_at=clock.now(), leased_until=None
    )
