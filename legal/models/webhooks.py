"""Webhook endpoints, the signed-event outbox and its delivery log.

- `WebhookEndpoint`: an HTTPS address registered by a Legal publisher or superuser, with its
  own Standard Webhooks signing secret (`whsec_…`).
- `WebhookDelivery`: one event for one endpoint, the outbox row; the payload is fixed when
  queued (`legal.webhook_delivery`): it records what happened then.
- `WebhookAttempt`: every attempt to deliver, with the answer or the error: the delivery log.

Secrets, signing and the address policy live in `legal.webhooks`; queueing and sending in
`legal.webhook_delivery`.
"""

import json

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from .. import clock
from ..webhooks import new_message_id, new_secret


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
