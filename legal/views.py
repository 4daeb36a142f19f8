"""Reader pages: thin views over the `published()` / `in_effect()` QuerySet methods."""

from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponseRedirect
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, get_language_from_request
from django.views.generic import TemplateView

from . import clock
from .models import Document, DocumentVersion


def language_redirect(request, slug=None):
    """Send `/` and `/<slug>/` to the reader's language: cookie, then Accept-Language, then vi."""
    code = get_language_from_request(request, check_path=False)
    with_language = f"/{code}/" if slug is None else f"/{code}/{slug}/"
    response = HttpResponseRedirect(with_language)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


class ReaderPage(TemplateView):
    """A public page about one document, built from a single query of its versions."""

    def get_versions(self, slug, at):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = clock.now()
        versions = list(self.get_versions(kwargs["slug"], now))
        if not versions:
            raise Http404
        document = versions[0].document
        in_effect = max(
            (v for v in versions if v.is_in_effect_at(now)), key=lambda v: v.effective_at, default=None
        )
        scheduled = sorted(
            (v for v in versions if v.status == v.Status.PUBLISHED and v.effective_at > now),
            key=lambda v: v.effective_at,
        )
        context.update(
            document=document,
            versions=versions,
            current=in_effect,
            scheduled=scheduled[0] if scheduled else None,
            now=now,
            language=get_language(),
        )
        return context


class VersionTextMixin:
    """Adds what the document and version pages show of one version's text."""

    def text_context(self, version, current):
        language = get_language()
        shown, title, body_html, sections = version.text_for(language)
        return {
            "version": version,
            "shown_language": shown,
            "is_fallback": shown != language,
            "version_title": title,
            "body_html": body_html,
            "toc": [s for s in sections if s.level in (2, 3)],
            "is_superseded": current is not None and version.effective_at < current.effective_at,
        }


def _published_of(slug):
    return DocumentVersion.objects.select_related("document").filter(document__slug=slug)


def _in_effect_pk(slug, at):
    return DocumentVersion.objects.filter(document__slug=slug).in_effect(at).values("pk")


class DocumentView(VersionTextMixin, ReaderPage):
    """The canonical address: the version in effect now."""

    template_name = "legal/document.html"

    def get_versions(self, slug, at):
        return _published_of(slug).filter(
            Q(pk__in=_in_effect_pk(slug, at)) | Q(status=DocumentVersion.Status.PUBLISHED, effective_at__gt=at)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["current"] is None:
            raise Http404
        context.update(self.text_context(context["current"], context["current"]))
        context["page"] = "document"
        return context


class VersionView(VersionTextMixin, ReaderPage):
    """The permanent page of one published version."""

    template_name = "legal/document.html"

    def get_versions(self, slug, at):
        return _published_of(slug).filter(
            Q(number=self.kwargs["number"], status=DocumentVersion.Status.PUBLISHED)
            | Q(pk__in=_in_effect_pk(slug, at))
            | Q(status=DocumentVersion.Status.PUBLISHED, effective_at__gt=at)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        number = self.kwargs["number"]
        version = next((v for v in context["versions"] if v.number == number), None)
        if version is None:
            raise Http404
        context.update(self.text_context(version, context["current"]))
        context["page"] = "version"
        return context


class HistoryView(ReaderPage):
    """Every version of a document that was ever published, scheduled ones first."""

    template_name = "legal/history.html"

    def get_versions(self, slug, at):
        deferred = [f"{base}_{code}" for base in ("body", "body_html", "sections") for code in ("vi", "en")]
        return _published_of(slug).listed().defer("body", "body_html", "sections", *deferred)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = context["now"]
        context["history"] = sorted(
            context["versions"],
            key=lambda v: (v.effective_at > now and v.status == v.Status.PUBLISHED, v.number),
            reverse=True,
        )
        context["page"] = "history"
        return context


class IndexView(TemplateView):
    """The legal centre: every document that has a version in effect."""

    template_name = "legal/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = clock.now()
        in_effect = DocumentVersion.objects.published().filter(document=OuterRef("pk"), effective_at__lte=now)
        context["documents"] = Document.objects.filter(Exists(in_effect))
        return context
