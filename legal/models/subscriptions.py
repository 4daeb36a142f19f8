"""Email subscriptions to a document and the outbox of notices sent when a version is published.

The models only; what happens to them (double opt-in, queueing in the publish transaction,
sending with retries) lives in `legal.subscribing` and `legal.outbox`. Foreign keys name
their targets as strings so this module needs no other model module.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .. import clock


class SubscriptionQuerySet(models.QuerySet):
    def active(self):
        """Subscriptions that receive notices: confirmed and not unsubscribed since."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)

    def active_by_language(self, document):
        """{language: count} of the active subscriptions to `document`: who a publish will notify."""
        rows = self.active().filter(document=document).values_list("language").annotate(count=models.Count("pk"))
        return dict(rows.order_by())


class Subscription(models.Model):
    email = models.EmailField(_("email address"), max_length=254)
    document = models.ForeignKey(
        "legal.Document", on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("document")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(_("subscribed at"), default=clock.now, editable=False)
    confirmation_sent_at = models.DateTimeField(_("confirmation last sent at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["document", "email"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            # One subscription per address and document; addresses are stored in lower case.
            models.UniqueConstraint(fields=["document", "email"], name="subscription_unique_address"),
        ]

    def __str__(self):
        return _("%(email)s to %(document)s") % {"email": self.email, "document": self.document}

    @property
    def is_active(self):
        return self.confirmed_at is not None and self.unsubscribed_at is None


class NotificationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Notification.Status.PENDING)

    def due(self, at):
        """Pending notices whose next attempt has come and that no sender holds a lease on."""
        return (
            self.pending()
            .filter(next_attempt_at__lte=at)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=at))
        )


class Notification(models.Model):
    """One notice to one subscriber about one version being published or withdrawn: the outbox row."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed (gave up)")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        PUBLISHED = "published", _("New version published")
        WITHDRAWN = "withdrawn", _("Version withdrawn")

    version = models.ForeignKey(
        "legal.DocumentVersion", on_delete=models.PROTECT, related_name="notifications", verbose_name=_("version")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PUBLISHED)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("subscription")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=clock.now)
    claimed_until = models.DateTimeField(
        _("claimed until"), null=True, blank=True, help_text=_("A sender holds this notice until then.")
    )
    claim_token = models.CharField(_("claim token"), max_length=32, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            # The outbox can never hold two notices of one version for one subscriber.
            models.UniqueConstraint(
                fields=["version", "subscription", "kind"], name="notification_once_per_version_and_kind"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notification_due")]

    def __str__(self):
        return _("%(version)s to %(email)s") % {"version": self.version, "email": self.subscription.email}
