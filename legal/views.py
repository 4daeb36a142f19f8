"""Reader pages: thin views over the `published()` / `in_effect()` QuerySet methods."""

import datetime
import re

from django.conf import settings
from django.db.models import Case, Exists, OuterRef, Q, Subquery, Value, When
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, get_language_from_request, get_language_info
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from . import caching, clock
from .diffing import compare_versions
from .models import Document, DocumentVersion, in_effect_among, scheduled_among


@require_safe
def language_redirect(request, slug=None):
    """Send `/` and `/<slug>/` to the reader's language: cookie, then Accept-Language, then vi."""
    code = get_language_from_request(request, check_path=False)
    with_language = f"/{code}/" if slug is None else f"/{code}/{slug}/"
    response = HttpResponseRedirect(with_language)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


class ReaderPage(TemplateView):
    """A public page about one document, built from a single query of its versions.

    Whole rendered pages are cached (legal/caching.py): a hit costs no query and no
    template rendering, and never outlives the document's next scheduled switch.
    """

    def get_versions(self, slug, at):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        # Warm pages are answered by caching.PageCacheMiddleware before reaching here.
        generation = getattr(request, "page_cache_generation", None)
        if generation is None:
            _cached, generation = caching.get_page(request)
        response = super().get(request, *args, **kwargs)
        response.render()
        context = response.context_data
        return caching.store_page(
            request,
            response,
            generation=generation,
            last_modified=context["last_modified"],
            next_change=context["next_change"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = clock.now()
        versions = list(self.get_versions(kwargs["slug"], now))
        if not versions:
            raise Http404
        document = versions[0].document
        in_effect = in_effect_among(versions, now)
        scheduled = scheduled_among(versions, now)
        changes = [v.published_at for v in versions if v.published_at]
        changes += [v.withdrawn_at for v in versions if v.withdrawn_at]
        changes += [v.effective_at for v in versions if v.is_in_effect_at(now)]
        context.update(
            document=document,
            versions=versions,
            current=in_effect,
            scheduled=scheduled[0] if scheduled else None,
            next_change=scheduled[0].effective_at if scheduled else None,
            last_modified=max(changes, default=None),
            now=now,
            language=get_language(),
        )
        return context


def version_text_context(version, current):
    """What a page shows of one version's text in the active language (also the admin preview)."""
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
        "version_hashes": [
            (code, get_language_info(code)["name_translated"], getattr(version, f"body_sha256_{code}"))
            for code in settings.MODELTRANSLATION_LANGUAGES
            if getattr(version, f"body_sha256_{code}")
        ],
    }


def _published_of(slug):
    return DocumentVersion.objects.select_related("document").filter(document__slug=slug)


def _in_effect_pk(slug, at):
    return DocumentVersion.objects.filter(document__slug=slug).in_effect(at).values("pk")


class DocumentView(ReaderPage):
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
        context.update(version_text_context(context["current"], context["current"]))
        context["page"] = "document"
        return context


class VersionView(ReaderPage):
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
        context.update(version_text_context(version, context["current"]))
        context["page"] = "version"
        context["applied_on"] = applied_on(self.request, version)
        return context


def end_of_day(day):
    """The last instant of `day` in the site's time zone (Asia/Ho_Chi_Minh)."""
    midnight = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
    return midnight - datetime.timedelta(microseconds=1)


def applied_on(request, version):
    """The day named by `?on=` if this version was the one in effect at its end, else None.

    Only the point-in-time redirect adds `?on=`; the extra query runs only then.
    """
    try:
        day = datetime.date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return None
    in_effect = DocumentVersion.objects.filter(document=version.document_id).in_effect(end_of_day(day))
    return day if in_effect.values_list("pk", flat=True).first() == version.pk else None


class HistoryView(ReaderPage):
    """Every version of a document that was ever published, scheduled ones first.

    Paged (HISTORY_PAGE_SIZE a page, `?page=N`) so a long history stays a small page. Each
    row carries the pk of the version in effect and the next switch, so a page knows both
    without a second query.
    """

    template_name = "legal/history.html"
    page_size = 50

    def page_number(self):
        raw = self.request.GET.get("page", "1")
        if not (raw.isascii() and raw.isdigit() and 0 < len(raw) < 6 and int(raw) > 0):
            raise Http404
        return int(raw)

    def get_versions(self, slug, at):
        heavy = ("body", "body_html", "sections")
        deferred = [f"{base}_{code}" for base in heavy for code in settings.MODELTRANSLATION_LANGUAGES]
        of_document = DocumentVersion.objects.filter(document__slug=slug)
        upcoming = Q(status=DocumentVersion.Status.PUBLISHED, effective_at__gt=at)
        rows = (
            _published_of(slug)
            .listed()
            .defer(*heavy, *deferred)
            .annotate(
                is_upcoming=Case(When(upcoming, then=Value(1)), default=Value(0)),
                current_pk=Subquery(of_document.in_effect(at).values("pk")),
                next_switch=Subquery(of_document.scheduled(at).values("effective_at")[:1]),
            )
            .order_by("-is_upcoming", "-number")
        )
        start = (self.page_number() - 1) * self.page_size
        return rows[start : start + self.page_size + 1]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = context["versions"]
        first = rows[0]
        slug = self.kwargs["slug"]
        published = [v for v in rows if v.status == v.Status.PUBLISHED]
        for newer, older in zip(published, published[1:], strict=False):
            newer.compare_url = reverse("legal:compare", kwargs={"slug": slug, "a": older.number, "b": newer.number})
        for version in published:
            if not hasattr(version, "compare_url") and version.number > 1:
                version.compare_url = reverse("legal:changes", kwargs={"slug": slug, "number": version.number})
        context.update(
            history=rows[: self.page_size],
            compare_default=(published[1].number, published[0].number) if len(published) > 1 else None,
            page="history",
            page_number=self.page_number(),
            has_next_page=len(rows) > self.page_size,
            current_pk=first.current_pk,
            next_change=first.next_switch,
        )
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


class CompareView(ReaderPage):
    """The redline from version a to version b in the page's language."""

    template_name = "legal/compare.html"

    def get_versions(self, slug, at):
        numbers = (self.kwargs["a"], self.kwargs["b"])
        return _published_of(slug).filter(
            Q(number__in=numbers, status=DocumentVersion.Status.PUBLISHED) | Q(pk__in=_in_effect_pk(slug, at))
        )

    def get(self, request, *args, **kwargs):
        if kwargs["a"] == kwargs["b"]:
            return render(request, "legal/compare_same.html", self.get_context_data(**kwargs), status=404)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        by_number = {v.number: v for v in context["versions"]}
        old, new = by_number.get(self.kwargs["a"]), by_number.get(self.kwargs["b"])
        if old is None or new is None:
            raise Http404
        language = get_language()
        context.update(
            old=old,
            new=new,
            reverse=old.effective_at > new.effective_at,
            # Comparing a version with itself gets the "nothing to compare" page, not a diff.
            redline=compare_versions(old, new, language) if old != new else None,
            page="compare",
        )
        return context


@require_safe
def point_in_time(request, slug, day):
    """Redirect to the version in effect at the end of `day` (YYYY-MM-DD) in the site's zone."""
    try:
        date = datetime.date.fromisoformat(day)
    except ValueError:
        raise Http404
    versions = DocumentVersion.objects.filter(document__slug=slug)
    version = versions.in_effect(end_of_day(date)).select_related("document").first()
    if version is None:
        document = Document.objects.filter(slug=slug).first()
        if document is None:
            raise Http404
        first = versions.published().order_by("effective_at").first()
        context = {"document": document, "day": date, "first": first}
        return render(request, "legal/point_in_time_none.html", context, status=404)
    url = reverse("legal:version", kwargs={"slug": slug, "number": version.number})
    return HttpResponseRedirect(f"{url}?on={date.isoformat()}")


@require_safe
def version_text(request, slug, number, language):
    """The exact Markdown of one language of a published version, as stored and hashed."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    version = (
        DocumentVersion.objects.published().filter(document__slug=slug, number=number).only(f"body_{language}").first()
    )
    text = getattr(version, f"body_{language}", None) if version else None
    if not text:
        raise Http404
    response = HttpResponse(text.encode("utf-8"), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{slug}-v{number}.{language}.md"'
    return response


@require_safe
def compare_form(request, slug):
    """The history page's "compare two versions" form: ?version_a=1&version_b=3 -> compare/1/3/."""
    # Field names carry "_", which no section anchor can, so they never collide with one.
    a, b = request.GET.get("version_a", ""), request.GET.get("version_b", "")
    if not (a.isascii() and a.isdigit() and b.isascii() and b.isdigit()) or not (0 < len(a) < 10 and 0 < len(b) < 10):
        raise Http404
    return HttpResponseRedirect(reverse("legal:compare", kwargs={"slug": slug, "a": int(a), "b": int(b)}))


@require_safe
def point_in_time_form(request, slug):
    """The history page's date field: ?on_date=YYYY-MM-DD -> on/YYYY-MM-DD/."""
    day = request.GET.get("on_date", "")
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", day):
        raise Http404
    return HttpResponseRedirect(reverse("legal:on-date", kwargs={"slug": slug, "day": day}))


@require_safe
def changes_in(request, slug, number):
    """ "Compare with previous": redirect to the redline from the published version before n."""
    published = DocumentVersion.objects.published().filter(document__slug=slug)
    previous = published.filter(number__lt=number).order_by("-number").values_list("number", flat=True).first()
    if previous is None or not published.filter(number=number).exists():
        raise Http404
    return HttpResponseRedirect(reverse("legal:compare", kwargs={"slug": slug, "a": previous, "b": number}))
