"""The webhook outbox: queue signed events when versions change, then send them.

- Publishing queues `version.published` (due at once) and `version.effective` (due at the
  version's effective instant) for every active endpoint in the publish transaction;
  withdrawing queues `version.withdrawn`. The payload is fixed when queued.

Sending: claim due deliveries, POST each signed event, log every attempt, retry.

- Claims take a lease (as the email outbox does), so two senders never hold one delivery.
- Each POST is bounded: the name lookup, then the whole exchange, each stop after WEBHOOK_TIMEOUT_SECONDS,
  however slowly the receiver trickles its answer, and at most RESPONSE_EXCERPT bytes of the
  answer are read.
- Redirects are never followed: a 3xx is a failed attempt, logged with its Location.
- The host is resolved before every attempt; if any address it resolves to is refused by
  the address policy (webhooks.refused_address), nothing is sent. The connection goes to the
  address that was checked, so a second DNS answer cannot swap in another one.
- Anything but 2xx is retried after WEBHOOK_RETRY_BASE_SECONDS, doubled after each failure
  (capped at a day), up to WEBHOOK_MAX_ATTEMPTS; then the delivery is marked failed.
"""

import http.client
import logging
import socket
import ssl
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.timezone import localtime

from . import clock
from .leases import Outbox
from .links import absolute_url, site_url
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .webhooks import refused_address, sign

logger = logging.getLogger(__name__)

RESPONSE_EXCERPT = 1024
USER_AGENT = "SigmaTerms-Webhooks/1"


# Queueing (inside the publishing service's transactions) --------------------------------


def event_payload(version, event_type, at):
    """The Standard Webhooks payload: {"type", "timestamp", "data"} describing `version`."""
    document = version.document
    codes = [code for code, _name in settings.LANGUAGES]
    data = {
        "document": document.slug,
        "number": version.number,
        "effective_at": localtime(version.effective_at).isoformat(),
        "published_at": localtime(version.published_at).isoformat(),
        "change_kind": version.change_kind,
        "url": {code: absolute_url(code, "legal:version", slug=document.slug, number=version.number) for code in codes},
        "sha256": {code: getattr(version, f"body_sha256_{code}") for code in codes if version.has_language(code)},
        "api": site_url(reverse("api-document", kwargs={"slug": document.slug})),
    }
    if event_type == WebhookDelivery.Event.WITHDRAWN:
        data["withdrawn_at"] = localtime(version.withdrawn_at).isoformat()
        data["reason"] = version.withdrawal_reason
    return {"type": event_type, "timestamp": localtime(at).isoformat(), "data": data}


def _queue(version, events):
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True).values_list("pk", flat=True))
    deliveries = [
        WebhookDelivery(
            endpoint_id=pk,
            version=version,
            event_type=event_type,
            payload=event_payload(version, event_type, when),
            created_at=clock.now(),
            not_before=when,
            next_attempt_at=when,
        )
        for pk in endpoints
        for event_type, when in events
    ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=500)
    return len(deliveries)


def queue_publication_events(version):
    """`version.published` now and `version.effective` at its effective instant, for every active endpoint."""
    return _queue(
        version,
        [
            (WebhookDelivery.Event.PUBLISHED, version.published_at),
            (WebhookDelivery.Event.EFFECTIVE, version.effective_at),
        ],
    )


def queue_withdrawal_event(version):
    """`version.withdrawn` now; the version's `version.effective` event is cancelled by the sender."""
    return _queue(version, [(WebhookDelivery.Event.WITHDRAWN, version.withdrawn_at)])


# Sending --------------------------------------------------------------------------------


class DeliveryError(Exception):
    """An attempt that got no 2xx answer; the message is what the log shows."""

    def __init__(self, message, status_code=None, excerpt=""):
        super().__init__(message)
        self.status_code = status_code
        self.excerpt = excerpt


@dataclass
class WebhookReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0


# One HTTP exchange ---------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that passed the policy, whatever DNS says next."""

    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def connect(self):
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


def _lookup(host, port, timeout):
    """getaddrinfo() bounded by `timeout`: the resolver has no timeout of its own to pass."""
    found = {}

    def lookup():
        try:
            found["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            found["error"] = exc

    thread = threading.Thread(target=lookup, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise DeliveryError(f"cannot resolve {host}: no answer within {timeout} s")
    if "error" in found:
        raise DeliveryError(f"cannot resolve {host}: {found['error']}")
    return found["infos"]


def resolve(host, port, timeout=None):
    """Every address `host` resolves to; DeliveryError if none, or if any is refused by the policy."""
    infos = _lookup(host, port, timeout or settings.WEBHOOK_TIMEOUT_SECONDS)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    refused = [address for address in addresses if refused_address(address)]
    if refused or not addresses:
        raise DeliveryError(f"refused: {host} resolves to a private or reserved address ({', '.join(refused)})")
    return addresses


def post(url, body, headers, *, timeout):
    """POST `body` to `url`; returns (status, excerpt) for a 2xx answer, raises DeliveryError otherwise."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = resolve(parts.hostname, port, timeout)[0]
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, port, address=address, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    expired = threading.Event()

    def give_up():
        # A receiver that trickles bytes never trips the socket timeout: cut the exchange.
        expired.set()
        with suppress(Exception):
            connection.sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(timeout, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", path, body=body, headers={**headers, "Host": parts.netloc.rpartition("@")[2]})
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT).decode("utf-8", "replace")
        if expired.is_set():  # cut off mid-answer: what was read is not an answer
            raise TimeoutError
    except Exception as exc:
        if expired.is_set() or isinstance(exc, TimeoutError | socket.timeout):
            raise DeliveryError(f"timed out after {timeout} s")
        raise DeliveryError(f"{type(exc).__name__}: {exc}")
    finally:
        watchdog.cancel()
        with suppress(Exception):
            connection.close()
    if 300 <= response.status < 400:
        location = (response.getheader("Location") or "")[:300]
        raise DeliveryError(f"HTTP {response.status}: redirect to {location!r} not followed", response.status, excerpt)
    if not 200 <= response.status < 300:
        raise DeliveryError(f"HTTP {response.status}", response.status, excerpt)
    return response.status, excerpt


def signed_headers(delivery, body, timestamp):
    """The Standard Webhooks headers of one attempt: the id stays, the timestamp and signature are new."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(delivery.endpoint.secret, delivery.message_id, timestamp, body),
    }


# The outbox ----------------------------------------------------------------------------


def _cancel_reason(delivery):
    if not delivery.endpoint.is_active:
        return "cancelled: the endpoint was deactivated"
    if delivery.event_type == WebhookDelivery.Event.EFFECTIVE and not delivery.version.is_published:
        return "cancelled: the version was withdrawn before it took effect"
    return ""


WEBHOOKS = Outbox(
    model=WebhookDelivery,
    name="webhook delivery",
    order=("not_before", "pk"),  # the first in line of each endpoint (WebhookDeliveryQuerySet.due)
    related=("endpoint", "version"),
    cancel_reason=_cancel_reason,
    lease_setting="WEBHOOK_LEASE_SECONDS",
    max_attempts_setting="WEBHOOK_MAX_ATTEMPTS",
    retry_base_setting="WEBHOOK_RETRY_BASE_SECONDS",
    logger=logger,
)


def _attempt(delivery):
    """One signed POST; records the attempt and returns None on success or the DeliveryError."""
    body = delivery.body()
    timestamp = int(clock.now().timestamp())
    started = time.monotonic()
    error = None
    try:
        status, excerpt = post(
            delivery.endpoint.url,
            body,
            signed_headers(delivery, body, timestamp),
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        )
    except DeliveryError as exc:
        error = exc
        status, excerpt = exc.status_code, exc.excerpt
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=clock.now(),
        duration_ms=int((time.monotonic() - started) * 1000),
        status_code=status,
        error=str(error or "")[:2000],
        response_excerpt=excerpt[:RESPONSE_EXCERPT],
    )
    return error


def send_due_webhooks(*, batch_size=None):
    """Deliver every due event, in order per endpoint, until none is due; returns a WebhookReport."""
    batch_size = batch_size or settings.WEBHOOK_BATCH_SIZE
    report = WebhookReport()
    margin = timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT_SECONDS + 1)  # the lookup, then the exchange
    while True:
        with WEBHOOKS.held(batch_size) as (token, deliveries):
            if not deliveries:
                return report
            for delivery in WEBHOOKS.sendable(deliveries, token, margin=margin, report=report):
                error = _attempt(delivery)
                if error is None:
                    WEBHOOKS.record_done(
                        delivery, token, status=WebhookDelivery.Status.DELIVERED, delivered_at=clock.now()
                    )
                    report.delivered += 1
                else:
                    WEBHOOKS.record_failure(delivery, token, error, report)
