"""Admin for product credentials (superusers only) and acceptance records (read-only).

A credential's token is shown once, on the page that answers its creation form, and never
stored: only its SHA-256 is. Credentials are revoked, never deleted, so every acceptance
keeps the credential that recorded it. Acceptances are append-only evidence: staff list,
search and export them (JSON or CSV, with receipts), nobody adds, changes or deletes them here.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..acceptance_api import acceptance_json, csv_lines
from ..api import history_urls
from ..models import Acceptance, ProductCredential, Scope
from ..product_auth import new_secret, revoke_credentials
from .roles import ReadOnly

# Records per export from the admin (an account has one per version it accepted).
MAX_ADMIN_EXPORT = 10_000


class ProductCredentialForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=Scope.choices, initial=Scope.values, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ProductCredential
        fields = ["name", "scopes"]


@admin.register(ProductCredential)
class ProductCredentialAdmin(admin.ModelAdmin):
    form = ProductCredentialForm
    list_display = ("name", "scope_list", "created_at", "last_used_at", "revoked_at")
    search_fields = ("name",)
    actions = ["revoke"]

    # Only superusers issue or see credentials.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        # The change list's revoke action needs it; the change form itself is read-only.
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("name", "scope_list", "created_at", "created_by", "last_used_at", "revoked_at")

    def get_fields(self, request, obj=None):
        return ("name", "scopes") if obj is None else self.get_readonly_fields(request, obj)

    @admin.display(description=_("scopes"))
    def scope_list(self, credential):
        return ", ".join(credential.scopes)

    def save_model(self, request, obj, form, change):
        if not change:
            secret, obj.token_sha256 = new_secret()
            obj.created_by = request.user
            request.product_credential_secret = secret
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        # Rendered in answer to the POST rather than put in a message: messages travel in a
        # cookie, and the token must not be written anywhere.
        context = {**self.admin_site.each_context(request), "opts": self.opts, "credential": obj}
        context["secret"] = request.product_credential_secret
        context["title"] = _("Token of %(name)s") % {"name": obj.name}
        response = TemplateResponse(request, "admin/legal/productcredential/secret.html", context)
        add_never_cache_headers(response)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Revoke the selected credentials"))
    def revoke(self, request, queryset):
        count = revoke_credentials(queryset)
        messages.success(
            request,
            ngettext("%(count)d credential was revoked.", "%(count)d credentials were revoked.", count)
            % {"count": count},
        )


@admin.register(Acceptance)
class AcceptanceAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("account", "document", "version_number", "language", "method", "accepted_at", "product")
    list_filter = ("document", "product", "method", "language")
    list_select_related = ("document",)
    search_fields = ("=account",)
    date_hierarchy = "accepted_at"
    show_full_result_count = False
    readonly_fields = (
        "document", "version_number", "account", "language", "text_sha256", "method", "accepted_at",
        "recorded_at", "product", "metadata",
    )  # fmt: skip
    fields = readonly_fields
    actions = ["export_json", "export_csv"]

    def _evidence(self, request, queryset, output):
        count = queryset.count()
        if count > MAX_ADMIN_EXPORT:
            self.message_user(
                request,
                _("Select at most %(limit)s records to export; use manage.py export_acceptances for more.")
                % {"limit": MAX_ADMIN_EXPORT},
                messages.ERROR,
            )
            return None
        records, documents = [], {}
        for acceptance in queryset.select_related("document").order_by("recorded_at", "pk"):
            urls = documents.setdefault(acceptance.document_id, history_urls(acceptance.document))
            records.append(acceptance_json(acceptance, urls))
        if output == "csv":
            response = HttpResponse("".join(csv_lines(records)), content_type="text/csv; charset=utf-8")
        else:
            body = json.dumps({"records": records}, ensure_ascii=False, indent=2)
            response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="acceptances.{output}"'
        add_never_cache_headers(response)
        return response

    @admin.action(description=_("Export the selected records as evidence (JSON)"), permissions=["view"])
    def export_json(self, request, queryset):
        return self._evidence(request, queryset, "json")

    @admin.action(description=_("Export the selected records as evidence (CSV)"), permissions=["view"])
    def export_csv(self, request, queryset):
        return self._evidence(request, queryset, "csv")
