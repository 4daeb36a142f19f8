"""Admin for subscribers and the notification outbox: read-only lists for legal staff.

Nothing here changes state; subscribers act through their own signed links, and the outbox
through `send_notifications`. A superuser may delete a subscription to honour an erasure
request (its notices go with it).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import Notification, Subscription
from .roles import ReadOnly


class SubscriptionStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("pending", _("Waiting for confirmation")),
            ("active", _("Active")),
            ("unsubscribed", _("Unsubscribed")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(confirmed_at__isnull=True, unsubscribed_at__isnull=True)
        if self.value() == "active":
            return queryset.active()
        if self.value() == "unsubscribed":
            return queryset.filter(unsubscribed_at__isnull=False)
        return queryset


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnly, admin.ModelAdmin):
    deletable = True  # a superuser honours an erasure request
    list_display = ("email", "document", "language", "state", "created_at", "confirmed_at", "unsubscribed_at")
    list_filter = (SubscriptionStateFilter, "document", "language")
    list_select_related = ("document",)
    search_fields = ("email",)
    date_hierarchy = "created_at"

    @admin.display(description=_("state"))
    def state(self, subscription):
        if subscription.unsubscribed_at is not None:
            return _("Unsubscribed")
        if subscription.confirmed_at is not None:
            return _("Active")
        return _("Waiting for confirmation")


@admin.register(Notification)
class NotificationAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("version", "recipient", "language", "status", "attempts", "next_attempt_at", "sent_at", "error")
    list_filter = ("status", "version__document", "version")
    list_select_related = ("version__document", "subscription")
    search_fields = ("subscription__email",)
    date_hierarchy = "created_at"

    @admin.display(description=_("recipient"), ordering="subscription__email")
    def recipient(self, notification):
        return notification.subscription.email

    @admin.display(description=_("language"))
    def language(self, notification):
        return notification.subscription.get_language_display()

    @admin.display(description=_("last error"))
    def error(self, notification):
        return notification.last_error[:120]
