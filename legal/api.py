"""JSON API for machines: which version of a document is current, scheduled, or was in effect at T.

`GET /api/documents/<slug>/` and `GET /api/documents/<slug>/?at=<ISO 8601>`. Every answer,
errors and 304s included, carries an ETag (a hash of the body), Cache-Control and CORS
headers. The API is for developers and is not localised: its error messages are English.
URLs in it are absolute on settings.SITE_URL, so the body does not depend on the host asked.
"""

import hashlib
import json

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.http import HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.timezone import localtime
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import caching, clock, paging
from .links import absolute_url, site_url
from .models import DocumentVersion, in_effect_among, language_codes, scheduled_among
from .translation_sync import section_texts

# Published versions listed per answer, newest first; `?page=N` gives older ones.
PAGE_SIZE = 50
ALLOWED_METHODS = "GET, HEAD, OPTIONS"


InvalidInstant = clock.InvalidInstant


def parse_instant(value):
    """An aware datetime from ISO 8601 text; naive values are site time (Asia/Ho_Chi_Minh).

    Returns (instant, day): a date alone means the whole day in the site's time zone, as
    on the pages' `/on/<date>/`, so the instant is its last microsecond and `day` is set.
    Raises InvalidInstant for anything else, the calendar's edges included.
    """
    value = value.strip()
    if not clock.DATE_ONLY.fullmatch(value):
        return clock.parse_instant(value), None
    try:
        day = clock.parse_day(value)
    except ValueError:  # an impossible date, or a day at the edge of the calendar
        raise InvalidInstant(value)
    return clock.day_span(day)[1], day


def _iso(moment):
    return localtime(moment).isoformat() if moment else None


def version_json(version, history_urls, api_url=None):
    """One version; `history_urls` maps each language to the document's history URL.

    With `api_url` (the document's API address), `sections` is the address of the version's
    section-by-section translation record.

    `version` carries the `state`, `previous_number` and `next_number` annotations of
    `with_public_state()` and `with_neighbours()`.
    """
    previous, following = version.neighbour_numbers()
    data = {
        "number": version.number,
        "status": version.public_state().value,
        "effective_at": _iso(version.effective_at),
        "published_at": _iso(version.published_at),
        "change_kind": version.change_kind,
        "previous": previous,
        "next": following,
        "languages": {
            code: {
                "title": getattr(version, f"title_{code}"),
                "summary": getattr(version, f"summary_{code}"),
                # legal:version is legal:history + "<n>/"; reversing it 2,000 times costs more
                # than the rest of a long answer.
                "url": f"{history_urls[code]}{version.number}/",
                "sha256": getattr(version, f"body_sha256_{code}"),
            }
            for code in language_codes()
        },
    }
    if api_url is not None:
        data["sections"] = f"{api_url}versions/{version.number}/sections/"
    if version.is_withdrawn:
        data.update(withdrawn_at=_iso(version.withdrawn_at), reason=version.withdrawal_reason)
    return data


def history_urls(document):
    return {code: absolute_url(code, "legal:history", slug=document.slug) for code in language_codes()}


def document_json(document):
    return {
        "slug": document.slug,
        "authoritative_language": document.authoritative_language,
        "title": {code: getattr(document, f"title_{code}") for code in language_codes()},
        "url": {code: absolute_url(code, "legal:document", slug=document.slug) for code in language_codes()},
        "feed": {code: absolute_url(code, "legal:feed", slug=document.slug) for code in language_codes()},
    }


def _cors(response):
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag"
    return response


def json_response(data, *, status=200, max_age=None):
    """JSON with an ETag (a hash of the body), a public Cache-Control and CORS headers.

    `max_age` is the ceiling of its max-age (default API_MAX_AGE), cut to the publish lead.

    `ConditionalGetMiddleware` answers a matching If-None-Match with 304.
    """
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    response = HttpResponse(body, status=status, content_type="application/json")
    response["ETag"] = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
    patch_cache_control(
        response, public=True, max_age=caching.max_age_until(None, settings.API_MAX_AGE if max_age is None else max_age)
    )
    return _cors(response)


def error_response(status, code, message):
    return json_response({"error": {"code": code, "message": message}}, status=status)


INVALID_AT = (
    "'at' must be an ISO 8601 date and time, such as 2026-11-24T00:00:00+07:00 "
    "(write '+' as %2B in a query string); without an offset it is read as Asia/Ho_Chi_Minh time. "
    "A date alone, such as 2026-11-24, means that whole day in Asia/Ho_Chi_Minh."
)


@method_decorator(csrf_exempt, name="dispatch")  # read-only: other methods get a JSON 405, not a CSRF page
class DocumentAPIView(caching.PageCacheMixin, View):
    """Warm answers come from the page cache (legal/caching.py); a cold one costs one query."""

    http_method_names = ["get", "head", "options"]

    @property
    def page_max_age(self):
        return settings.API_MAX_AGE

    def page_validity(self, response):
        # Only a 200 with data is stored; errors and preflights keep their own headers.
        return self.answer_validity if response.status_code == 200 else None

    def get(self, request, slug):
        # A cold answer costs one query (two for a day), which reads only the rows the answer
        # shows, however long the history.
        now = clock.now()
        of_document = DocumentVersion.objects.filter(document__slug=slug)
        wanted = Q(pk__in=of_document.in_effect(now)) | Q(pk__in=of_document.scheduled(now)[:1])
        at = day = problem = page = None
        on_page = Value(False)
        if "at" in request.GET:
            try:
                at, day = parse_instant(request.GET["at"])
            except InvalidInstant:
                problem = (400, "invalid_at", INVALID_AT)
            else:
                wanted |= Q(pk__in=of_document.in_effect(at))
                if day is not None:
                    wanted |= Q(pk__in=of_document.applying_during(*clock.day_span(day)))
        else:
            page = paging.page_number(request.GET.get("page", "1"))
            if page is not None:
                shown = of_document.listed().order_by("-number").values("pk")[paging.window(page, PAGE_SIZE)]
                wanted |= Q(pk__in=shown)
                on_page = ExpressionWrapper(Q(pk__in=shown), output_field=BooleanField())
            else:
                problem = (400, "invalid_page", "'page' must be a whole number from 1.")
        rows = list(
            of_document.filter(wanted)
            .with_public_state(now)
            .with_neighbours()
            .with_latest_change(of_document)
            .annotate(on_page=on_page)
            .select_related("document")
            .without_texts()
            .order_by("-number")
        )
        published = [version for version in rows if version.is_published]
        current = in_effect_among(published, now)
        upcoming = scheduled_among(published, now)
        scheduled = upcoming[0] if upcoming else None
        if current is None and scheduled is None:
            return error_response(404, "not_found", f"No published document has the slug {slug!r}.")
        if problem is not None:
            return error_response(*problem)
        document = rows[0].document
        urls = history_urls(document)
        api_url = site_url(reverse("api-document", kwargs={"slug": document.slug}))
        if at is not None:
            version = in_effect_among(published, at)
            data = {
                "document": document_json(document),
                "at": _iso(at),
                "version": version and version_json(version, urls, api_url),
            }
            if day is not None:
                by_pk = {v.pk: v for v in published}
                data["date"] = day.isoformat()
                data["during"] = [
                    {
                        "number": stretch.version.number,
                        "from": _iso(stretch.start),
                        "until": _iso(stretch.end),
                        "version": version_json(by_pk[stretch.version.pk], urls, api_url),
                    }
                    for stretch in DocumentVersion.objects.filter(document=document).day_stretches(day)
                ]
        else:
            # The version in effect and the scheduled one may be on another page.
            shown = [version for version in rows if version.on_page]
            if not shown:
                return error_response(404, "no_such_page", f"There is no page {page} of versions.")
            data = {
                "document": document_json(document),
                "current": current and version_json(current, urls, api_url),
                "scheduled": scheduled and version_json(scheduled, urls, api_url),
                "versions": [version_json(version, urls, api_url) for version in shown[:PAGE_SIZE]],
                "versions_page": page,
                "versions_next_page": site_url(paging.page_url(request.path, page + 1))
                if len(shown) > PAGE_SIZE
                else None,
            }
        self.answer_validity = (rows[0].latest_change(), scheduled.effective_at if scheduled else None)
        return json_response(data)

    def options(self, request, *args, **kwargs):
        response = HttpResponse(status=204)
        response["Allow"] = ALLOWED_METHODS
        response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response["Access-Control-Allow-Headers"] = "Accept, If-None-Match, If-Modified-Since, Cache-Control"
        response["Access-Control-Max-Age"] = str(settings.API_PREFLIGHT_MAX_AGE)
        patch_cache_control(response, public=True, max_age=settings.API_PREFLIGHT_MAX_AGE)
        return _cors(response)

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = error_response(405, "method_not_allowed", f"Use one of {ALLOWED_METHODS}.")
        response["Allow"] = ALLOWED_METHODS
        return response


@method_decorator(csrf_exempt, name="dispatch")
class VersionSectionsAPIView(View):
    """`GET /api/documents/<slug>/versions/<n>/sections/`: one version's text, section by section.

    For each language and section: the anchor, the heading and the SHA-256 of the section's
    text (legal.section_ledger.SectionText); for each translated section also the SHA-256
    of the authoritative section it was last confirmed against, when and how. A published
    version never changes, so neither does this answer.
    """

    http_method_names = ["get", "head", "options"]

    def get(self, request, slug, number):
        version = (
            DocumentVersion.objects.listed()
            .filter(document__slug=slug, number=number)
            .select_related("document")
            .prefetch_related("section_confirmations")
            .first()
        )
        if version is None:
            return error_response(404, "not_found", f"{slug!r} has no published version {number}.")
        authoritative = version.document.authoritative_language
        rows = {(row.language, row.anchor): row for row in version.section_confirmations.all()}
        languages = {}
        for code in language_codes():
            sections = []
            for section in section_texts(version, code):
                item = {"anchor": section.anchor, "title": section.title, "sha256": section.sha256}
                if code != authoritative:
                    row = rows.get((code, section.anchor))
                    item["confirmed_against"] = row.authoritative_sha256 if row else None
                    item["confirmed_at"] = _iso(row.confirmed_at) if row else None
                    item["confirmed_how"] = row.method if row else None
                sections.append(item)
            languages[code] = {"sha256": getattr(version, f"body_sha256_{code}"), "sections": sections}
        data = {
            "document": version.document.slug,
            "version": version.number,
            "authoritative_language": authoritative,
            "languages": languages,
        }
        return json_response(data)

    options = DocumentAPIView.options
    http_method_not_allowed = DocumentAPIView.http_method_not_allowed
