"""JSON API for machines: which version of a document is current, scheduled, or was in effect at T.

`GET /api/documents/<slug>/` and `GET /api/documents/<slug>/?at=<ISO 8601>`. Every answer,
errors and 304s included, carries an ETag (a hash of the body), Cache-Control and CORS
headers. The API is for developers and is not localised: its error messages are English.
URLs in it are absolute on settings.SITE_URL, so the body does not depend on the host asked.
"""

import hashlib
import json

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.decorators import method_decorator
from django.utils.timezone import is_naive, localtime, make_aware
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import clock
from .models import Document, DocumentVersion, language_codes

# A client may reuse an answer this long, or less when a scheduled version takes effect sooner.
MAX_AGE = 60
ALLOWED_METHODS = "GET, HEAD, OPTIONS"


class InvalidInstant(ValueError):
    pass


def parse_instant(value):
    """An aware datetime from ISO 8601 text; naive values are site time (Asia/Ho_Chi_Minh)."""
    try:
        parsed = parse_datetime(value.strip()) if len(value) <= 64 else None
    except ValueError:  # well-formed but impossible, such as month 13
        parsed = None
    if parsed is None:
        raise InvalidInstant(value)
    return make_aware(parsed) if is_naive(parsed) else parsed


def _iso(moment):
    return localtime(moment).isoformat() if moment else None


def _absolute(language, name, **kwargs):
    with translation.override(language):
        return settings.SITE_URL + reverse(name, kwargs=kwargs)


def version_json(version):
    slug = version.document.slug
    return {
        "number": version.number,
        "effective_at": _iso(version.effective_at),
        "published_at": _iso(version.published_at),
        "change_kind": version.change_kind,
        "languages": {
            code: {
                "title": getattr(version, f"title_{code}"),
                "summary": getattr(version, f"summary_{code}"),
                "url": _absolute(code, "legal:version", slug=slug, number=version.number),
                "sha256": getattr(version, f"body_sha256_{code}"),
            }
            for code in language_codes()
        },
    }


def document_json(document):
    return {
        "slug": document.slug,
        "authoritative_language": document.authoritative_language,
        "title": {code: getattr(document, f"title_{code}") for code in language_codes()},
        "url": {code: _absolute(code, "legal:document", slug=document.slug) for code in language_codes()},
        "feed": {code: _absolute(code, "legal:feed", slug=document.slug) for code in language_codes()},
    }


def _cors(response):
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag"
    return response


def json_response(request, data, *, status=200, max_age=MAX_AGE):
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    response = HttpResponse(body, status=status, content_type="application/json")
    response["ETag"] = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
    patch_cache_control(response, public=True, max_age=max(0, int(max_age)))
    response = get_conditional_response(request, etag=response["ETag"], response=response)
    return _cors(response)


def error_response(request, status, code, message):
    return json_response(request, {"error": {"code": code, "message": message}}, status=status)


@method_decorator(csrf_exempt, name="dispatch")  # read-only: other methods get a JSON 405, not a CSRF page
class DocumentAPIView(View):
    http_method_names = ["get", "head", "options"]

    def get(self, request, slug):
        now = clock.now()
        document = Document.objects.filter(slug=slug).first()
        versions = DocumentVersion.objects.filter(document=document).select_related("document")
        published = list(versions.published().order_by("-number")) if document is not None else []
        if not published:
            return error_response(request, 404, "not_found", f"No published document has the slug {slug!r}.")
        scheduled = versions.scheduled(now).first()
        max_age = MAX_AGE if scheduled is None else min(MAX_AGE, (scheduled.effective_at - now).total_seconds())
        if "at" in request.GET:
            try:
                at = parse_instant(request.GET["at"])
            except InvalidInstant:
                message = (
                    "'at' must be an ISO 8601 date and time, such as 2026-11-24T00:00:00+07:00 "
                    "(write '+' as %2B in a query string); without an offset it is read as Asia/Ho_Chi_Minh time."
                )
                return error_response(request, 400, "invalid_at", message)
            version = versions.in_effect(at).first()
            data = {"document": document_json(document), "at": _iso(at), "version": version and version_json(version)}
        else:
            current = versions.in_effect(now).first()
            data = {
                "document": document_json(document),
                "current": current and version_json(current),
                "scheduled": scheduled and version_json(scheduled),
                "versions": [version_json(version) for version in published],
            }
        return json_response(request, data, max_age=max_age)

    def options(self, request, *args, **kwargs):
        response = HttpResponse(status=204)
        response["Allow"] = ALLOWED_METHODS
        response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response["Access-Control-Allow-Headers"] = "Accept, If-None-Match, If-Modified-Since, Cache-Control"
        response["Access-Control-Max-Age"] = "86400"
        patch_cache_control(response, public=True, max_age=86400)
        return _cors(response)

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = error_response(request, 405, "method_not_allowed", f"Use one of {ALLOWED_METHODS}.")
        response["Allow"] = ALLOWED_METHODS
        return response
