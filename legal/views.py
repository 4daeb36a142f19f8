"""Reader pages: thin views over the `published()` / `in_effect()` QuerySet methods."""

from django.db.models import Q, Subquery
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, get_language_from_request, get_language_info
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView
from django.views.generic.base import TemplateResponseMixin

from . import bilingual, caching, clock, digests, memento, paging, structured_data, transparency
from .comparison import outline
from .models import Document, DocumentVersion, in_effect_among, language_codes, scheduled_among
from .redlines import redline_for
from .rendering import TOC_LEVELS
from .translation_sync import section_statuses


@require_safe
def language_redirect(request, slug=None):
    """Send `/` and `/<slug>/` to the reader's language: cookie, then Accept-Language, then vi."""
    code = get_language_from_request(request, check_path=False)
    with_language = f"/{code}/" if slug is None else f"/{code}/{slug}/"
    response = HttpResponseRedirect(with_language)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


class ReaderPage(caching.PageCacheMixin, TemplateView):
    """A public page about one document, built from a single query of its versions.

    Whole rendered pages are cached (legal/caching.py): a hit costs no query and no
    template rendering, and never outlives the document's next scheduled switch.
    """

    def get_versions(self, slug, at):
        raise NotImplementedError

    def page_validity(self, response):
        context = getattr(response, "context_data", None)
        return (context["last_modified"], context["next_change"]) if context else None

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        self.add_headers(response, context)
        return response

    def add_headers(self, response, context):
        """Headers that belong to the page itself, set before it is stored in the page cache."""

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


def version_text_context(version):
    """What a page shows of one version's text in the active language (also the admin preview)."""
    language = get_language()
    shown, title, body_html, sections = version.text_for(language)
    # Publishing refuses a translated section that is not in step with the authoritative text,
    # and the ledger began with every published version in step: only a draft (the admin's
    # preview) can have unchecked sections, and only a draft costs the look-up.
    unchecked = []
    if version.is_draft and shown != version.document.authoritative_language:
        unchecked = [status for status in section_statuses(version, languages=[shown]) if not status.in_step]
    # The log and its time-stamps hold only listed versions; a draft (admin preview) has none.
    evidence = transparency.evidence_of(version)
    return {
        "unchecked_sections": unchecked,
        "version": version,
        "shown_language": shown,
        "is_fallback": shown != language,
        "version_title": title,
        "body_html": body_html,
        "toc": [s for s in sections if s.level in TOC_LEVELS],
        "version_state": version.public_state(),
        "version_hashes": [
            (
                code,
                get_language_info(code)["name_translated"],
                getattr(version, f"body_sha256_{code}"),
                evidence.get(code, {}).get("log_index"),
                evidence.get(code, {}).get("timestamp"),
                evidence.get(code, {}).get("pdf", False),
            )
            for code in language_codes()
            if getattr(version, f"body_sha256_{code}")
        ],
    }


def _versions_of(slug, at):
    """A document's versions with their public state at `at` and their neighbours, in one query."""
    return (
        DocumentVersion.objects.select_related("document")
        .filter(document__slug=slug)
        .with_public_state(at)
        .with_neighbours()
    )


def _shown_with_neighbours(slug, at, *also):
    """The rows a reader page needs: the version in effect, the scheduled ones, and `also`."""
    of_document = DocumentVersion.objects.filter(document__slug=slug)
    wanted = Q(pk__in=of_document.in_effect(at).values("pk")) | Q(pk__in=of_document.scheduled(at).values("pk"))
    for queryset in also:
        wanted |= Q(pk__in=queryset.values("pk"))
    # The evidence (log entry, time-stamp, PDF) of the version shown comes in the same query.
    return transparency.with_evidence(_named_by(wanted, at))


def _named_by(wanted, at):
    """The rows of `wanted` (subqueries of one document's versions), as `_versions_of` gives them.

    The subqueries name the document already; filtered by it again, SQLite walked all its
    versions testing each against them, rather than looking the few rows up by key.
    """
    return DocumentVersion.objects.select_related("document").filter(wanted).with_public_state(at).with_neighbours()


class DocumentView(ReaderPage):
    """The canonical address: the version in effect now."""

    template_name = "legal/document.html"

    def get(self, request, *args, **kwargs):
        if "HTTP_ACCEPT_DATETIME" in request.META:  # a Memento TimeGate request (RFC 7089)
            return memento.timegate(request, kwargs["slug"])
        return super().get(request, *args, **kwargs)

    def get_versions(self, slug, at):
        return _shown_with_neighbours(slug, at).with_memento_neighbours()

    def add_headers(self, response, context):
        memento.add_original_headers(self.request, response, context["document"].slug)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["current"] is None:
            raise Http404
        context.update(version_text_context(context["current"]))
        context["page"] = "document"
        context["json_ld"] = structured_data.version_json_ld(
            self.request, context["current"], context["shown_language"]
        )
        return context


class WithdrawnAnswer(TemplateResponseMixin):
    """Answer `410 Gone` with a real page when a page names a withdrawn version."""

    gone_template_name = "legal/withdrawn.html"

    def render_to_response(self, context, **response_kwargs):
        if context.get("gone") is not None:
            response_kwargs["status"] = 410
            self.template_name = self.gone_template_name
        return super().render_to_response(context, **response_kwargs)

    def gone_context(self, context, withdrawn):
        context.update(gone=withdrawn, page="withdrawn")
        return context


class VersionView(WithdrawnAnswer, ReaderPage):
    """The permanent page of one version: 200 when published, 410 once withdrawn."""

    template_name = "legal/document.html"

    def get_versions(self, slug, at):
        of_document = DocumentVersion.objects.filter(document__slug=slug)
        shown = _shown_with_neighbours(slug, at, of_document.listed().filter(number=self.kwargs["number"]))
        return shown.with_memento_neighbours()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        number = self.kwargs["number"]
        version = next((v for v in context["versions"] if v.number == number), None)
        if version is None:
            raise Http404
        if version.is_withdrawn:
            return self.gone_context(context, version)
        context.update(version_text_context(version))
        context["page"] = "version"
        context["previous_number"], context["next_number"] = version.neighbour_numbers()
        context["day"] = day_context(self.request, version)
        context["json_ld"] = structured_data.version_json_ld(self.request, version, context["shown_language"])
        return context

    def add_headers(self, response, context):
        if context.get("gone") is None:
            memento.add_memento_headers(self.request, response, context["version"])
        else:
            memento.add_original_headers(self.request, response, context["document"].slug)


def day_context(request, version):
    """What the page says about the day named by `?on=`, when this version applied at its end.

    Only the point-in-time redirect adds `?on=`; the extra query runs only then.
    """
    try:
        day = clock.parse_day(request.GET.get("on", ""))
    except ValueError:  # not a date, or a day at the edge of the calendar
        return None
    stretches = DocumentVersion.objects.filter(document=version.document_id).day_stretches(day)
    if not stretches or stretches[-1].version.pk != version.pk:
        return None
    return {"date": day, "tense": clock.tense_of(day), "stretches": stretches if len(stretches) > 1 else []}


class HistoryView(ReaderPage):
    """Every version of a document that was ever published, scheduled ones first.

    Paged (`page_size` a page, `?page=N`) so a long history stays a small page. Each
    row carries the pk of the version in effect and the next switch, so a page knows both
    without a second query.
    """

    template_name = "legal/history.html"
    page_size = 50

    def page_number(self):
        number = paging.page_number(self.request.GET.get("page", "1"))
        if number is None:
            raise Http404
        return number

    def get_versions(self, slug, at):
        of_document = DocumentVersion.objects.filter(document__slug=slug)
        rows = (
            _versions_of(slug, at)
            .listed()
            .without_texts()
            .annotate(
                current_pk=Subquery(of_document.in_effect(at).values("pk")),
                next_switch=Subquery(of_document.scheduled(at).values("effective_at")[:1]),
            )
            # Versions take effect in the order of their numbers: newest first is also
            # scheduled first, then in effect, then superseded.
            .order_by("-number")
        )
        return rows[paging.window(self.page_number(), self.page_size)]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = context["versions"]
        first = rows[0]
        slug = self.kwargs["slug"]
        for version in rows:
            if version.is_published and version.previous_number:
                version.compare_url = reverse(
                    "legal:compare", kwargs={"slug": slug, "a": version.previous_number, "b": version.number}
                )
        published = [v for v in rows if v.is_published]
        context.update(
            history=rows[: self.page_size],
            compare_default=(published[0].previous_number, published[0].number)
            if published and published[0].previous_number
            else None,
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
        context["documents"] = Document.objects.in_force(clock.now())
        return context


class CompareView(WithdrawnAnswer, ReaderPage):
    """The redline from version a to version b in the page's language (410 if one was withdrawn)."""

    template_name = "legal/compare.html"

    def get_versions(self, slug, at):
        numbers = (self.kwargs["a"], self.kwargs["b"])
        of_document = DocumentVersion.objects.filter(document__slug=slug)
        return _named_by(
            Q(pk__in=of_document.listed().filter(number__in=numbers).values("pk"))
            | Q(pk__in=of_document.in_effect(at).values("pk")),
            at,
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
        withdrawn = next((v for v in (old, new) if v.is_withdrawn), None)
        if withdrawn is not None:
            return self.gone_context(context, withdrawn)
        context.update(old=old, new=new)
        if old == new:
            return context  # the "nothing to compare" page needs no redline
        redline = redline_for(old, new, get_language())
        later = max(old, new, key=lambda v: v.number)  # numbers are the order versions take effect in
        context.update(
            old=old,
            new=new,
            reverse=old.number > new.number,
            later=later,
            later_state=later.public_state(),
            redline=redline,
            outline=outline(redline),
            page="compare",
        )
        return context


class CompareBilingualView(CompareView):
    """The same redline in every language, side by side, section by section."""

    template_name = "legal/compare_bilingual.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context.get("gone") is not None or context.get("old") == context.get("new"):
            return context
        old, new = context["old"], context["new"]
        codes = bilingual_order(context["document"])
        redlines = {code: redline_for(old, new, code) for code in codes}
        for redline in redlines.values():
            outline(redline)
        context.update(
            rows=with_columns(bilingual.align_redlines(redlines, codes), codes),
            columns=columns(codes),
            page="compare-bilingual",
        )
        return context


def bilingual_order(document):
    """Language codes with the authoritative one first."""
    codes = list(language_codes())
    return sorted(codes, key=lambda code: code != document.authoritative_language)


def columns(codes):
    """(code, name) of each column: each language named in itself, as a bilingual reader looks for it."""
    return [(code, get_language_info(code)["name_local"]) for code in codes]


def with_columns(rows, codes):
    """Rows whose cells a template can walk in column order: row.columns = [(code, name, cell)]."""
    names = dict(columns(codes))
    for row in rows:
        row.columns = [(code, names[code], row.cells[code]) for code in codes]
    return rows


class BilingualView(WithdrawnAnswer, ReaderPage):
    """One version in both languages, side by side, section by section (410 once withdrawn)."""

    template_name = "legal/bilingual.html"

    def get_versions(self, slug, at):
        return VersionView.get_versions(self, slug, at)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version = next((v for v in context["versions"] if v.number == self.kwargs["number"]), None)
        if version is None:
            raise Http404
        if version.is_withdrawn:
            return self.gone_context(context, version)
        codes = bilingual_order(context["document"])
        texts = {code: getattr(version, f"body_html_{code}") if version.has_language(code) else "" for code in codes}
        context.update(version_text_context(version))
        context.update(
            rows=with_columns(bilingual.align(texts, codes), codes),
            columns=columns(codes),
            titles=[(code, getattr(version, f"title_{code}")) for code in codes if version.has_language(code)],
            missing=[name for code, name in columns(codes) if not version.has_language(code)],
            page="bilingual",
        )
        context["previous_number"], context["next_number"] = version.neighbour_numbers()
        return context


@require_safe
def point_in_time(request, slug, day):
    """Redirect to the version in effect at the end of `day` (YYYY-MM-DD) in the site's zone."""
    try:
        date = clock.parse_day(day)
    except ValueError:  # not a calendar date, or one at the edge of the calendar
        raise Http404
    _start, end = clock.day_span(date)
    versions = DocumentVersion.objects.filter(document__slug=slug)
    version = versions.in_effect(end).select_related("document").first()
    if version is None:
        document = Document.objects.filter(slug=slug).first()
        if document is None:
            raise Http404
        first = versions.published().order_by("number").first()
        context = {"document": document, "day": date, "first": first}
        return render(request, "legal/point_in_time_none.html", context, status=404)
    url = reverse("legal:version", kwargs={"slug": slug, "number": version.number})
    return HttpResponseRedirect(f"{url}?on={date.isoformat()}")


def _listed_version(slug, number, language, *, only=()):
    """The version numbered `number` of the document `slug` that was ever published, for a
    download in `language`; 404 when there is none or no such language."""
    if language not in language_codes():
        raise Http404
    versions = DocumentVersion.objects.listed().filter(document__slug=slug, number=number)
    version = (versions.only(*only) if only else versions).first()
    if version is None:
        raise Http404
    return version


@require_safe
def version_pdf(request, slug, number, language):
    """The PDF of record of one language of a version, once the worker has made it."""
    record = _listed_version(slug, number, language).record_pdfs.filter(language=language).first()
    if record is None:
        raise Http404
    response = HttpResponse(bytes(record.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{slug}-v{number}.{language}.pdf"'
    return response


@require_safe
def version_timestamp(request, slug, number, language):
    """The RFC 3161 time-stamp response (DER) of one language's Markdown of a version.

    `openssl ts -verify -data <lang>.md -in <lang>.md.tsr -CAfile <the TSA's CA>` checks it.
    """
    stamp = _listed_version(slug, number, language).timestamps.granted_text(language)
    if stamp is None:
        raise Http404
    response = HttpResponse(bytes(stamp.response), content_type="application/timestamp-reply")
    response["Content-Disposition"] = f'attachment; filename="{slug}-v{number}.{language}.md.tsr"'
    return response


@require_safe
def version_text(request, slug, number, language):
    """The exact Markdown of one language of a version, as stored and hashed.

    Withdrawn versions too: their text is part of the record.
    """
    text = getattr(_listed_version(slug, number, language, only=[f"body_{language}"]), f"body_{language}")
    if not text:
        raise Http404
    response = HttpResponse(text.encode("utf-8"), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{slug}-v{number}.{language}.md"'
    return digests.want_repr_digest(response)


@require_safe
def compare_form(request, slug):
    """The history page's "compare two versions" form: ?version_a=1&version_b=3 -> compare/1/3/."""
    # Field names carry "_", which no section anchor can, so they never collide with one.
    a, b = (paging.whole_number(request.GET.get(name, ""), max_digits=9) for name in ("version_a", "version_b"))
    if a is None or b is None:
        raise Http404
    return HttpResponseRedirect(reverse("legal:compare", kwargs={"slug": slug, "a": a, "b": b}))


@require_safe
def point_in_time_form(request, slug):
    """The history page's date field: ?on_date=YYYY-MM-DD -> on/YYYY-MM-DD/."""
    day = request.GET.get("on_date", "")
    if not clock.DATE_ONLY.fullmatch(day):
        raise Http404
    return HttpResponseRedirect(reverse("legal:on-date", kwargs={"slug": slug, "day": day}))


@require_safe
def changes_in(request, slug, number):
    """ "Compare with previous": redirect to the redline from the version before n."""
    version = DocumentVersion.objects.published().filter(document__slug=slug, number=number).first()
    previous = version.previous() if version else None
    if previous is None:
        raise Http404
    return HttpResponseRedirect(reverse("legal:compare", kwargs={"slug": slug, "a": previous.number, "b": number}))
