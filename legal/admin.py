"""The Django admin for legal staff: edit drafts, preview, publish and withdraw.

State changes go through `legal.publishing`; this module only asks and shows. Published
and withdrawn versions are shown read-only and can never be deleted.
"""

from modeltranslation.admin import TabbedDjangoJqueryTranslationAdmin

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import clock
from .diffing import compare_versions
from .forms import validate_markdown_limits
from .models import Document, DocumentVersion, language_codes
from .publishing import (
    PublishingError,
    new_draft_from,
    plan_publish,
    publish_version,
    withdraw_problems,
    withdraw_version,
)

PUBLISH_PERMISSION = "legal.publish_documentversion"


class MarkdownTextarea(forms.Textarea):
    """A roomy, monospace editor for Markdown bodies (styled by legal/admin.css)."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "markdown-editor", "rows": 30, "spellcheck": "true", **(attrs or {})})


@admin.register(Document)
class DocumentAdmin(TabbedDjangoJqueryTranslationAdmin):
    list_display = ("slug", "title", "authoritative_language", "notice_period_days")
    search_fields = ("slug", "title_vi", "title_en")
    prepopulated_fields = {"slug": ("title_en",)}

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.versions.exists():
            return False
        return super().has_delete_permission(request, obj)


def version_state(version, now):
    """draft, scheduled, in effect, superseded or withdrawn, as the list shows it."""
    if version.status == DocumentVersion.Status.DRAFT:
        return "draft"
    if version.status == DocumentVersion.Status.WITHDRAWN:
        return "withdrawn"
    if version.effective_at > now:
        return "scheduled"
    current_pk = getattr(version, "current_pk", None)
    if current_pk is None:
        current = version.document.versions.in_effect(now).first()
        current_pk = current.pk if current else None
    return "in effect" if current_pk == version.pk else "superseded"


STATE_LABELS = {
    "draft": _("Draft"),
    "scheduled": _("Scheduled"),
    "in effect": _("In effect"),
    "superseded": _("Superseded"),
    "withdrawn": _("Withdrawn"),
}


class StateFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return list(STATE_LABELS.items())

    def queryset(self, request, queryset):
        now = clock.now()
        published = Q(status=DocumentVersion.Status.PUBLISHED)
        filters = {
            "draft": Q(status=DocumentVersion.Status.DRAFT),
            "withdrawn": Q(status=DocumentVersion.Status.WITHDRAWN),
            "scheduled": published & Q(effective_at__gt=now),
            "in effect": published & Q(pk=models.F("current_pk")),
            "superseded": published & Q(effective_at__lte=now) & ~Q(pk=models.F("current_pk")),
        }
        if self.value() in filters:
            return queryset.filter(filters[self.value()])
        return queryset


@admin.register(DocumentVersion)
class DocumentVersionAdmin(TabbedDjangoJqueryTranslationAdmin):
    list_display = ("__str__", "document", "number", "state", "effective_at", "languages", "published_by")
    list_filter = ("document", StateFilter)
    search_fields = ("title_vi", "title_en")
    list_select_related = ("document", "published_by")
    fields = ("document", "change_kind", "effective_at", "title", "summary", "body")
    readonly_info = ("number", "state", "published_at", "published_by", "withdrawn_at", "withdrawn_by",
                     "created_by", "updated_by", "hashes")  # fmt: skip
    formfield_overrides = {models.TextField: {"widget": MarkdownTextarea}}
    change_form_template = "admin/legal/documentversion/change_form.html"

    class Media:
        css = {"all": ("legal/admin.css",)}

    def get_queryset(self, request):
        in_effect = DocumentVersion.objects.filter(document=OuterRef("document")).in_effect(clock.now())
        return super().get_queryset(request).annotate(current_pk=Subquery(in_effect.values("pk")))

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields + [f for f in self.readonly_info if f not in fields] if obj else fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_info if obj else ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name.startswith("summary") and field is not None:
            field.widget = forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"})
        if db_field.name.startswith("body_") and field is not None:
            field.validators.append(validate_markdown_limits)
        return field

    # Published and withdrawn versions are a legal record: view only, never deleted.
    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != DocumentVersion.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != DocumentVersion.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("status"))
    def state(self, obj):
        return STATE_LABELS[version_state(obj, clock.now())]

    @admin.display(description=_("complete languages"))
    def languages(self, obj):
        return ", ".join(code.upper() for code in obj.complete_languages) or "—"

    @admin.display(description=_("SHA-256"))
    def hashes(self, obj):
        rows = [(code, getattr(obj, f"body_sha256_{code}") or "—") for code in language_codes()]
        return format_html_join("", "<div><code>{}: {}</code></div>", rows)

    # Extra pages ---------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/publish/", wrap(self.publish_view), name="legal_documentversion_publish"),
            path("<int:pk>/withdraw/", wrap(self.withdraw_view), name="legal_documentversion_withdraw"),
            path("<int:pk>/new-draft/", wrap(self.new_draft_view), name="legal_documentversion_new_draft"),
            path("<int:pk>/preview/<str:language>/", wrap(self.preview_view), name="legal_documentversion_preview"),
        ] + super().get_urls()

    def _get(self, request, pk):
        version = DocumentVersion.objects.select_related("document").filter(pk=pk).first()
        if version is None or not self.has_view_permission(request, version):
            raise Http404
        return version

    def _change_url(self, version):
        return reverse("admin:legal_documentversion_change", args=[version.pk])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_publish": request.user.has_perm(PUBLISH_PERMISSION),
            "can_add": self.has_add_permission(request),
            "languages": language_codes(),
            "now": clock.now(),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _confirm_then_change(self, request, pk, *, change, done_message, template, context):
        """GET shows a confirmation page; POST changes the state through legal.publishing.

        Publishing and withdrawing are one permission (publish_documentversion); a GET never
        changes anything, and a refused change shows its problems on the same page.
        """
        if not request.user.has_perm(PUBLISH_PERMISSION):
            raise PermissionDenied
        version = self._get(request, pk)
        if request.method == "POST":
            try:
                version = change(version, user=request.user)
            except PublishingError as exc:
                for problem in exc.problems:
                    messages.error(request, problem)
                return HttpResponseRedirect(request.path)
            messages.success(request, done_message % {"number": version.number})
            return HttpResponseRedirect(self._change_url(version))
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        page = {**self.admin_site.each_context(request), "opts": self.model._meta, "version": version}
        return TemplateResponse(request, template, {**page, **context(version)})

    def publish_view(self, request, pk):
        def context(version):
            current = version.document.versions.in_effect().first()
            diffs = []
            if current is not None and version.status == DocumentVersion.Status.DRAFT:
                diffs = [(code, compare_versions(current, version, code)) for code in language_codes()]
            return {
                "title": gettext("Publish %(version)s") % {"version": version},
                "plan": plan_publish(version),
                "current": current,
                "diffs": diffs,
            }

        return self._confirm_then_change(
            request,
            pk,
            change=publish_version,
            done_message=gettext("Published as version %(number)s."),
            template="admin/legal/documentversion/publish.html",
            context=context,
        )

    def withdraw_view(self, request, pk):
        def context(version):
            return {
                "title": gettext("Withdraw %(version)s") % {"version": version},
                "problems": withdraw_problems(version),
            }

        return self._confirm_then_change(
            request,
            pk,
            change=withdraw_version,
            done_message=gettext("Version %(number)s was withdrawn."),
            template="admin/legal/documentversion/withdraw.html",
            context=context,
        )

    def new_draft_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        draft = new_draft_from(self._get(request, pk), user=request.user)
        messages.success(request, gettext("A new draft was created from this version. Edit it below."))
        return HttpResponseRedirect(self._change_url(draft))

    @staticmethod
    def _preview_context(version, language):
        from .views import version_text_context

        now = clock.now()
        current = version.document.versions.in_effect(now).first()
        context = {
            "document": version.document,
            "now": now,
            "current": current,
            "scheduled": None,
            "page": "preview",
            "language": language,
        }
        context.update(version_text_context(version, current))
        context["is_superseded"] = False
        return context

    def preview_view(self, request, pk, language):
        """The draft exactly as the public page would show it, with a DRAFT banner."""
        version = self._get(request, pk)
        if not self.has_change_permission(request) or language not in language_codes():
            raise Http404
        with translation.override(language):
            response = TemplateResponse(request, "legal/preview.html", self._preview_context(version, language))
            response.render()
        response["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)
        return response


# Subscribers and the notification outbox (read-only lists) are registered in their own module.
from . import admin_notifications  # noqa: E402, F401
