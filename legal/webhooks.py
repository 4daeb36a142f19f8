"""Webhooks for Sigma.video's products: endpoints, the signed-event outbox, and which addresses may receive.

- `WebhookEndpoint`: an HTTPS address registered by a Legal publisher or superuser, with its
  own Standard Webhooks signing secret (`whsec_…`).
- `WebhookDelivery`: one event for one endpoint, the outbox row. Publishing queues
  `version.published` (due at once) and `version.effective` (due at the version's effective
  instant) in the publish transaction; withdrawing queues `version.withdrawn`. The payload is
  fixed when queued: it records what happened then.
- `WebhookAttempt`: every attempt to deliver, with the answer or the error: the delivery log.
- Signing follows the Standard Webhooks specification: `webhook-id`, `webhook-timestamp`,
  and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
- Address policy: see `url_problem()` and `refused_address()`. Sending lives in
  `webhook_delivery.py`.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from . import clock
from .links import absolute_url, site_url

SECRET_PREFIX = "whsec_"
# Host names that only ever mean this machine or its private network.
PRIVATE_NAMES = ("localhost", "localhost.localdomain")
PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan")


def new_secret():
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id():
    return "msg_" + secrets.token_urlsafe(18)


def sign(secret, message_id, timestamp, body):
    """The `webhook-signature` value of `body` (bytes) sent as `message_id` at `timestamp` (int seconds)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


# Which addresses may receive -----------------------------------------------------------


def private_targets_allowed():
    """Loopback, private and plain-http targets: for tests and DEBUG only (WEBHOOK_ALLOW_PRIVATE_TARGETS)."""
    return settings.WEBHOOK_ALLOW_PRIVATE_TARGETS


def refused_address(address):
    """True when `address` (an IP address string) is not a public Internet address.

    Loopback, private ranges, link-local (cloud metadata at 169.254.169.254), carrier-grade
    NAT, multicast, reserved and unspecified addresses, and IPv6 forms of IPv4 ones
    (`::ffff:127.0.0.1`) are all refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS is set.
    """
    if private_targets_allowed():
        return False
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None:
            ip = inner
    return not ip.is_global or ip.is_multicast


def url_problem(url):
    """Why `url` cannot be a webhook endpoint (a translated sentence), or None.

    HTTPS only, no user name or password in it, and no host that names this machine or a
    private network: a literal address must be public, and names such as `localhost` or
    `*.internal` are refused. A name is resolved again before every delivery and refused
    if it resolves to a private address (webhook_delivery.py), so DNS cannot smuggle one in.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _("Enter a valid URL.")
    allowed = private_targets_allowed()
    if parts.scheme != "https" and not (allowed and parts.scheme == "http"):
        return _("Webhook endpoints must use HTTPS.")
    if parts.username or parts.password:
        return _("Put no user name or password in the address; each event is signed with the endpoint's secret.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host or (port is not None and not 0 < port < 65536):
        return _("Enter a valid URL.")
    if allowed:
        return None
    if host in PRIVATE_NAMES or host.endswith(PRIVATE_SUFFIXES):
        return _("This address names this machine or a private network; endpoints must be public.")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return None
    if refused_address(str(literal)):
        return _("This address names this machine or a private network; endpoints must be public.")
    return None


# Models --------------------------------------------------------------------------------


class WebhookEndpoint(models.Model):
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret, editable=False)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "Inactive endpoints receive nothing. An endpoint that was sent events keeps its log: deactivate it."
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip

    class Meta:
        ordering = ["url"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.url


class WebhookDeliveryQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=WebhookDelivery.Status.PENDING)

    def due(self, at):
        """Pending deliveries whose time has come, that no sender holds, and that are first in line.

        Each endpoint receives its events in the order of the instants they describe
        (`not_before`, then queueing order): a delivery waits while an earlier one for the
        same endpoint is still pending, retries included.
        """
        earlier = (
            WebhookDelivery.objects.pending()
            .filter(endpoint=OuterRef("endpoint"))
            .filter(
                Q(not_before__lt=OuterRef("not_before")) | Q(not_before=OuterRef("not_before"), pk__lt=OuterRef("pk"))
            )
        )
        return (
            self.pending()
            .filter(next_attempt_at__lte=at)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=at))
            .exclude(Exists(earlier))
        )


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row, retried with backoff until delivered or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (gave up)")
        CANCELLED = "cancelled", _("Cancelled")

    class Event(models.TextChoices):
        PUBLISHED = "version.published", _("Version published")
        EFFECTIVE = "version.effective", _("Version took effect")
        WITHDRAWN = "version.withdrawn", _("Version withdrawn")

    endpoint = models.ForeignKey(
        # The delivery log outlives nothing: an endpoint that received events is deactivated, not deleted.
        WebhookEndpoint,
        models.PROTECT,
        related_name="deliveries",
        verbose_name=_("webhook endpoint"),
    )
    version = models.ForeignKey(
        "legal.DocumentVersion", models.PROTECT, related_name="webhook_deliveries", verbose_name=_("version")
    )
    event_type = models.CharField(_("event"), max_length=32, choices=Event.choices)
    message_id = models.CharField(_("message id"), max_length=64, unique=True, default=new_message_id, editable=False)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)
    not_before = models.DateTimeField(_("not before"), default=clock.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=clock.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claim_token = models.CharField(_("claim token"), max_length=32, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-not_before", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "version", "event_type"], name="webhook_once_per_event"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]

    def __str__(self):
        return f"{self.get_event_type_display()}: {self.version} → {self.endpoint}"

    def body(self):
        """The exact bytes sent: the payload as compact JSON."""
        return json.dumps(self.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


class WebhookAttempt(models.Model):
    """One try at delivering: when, how long, the HTTP status or the error. Never changed."""

    delivery = models.ForeignKey(
        WebhookDelivery, models.CASCADE, related_name="attempt_log", verbose_name=_("webhook delivery")
    )
    attempted_at = models.DateTimeField(_("attempted at"), default=clock.now)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    response_excerpt = models.TextField(_("start of the answer"), blank=True)

    class Meta:
        ordering = ["attempted_at", "pk"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self):
        return f"{self.delivery} @ {self.attempted_at:%Y-%m-%d %H:%M:%S}"


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
