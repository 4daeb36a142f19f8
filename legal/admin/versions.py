"""The Django admin for legal staff: edit drafts, preview, publish and withdraw.

State changes go through `legal.publishing`; this module only asks and shows. Published
and withdrawn versions are shown read-only and can never be deleted.
"""

import json

from modeltranslation.admin import TabbedDjangoJqueryTranslationAdmin

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from .. import clock
from ..comparison import compare_versions
from ..diffing import Redline
from ..emails import notice_subject, notice_summary
from ..forms import validate_markdown_limits
from ..models import (
    PUBLISH_PERMISSION,
    REASON_MAX_LENGTH,
    Document,
    DocumentVersion,
    PublicState,
    ReviewState,
    SectionConfirmation,
    Subscription,
    language_codes,
)
from ..publishing import (
    WITHDRAWAL_REASON_MAX_LENGTH,
    PublishingError,
    editorial_problem,
    new_draft_from,
    plan_publish,
    publish_findings,
    publish_problems,
    publish_version,
    rebase_draft,
    reissue_draft,
    withdraw_problems,
    withdraw_version,
)
from ..rendering import render_markdown
from ..reviewing import COMMENT_MAX_LENGTH, ReviewError, note_saved, send_back, submit_for_review
from ..reviews import review_of, review_state
from ..side_by_side import aligned_rows, bodies_fingerprint, join_sections
from ..templatetags.date_words import date_in_words
from ..translation_sync import LedgerError, SectionState, confirm_sections, section_statuses, translation_languages
from .roles import fixed_document_fields, may_delete_draft, notice_period_change

BACK_IN_PROGRESS = gettext_noop(
    "The draft changed after it was submitted for review, so it is in progress again. Submit it again when it is ready."
)


class MarkdownTextarea(forms.Textarea):
    """A roomy, monospace editor for Markdown bodies (styled by legal/admin.css)."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "markdown-editor", "rows": 30, "spellcheck": "true", **(attrs or {})})


@admin.register(Document)
class DocumentAdmin(TabbedDjangoJqueryTranslationAdmin):
    list_display = ("slug", "title", "authoritative_language", "notice_period_days")
    search_fields = ("slug", "title_vi", "title_en")
    prepopulated_fields = {"slug": ("title_en",)}

    class Media:
        js = ("legal/admin_tabs.js",)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.versions.exists():
            return False
        return super().has_delete_permission(request, obj)

    # Roles: see legal/admin/roles.py. Read-only fields are left out of the form, so a
    # crafted POST cannot change them either.
    def get_readonly_fields(self, request, obj=None):
        return fixed_document_fields(request.user, obj)

    def get_prepopulated_fields(self, request, obj=None):
        return {} if "slug" in self.get_readonly_fields(request, obj) else super().get_prepopulated_fields(request, obj)

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        change = None if add else notice_period_change(form)
        if change is None:
            return message
        # The history keeps the old and the new value, written in the language of whoever changed it.
        return f"{LogEntry(change_message=json.dumps(message)).get_change_message()} {change}"


class StateFilter(admin.SimpleListFilter):
    """Filter by public state, answered by `DocumentVersionQuerySet.with_public_state()`."""

    title = _("status")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return PublicState.choices

    def queryset(self, request, queryset):
        if self.value() in PublicState.values:
            return queryset.filter(state=self.value())
        return queryset


class PublishForm(forms.Form):
    """The publish button's choices: when it takes effect, and the publisher's word on the kind of change."""

    when = forms.ChoiceField(
        choices=[("date", _("on the draft's effective date")), ("asap", _("as soon as allowed"))],
        widget=forms.HiddenInput,
        required=False,  # the draft's own date
    )
    editorial_confirmed = forms.BooleanField(
        label=_(
            "I confirm that this change is editorial: the words changed, but nothing the Terms mean changed "
            "(a typo or a formatting fix). It takes effect without the notice period."
        ),
        required=False,
    )


class SendBackForm(forms.Form):
    comment = forms.CharField(
        label=_("What should change"),
        widget=forms.Textarea(attrs={"rows": 6, "class": "vLargeTextField"}),
        max_length=COMMENT_MAX_LENGTH,
        help_text=_("Emailed to the editor who submitted the draft, and kept in the version's history."),
    )


class VersionChangeList(ChangeList):
    """Sorts and pages the versions by primary key alone, then reads only the rows shown.

    With 10,000 versions, sorting whole rows read every row; on SQLite the dates come after
    the texts in a row, so that meant reading every text. The ordering's covering index
    (`version_list_order`) answers the first query; the second reads the page's rows
    without their texts (`has_language()` asks the hashes).
    """

    def get_results(self, request):
        super().get_results(request)
        pks = list(self.result_list.values_list("pk", flat=True))
        rows = self.queryset.order_by().without_texts().in_bulk(pks)
        self.result_list = [rows[pk] for pk in pks if pk in rows]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawal"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField"}),
        max_length=WITHDRAWAL_REASON_MAX_LENGTH,
        help_text=_("Shown on the version's page, in its feed entry and API object, and emailed to subscribers."),
    )
    reissue = forms.BooleanField(
        label=_("The text is to be re-issued later"),
        required=False,
        help_text=_(
            "For example, to let an urgent change take effect first. Subscribers are told; "
            "make the new draft with “Re-issue as a new draft” once the urgent change is published."
        ),
    )


class ConfirmSectionForm(forms.Form):
    """One section of one translation: confirmed, or not affected by the authoritative change."""

    CONFIRM = "confirm"
    NOT_AFFECTED = "not_affected"

    language = forms.ChoiceField(choices=settings.LANGUAGES, widget=forms.HiddenInput)
    anchor = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[(CONFIRM, CONFIRM), (NOT_AFFECTED, NOT_AFFECTED)], widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why the change does not affect the translation"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
    )

    @property
    def method(self):
        if self.cleaned_data["action"] == self.NOT_AFFECTED:
            return SectionConfirmation.Method.NOT_AFFECTED
        return SectionConfirmation.Method.CONFIRMED


@admin.register(DocumentVersion)
class DocumentVersionAdmin(TabbedDjangoJqueryTranslationAdmin):
    list_display = ("__str__", "document", "number", "state", "review_status", "effective", "languages", "published_by")
    list_filter = ("document", StateFilter)
    search_fields = ("title_vi", "title_en")
    list_select_related = ("document", "published_by", "review", "review__submitted_by", "review__returned_by")
    list_per_page = 50  # as the public history and the API: rendering a row costs more than reading it
    fields = ("document", "change_kind", "effective_at", "title", "summary", "body")
    readonly_info = ("effective", "number", "state", "review_status", "based_on", "reissue_of", "published_at", "published_by",
                     "notice_from", "withdrawn_at", "withdrawn_by", "withdrawal_reason", "created_by", "updated_by",
                     "hashes")  # fmt: skip
    formfield_overrides = {models.TextField: {"widget": MarkdownTextarea}}
    change_form_template = "admin/legal/documentversion/change_form.html"

    class Media:
        css = {"all": ("legal/admin.css",)}
        js = ("legal/admin_tabs.js",)

    def get_queryset(self, request):
        return super().get_queryset(request).with_public_state(clock.now())

    def get_changelist(self, request, **kwargs):
        return VersionChangeList

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        fields = fields + [f for f in self.readonly_info if f not in fields] if obj else fields
        if "effective" in fields:  # the date in words right below the date's own field
            fields.remove("effective")
            fields.insert(fields.index("effective_at") + 1, "effective")
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_info if obj else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The form, with what still stops the draft from being published next to the fields it is about.

        The rules of publishing run whenever a draft is opened (so also right after each save)
        and show as warnings: a draft may be saved incomplete; only publishing refuses.
        """
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or not obj.is_draft:
            return form
        if "_findings" not in obj.__dict__:  # the admin asks for the form more than once per page
            obj.__dict__["_findings"] = {}
            for field, problem in publish_findings(obj):
                obj.__dict__["_findings"].setdefault(field, []).append(problem)
        findings = obj.__dict__["_findings"]

        class DraftForm(form):
            warnings = findings

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for name, problems in self.warnings.items():
                    if name in self.fields:
                        help_text = self.fields[name].help_text
                        self.fields[name].help_text = format_html(
                            '{}<ul class="draft-warnings" role="status">{}</ul>',
                            help_text,
                            format_html_join("", "<li>{}</li>", ((problem,) for problem in problems)),
                        )

        return DraftForm

    def response_change(self, request, obj):
        if obj.is_draft:
            count = len(publish_problems(obj))
            if count:
                messages.warning(
                    request,
                    ngettext(
                        "Saved. %(count)s thing still stops this draft from being published: see the warnings "
                        "next to the fields, or the publish page.",
                        "Saved. %(count)s things still stop this draft from being published: see the warnings "
                        "next to the fields, or the publish page.",
                        count,
                    )
                    % {"count": count},
                )
        return super().response_change(request, obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name.startswith("summary") and field is not None:
            # Keep modeltranslation's classes on the widget: its tabs find the fields by them.
            classes = f"{field.widget.attrs.get('class', '')} vLargeTextField".strip()
            field.widget = forms.Textarea(attrs={**field.widget.attrs, "rows": 3, "class": classes})
        if db_field.name == "effective_at" and field is not None:
            field.help_text = _(
                "Date as year-month-day (2027-01-06) or 6 January 2027; time as hours:minutes, 24-hour."
            )
        if db_field.name.startswith("body_") and field is not None:
            field.strip = False  # the Markdown is stored exactly as typed, final newline included
            field.validators.append(validate_markdown_limits)
        return field

    # Published and withdrawn versions are a legal record: view only, never deleted.
    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return False
        return super().has_delete_permission(request, obj) or may_delete_draft(request.user, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        if change and note_saved(obj, user=request.user):
            messages.warning(request, gettext(BACK_IN_PROGRESS))

    def view_on_site(self, obj):
        """ "View on site": a version's public page (410 with its reason once withdrawn); a draft's preview."""
        if not obj.is_draft:
            return obj.get_absolute_url()
        language = translation.get_language()
        language = language if language in language_codes() else obj.document.authoritative_language
        return reverse("admin:legal_documentversion_preview", args=[obj.pk, language])

    @admin.display(description=_("status"))
    def state(self, obj):
        return obj.public_state().label

    @admin.display(description=_("review"))
    def review_status(self, obj):
        state = review_state(obj)
        if state is None:
            return "—"
        record = review_of(obj)
        if state == ReviewState.SUBMITTED:
            return gettext("Submitted for review by %(name)s, %(date)s") % {
                "name": record.submitted_by or "—",
                "date": date_format(localtime(record.submitted_at), "DATETIME_FORMAT"),
            }
        if state == ReviewState.RETURNED:
            return gettext("Sent back by %(name)s: %(comment)s") % {
                "name": record.returned_by or "—",
                "comment": Truncator(record.comment).chars(200),
            }
        return state.label

    @admin.display(description=_("takes effect"), ordering="effective_at")
    def effective(self, obj):
        return date_in_words(obj.effective_at)

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
            path("<int:pk>/reissue/", wrap(self.reissue_view), name="legal_documentversion_reissue"),
            path("<int:pk>/rebase/", wrap(self.rebase_view), name="legal_documentversion_rebase"),
            path("<int:pk>/submit/", wrap(self.submit_view), name="legal_documentversion_submit"),
            path("<int:pk>/side-by-side/", wrap(self.side_by_side_view), name="legal_documentversion_side_by_side"),
            path(
                "<int:pk>/section-preview/",
                wrap(self.section_preview_view),
                name="legal_documentversion_section_preview",
            ),
            path("<int:pk>/send-back/", wrap(self.send_back_view), name="legal_documentversion_send_back"),
            path("<int:pk>/preview/<str:language>/", wrap(self.preview_view), name="legal_documentversion_preview"),
            path("<int:pk>/translation/", wrap(self.translation_view), name="legal_documentversion_translation"),
        ] + super().get_urls()

    def _get(self, request, pk):
        version = DocumentVersion.objects.select_related("document").filter(pk=pk).first()
        if version is None or not self.has_view_permission(request, version):
            raise Http404
        return version

    def _change_url(self, version):
        return reverse("admin:legal_documentversion_change", args=[version.pk])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = (
            DocumentVersion.objects.select_related("document").filter(pk=object_id).first()
            if str(object_id).isdigit()
            else None
        )
        extra_context = {
            "review_state": review_state(version) if version is not None else None,
            **(extra_context or {}),
            "can_publish": request.user.has_perm(PUBLISH_PERMISSION),
            "can_add": self.has_add_permission(request),
            "can_submit": self.has_change_permission(request),
            "languages": language_codes(),
            "translation_out_of_step": (
                sum(not status.in_step for status in section_statuses(version))
                if version is not None and version.is_draft
                else 0
            ),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _confirm_then_change(self, request, pk, *, change, done_message, template, context, form_class=None):
        """GET shows a confirmation page; POST changes the state through legal.publishing.

        Publishing and withdrawing are one permission (publish_documentversion); a GET never
        changes anything, and a refused change shows its problems on the same page. With a
        `form_class`, its cleaned data are passed to `change` as keyword arguments.
        """
        if not request.user.has_perm(PUBLISH_PERMISSION):
            raise PermissionDenied
        version = self._get(request, pk)
        form = form_class(request.POST if request.method == "POST" else None) if form_class else None
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                version = change(version, user=request.user, **(form.cleaned_data if form else {}))
            except PublishingError as exc:
                self._show_problems(request, exc.problems)
                return HttpResponseRedirect(request.get_full_path())
            messages.success(request, done_message % {"number": version.number})
            return HttpResponseRedirect(self._change_url(version))
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        page = {**self.admin_site.each_context(request), "opts": self.model._meta, "version": version, "form": form}
        extra = context(version)
        if form is not None and form.is_bound:
            extra.pop("form", None)  # a refused POST shows its own errors
        return TemplateResponse(request, template, {**page, **extra})

    def publish_view(self, request, pk):
        """The confirmation page in the order a publisher checks it, then Publish (POST)."""
        when = request.POST.get("when") or request.GET.get("when")

        def context(version):
            timing = when if when in ("date", "asap") else ("date" if version.effective_at else "asap")
            # Every problem but the editorial confirmation, which is the form's own checkbox.
            plan = plan_publish(version, as_soon_as_allowed=timing == "asap", editorial_confirmed=True)
            editorial = version.change_kind == DocumentVersion.ChangeKind.EDITORIAL
            counts = Subscription.objects.active_by_language(version.document)
            emails = [
                {
                    "language": code,
                    "subject": notice_subject(version, code, number=plan.number, effective_at=plan.effective),
                    "summary": notice_summary(version, code),
                    "subscribers": counts.get(code, 0),
                }
                for code in language_codes()
            ]
            diffs = []
            if plan.follows is not None and version.is_draft:
                diffs = [(code, compare_versions(plan.follows, version, code)) for code in language_codes()]
            return {
                "title": gettext("Publish %(version)s") % {"version": version},
                "plan": plan,
                "timing": timing,
                "current": plan.follows,
                "diffs": diffs,
                "emails": emails,
                "subscribers": sum(counts.values()),
                "needs_confirmation": editorial and bool(plan.clause_changes),
                "editorial_evidence": editorial_problem(version, list(plan.clause_changes)) if editorial else None,
                "only_formatting": not editorial and plan.follows is not None and not plan.clause_changes,
                "form": PublishForm(initial={"when": timing}),
            }

        def publish(version, *, user, when, editorial_confirmed):
            return publish_version(
                version, user=user, as_soon_as_allowed=when == "asap", editorial_confirmed=editorial_confirmed
            )

        return self._confirm_then_change(
            request,
            pk,
            change=publish,
            done_message=gettext("Published as version %(number)s."),
            template="admin/legal/documentversion/publish.html",
            context=context,
            form_class=PublishForm,
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
            form_class=WithdrawForm,
        )

    def new_draft_view(self, request, pk):
        """GET asks for confirmation (a stray click makes nothing); POST creates the draft and opens it."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        version = self._get(request, pk)
        if request.method == "POST":
            draft = new_draft_from(version, user=request.user)
            messages.success(request, gettext("A new draft was created from this version. Edit it below."))
            return HttpResponseRedirect(self._change_url(draft))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "version": version,
            "drafts": version.document.versions.drafts().count(),
            "title": gettext("New draft from %(version)s") % {"version": version},
        }
        return TemplateResponse(request, "admin/legal/documentversion/new_draft.html", context)

    def reissue_view(self, request, pk):
        """POST: a new draft with a withdrawn version's text, rebased on the latest published version."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        withdrawn = self._get(request, pk)
        try:
            draft, conflicts = reissue_draft(withdrawn, user=request.user)
        except PublishingError as exc:
            self._show_problems(request, exc.problems)
            return HttpResponseRedirect(self._change_url(withdrawn))
        messages.success(
            request,
            gettext("A new draft re-issues version %(number)s, rebased on version %(onto)s.")
            % {"number": withdrawn.number, "onto": draft.based_on.number},
        )
        self._report_conflicts(request, conflicts)
        return HttpResponseRedirect(self._change_url(draft))

    def _draft_step(self, request, pk, step, *, done):
        """A POST-only step on a draft, by whoever may change it: `step(draft, user=...)`, then
        `done(draft, result)` says how it went; or the step's problems are shown. Back to the draft."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        draft = self._get(request, pk)
        if not self.has_change_permission(request, draft):
            raise PermissionDenied
        try:
            result = step(draft, user=request.user)
        except (PublishingError, ReviewError) as exc:
            self._show_problems(request, exc.problems)
        else:
            done(draft, result)
        return HttpResponseRedirect(self._change_url(draft))

    def rebase_view(self, request, pk):
        """POST: merge into a draft the changes of the versions published since it was made."""

        def done(draft, conflicts):
            draft.refresh_from_db()
            messages.success(
                request, gettext("The draft now builds on version %(number)s.") % {"number": draft.based_on.number}
            )
            if note_saved(draft, user=request.user):
                messages.warning(request, gettext(BACK_IN_PROGRESS))
            self._report_conflicts(request, conflicts)

        return self._draft_step(request, pk, rebase_draft, done=done)

    def translation_view(self, request, pk):
        """Each translated section beside the authoritative one: in step, stale or new.

        A stale section shows the authoritative section's redline since it was last
        confirmed. On a draft, whoever may change it confirms a section, or records with a
        reason that the authoritative change does not affect the translation (POST).
        """
        version = self._get(request, pk)
        may_confirm = version.is_draft and self.has_change_permission(request, version)
        if request.method == "POST":
            if not may_confirm:
                raise PermissionDenied
            form = ConfirmSectionForm(request.POST)
            if not form.is_valid():
                for errors in form.errors.values():
                    for error in errors:
                        messages.error(request, error)
                return HttpResponseRedirect(request.path)
            data = form.cleaned_data
            try:
                confirm_sections(
                    version,
                    anchors=[data["anchor"]],
                    languages=[data["language"]],
                    method=form.method,
                    reason=data["reason"],
                    user=request.user,
                )
            except LedgerError as exc:
                self._show_problems(request, exc.problems)
                return HttpResponseRedirect(request.path)
            messages.success(request, gettext("The section is recorded as in step with the authoritative text."))
            return HttpResponseRedirect(request.path)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        statuses = section_statuses(version)
        languages = [
            {
                "code": code,
                "has_text": version.has_language(code),
                "sections": [status for status in statuses if status.language == code],
            }
            for code in translation_languages(version)
        ]
        for language in languages:
            for status in language["sections"]:
                status.change = Redline(sections=[status.redline()]) if not status.in_step else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "version": version,
            "title": gettext("Translation of %(version)s") % {"version": version},
            "languages": languages,
            "authoritative": version.document.authoritative_language,
            "may_confirm": may_confirm,
            "out_of_step": sum(not status.in_step for status in statuses),
            "states": SectionState,
        }
        response = TemplateResponse(request, "admin/legal/documentversion/translation.html", context)
        add_never_cache_headers(response)
        return response

    def submit_view(self, request, pk):
        """POST: the editor hands the draft to the publishers, who are emailed."""

        def done(draft, delivery):
            messages.success(request, gettext("The draft was submitted for review."))
            none = gettext("No publisher has an email address: tell them yourself.")
            self._report_delivery(request, delivery, none=none)

        return self._draft_step(request, pk, submit_for_review, done=done)

    def send_back_view(self, request, pk):
        """GET asks for a comment; POST sends the draft back to its editor, who is emailed the comment."""
        if not request.user.has_perm(PUBLISH_PERMISSION):
            raise PermissionDenied
        draft = self._get(request, pk)
        form = SendBackForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                delivery = send_back(draft, user=request.user, comment=form.cleaned_data["comment"])
            except ReviewError as exc:
                self._show_problems(request, exc.problems)
                return HttpResponseRedirect(request.path)
            messages.success(request, gettext("The draft was sent back to its editor."))
            self._report_delivery(
                request, delivery, none=gettext("The editor has no email address: tell them yourself.")
            )
            return HttpResponseRedirect(self._change_url(draft))
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        problems = []
        if review_state(draft) != ReviewState.SUBMITTED:
            problems.append(gettext("Only a draft submitted for review, unchanged since, can be sent back."))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "version": draft,
            "form": form,
            "problems": problems,
            "title": gettext("Send %(version)s back to its editor") % {"version": draft},
        }
        return TemplateResponse(request, "admin/legal/documentversion/send_back.html", context)

    def _editable_draft(self, request, pk):
        draft = self._get(request, pk)
        if not draft.is_draft or not self.has_change_permission(request, draft):
            raise PermissionDenied
        return draft

    def side_by_side_view(self, request, pk):
        """Both languages side by side, one row per section (paired by outline position); POST saves both bodies."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        draft = self._editable_draft(request, pk)
        authoritative = draft.document.authoritative_language
        languages = [authoritative] + [code for code in language_codes() if code != authoritative]
        rows = aligned_rows(draft, languages)
        errors = {}
        if request.method == "POST":
            if request.POST.get("base") != bodies_fingerprint(draft, languages):
                messages.error(
                    request,
                    gettext(
                        "The text was changed by someone else since you opened this page. Your changes were not saved."
                    ),
                )
                return HttpResponseRedirect(request.path)
            posted = {code: [request.POST.get(f"{code}-{row.index}", "") for row in rows] for code in languages}
            for code in languages:
                body = join_sections(posted[code])
                try:
                    validate_markdown_limits(body)
                except ValidationError as exc:
                    errors[code] = exc.messages
                setattr(draft, f"body_{code}", body)
            if not errors:
                draft.updated_by = request.user
                draft.save()
                self.log_change(request, draft, [{"changed": {"fields": ["body"]}}])
                if note_saved(draft, user=request.user):
                    messages.warning(request, gettext(BACK_IN_PROGRESS))
                messages.success(request, gettext("Both texts were saved."))
                target = request.path if "_continue" in request.POST else self._change_url(draft)
                return HttpResponseRedirect(target)
            rows = [
                type(row)(index=row.index, title=row.title, texts={code: posted[code][row.index] for code in languages})
                for row in rows
            ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "version": draft,
            "title": gettext("%(version)s: both languages side by side") % {"version": draft},
            "languages": languages,
            "rows": rows,
            "errors": errors,
            "base": bodies_fingerprint(DocumentVersion.objects.get(pk=draft.pk), languages),
        }
        return TemplateResponse(request, "admin/legal/documentversion/side_by_side.html", context)

    def section_preview_view(self, request, pk):
        """POST one section's Markdown; answers {"html": ...} rendered and sanitised as the page will show it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._editable_draft(request, pk)
        text = request.POST.get("text", "")
        try:
            validate_markdown_limits(text)  # the renderer's limits, as the form words them
        except ValidationError as exc:
            return JsonResponse({"error": " ".join(exc.messages)}, status=400)
        return JsonResponse({"html": render_markdown(text).html})

    @staticmethod
    def _show_problems(request, problems):
        """Each reason a service refused the action, as an error message on the next page."""
        for problem in problems:
            messages.error(request, problem)

    @staticmethod
    def _report_delivery(request, delivery, *, none):
        if delivery.sent:
            names = ", ".join(user.email for user in delivery.sent)
            messages.info(request, gettext("Emailed to: %(emails)s.") % {"emails": names})
        if delivery.failed:
            names = ", ".join(user.email or user.get_username() for user in delivery.failed)
            messages.warning(
                request,
                gettext("The email to %(emails)s could not be sent: tell them yourself.") % {"emails": names},
            )
        if not delivery.sent and not delivery.failed:
            messages.warning(request, none)

    @staticmethod
    def _report_conflicts(request, conflicts):
        if conflicts:
            messages.warning(
                request,
                ngettext(
                    "%(count)s passage was changed on both sides: both wordings are kept between <<<<<<< and "
                    ">>>>>>> markers. Choose one and remove the markers before publishing.",
                    "%(count)s passages were changed on both sides: both wordings are kept between <<<<<<< and "
                    ">>>>>>> markers. Choose one and remove the markers before publishing.",
                    conflicts,
                )
                % {"count": conflicts},
            )

    @staticmethod
    def _preview_context(version, language):
        from ..views import version_text_context

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
        context.update(version_text_context(version))
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
