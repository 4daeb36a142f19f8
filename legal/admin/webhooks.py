"""Admin for webhook endpoints and their delivery log: Legal publishers and superusers only.

Endpoints are registered here; their signing secret is generated, shown read-only, and
never typed. Deliveries and attempts are a read-only log: the outbox changes only through
`send_webhooks`.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ..webhooks import url_problem
from .roles import ReadOnly, is_publisher


class PublisherOnly:
    """Only Legal publishers and superusers see or touch webhooks: they reach outside the site."""

    def has_module_permission(self, request):
        return is_publisher(request.user)

    def has_view_permission(self, request, obj=None):
        return is_publisher(request.user)


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "description", "is_active")

    def clean_url(self):
        url = self.cleaned_data["url"]
        problem = url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(PublisherOnly, admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "description", "is_active", "created_at")
    list_filter = ("is_active",)
    readonly_fields = ("secret", "created_at", "created_by")
    search_fields = ("url", "description")

    def has_add_permission(self, request):
        return is_publisher(request.user)

    def has_change_permission(self, request, obj=None):
        return is_publisher(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_publisher(request.user)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("attempted_at", "duration_ms", "status_code", "error", "response_excerpt")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return is_publisher(request.user)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(PublisherOnly, ReadOnly, admin.ModelAdmin):
    list_display = ("event_type", "version", "endpoint", "status", "attempts", "not_before", "delivered_at", "error")
    list_filter = ("status", "event_type", "endpoint")
    list_select_related = ("version__document", "endpoint")
    readonly_fields = (
        "endpoint", "version", "event_type", "message_id", "payload", "status", "created_at", "not_before",
        "next_attempt_at", "attempts", "delivered_at", "last_error",
    )  # fmt: skip
    fields = readonly_fields
    inlines = [WebhookAttemptInline]
    date_hierarchy = "not_before"

    @admin.display(description=_("last error"))
    def error(self, delivery):
        return delivery.last_error[:120]
