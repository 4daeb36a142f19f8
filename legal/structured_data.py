"""schema.org JSON-LD for a version's page, so search engines and archives read it without scraping.

The block is a data block (`<script type="application/ld+json">`): browsers never execute
it, so the strict Content-Security-Policy (`script-src 'self'`, no `unsafe-inline`) still
holds. Every "<", ">" and "&" in it is escaped as a JSON `\\u` escape, so no text of a
version can close the element. References to other pages are `{"@id": ...}` objects,
which are IRIs under any context.
"""

import json

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

# As django.utils.html.json_script escapes: no "</script>" or "<!--" can appear.
_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}

PUBLISHER = {
    "@type": "Organization",
    "name": "Thủ Đô Multimedia",
    "legalName": "Công ty cổ phần Truyền thông đa phương tiện Thủ Đô",
    "url": "https://sigma.video",
}


def _iso(moment):
    """ISO 8601 in the site's time zone (Asia/Ho_Chi_Minh), as the API writes times."""
    return localtime(moment).isoformat()


def _url(request, name, in_language, **kwargs):
    with translation.override(in_language):
        return request.build_absolute_uri(reverse(name, kwargs=kwargs))


def version_graph(request, version, shown_language):
    """The schema.org description of `version` as shown in `shown_language` (a dict).

    `isBasedOn` and `expires` come from `memento_neighbours()`, loaded with the page's query.
    """
    document = version.document
    slug = document.slug
    authoritative = document.authoritative_language
    neighbours = version.memento_neighbours()
    url = _url(request, "legal:version", translation.get_language(), slug=slug, number=version.number)
    superseded = neighbours["next"][1] if neighbours["next"] else None
    graph = {
        "@context": "https://schema.org",
        "@type": "DigitalDocument",
        "@id": url,
        "url": {"@id": url},
        "name": getattr(version, f"title_{shown_language}"),
        "version": str(version.number),
        "datePublished": _iso(version.published_at),
        # A published version never changes: it was last modified when it was published.
        "dateModified": _iso(version.published_at),
        # The period the version applies: from its effective instant until the next one's ("..": open).
        "temporalCoverage": f"{_iso(version.effective_at)}/{_iso(superseded) if superseded else '..'}",
        "inLanguage": shown_language,
        "publisher": PUBLISHER,
        "isPartOf": {"@id": _url(request, "legal:document", translation.get_language(), slug=slug)},
        "encoding": {
            "@type": "MediaObject",
            "contentUrl": {
                "@id": _url(
                    request,
                    "legal:version-text",
                    shown_language,
                    slug=slug,
                    number=version.number,
                    language=shown_language,
                )
            },
            "encodingFormat": "text/markdown",
            "sha256": getattr(version, f"body_sha256_{shown_language}"),
        },
    }
    if superseded:
        graph["expires"] = _iso(superseded)
    if neighbours["prev"]:
        previous = neighbours["prev"][0]
        graph["isBasedOn"] = {
            "@id": _url(request, "legal:version", translation.get_language(), slug=slug, number=previous)
        }
    if shown_language == authoritative:
        translations = [
            code for code, _name in settings.LANGUAGES if code != authoritative and version.has_language(code)
        ]
        if translations:
            graph["workTranslation"] = [
                {"@id": _url(request, "legal:version", code, slug=slug, number=version.number)} for code in translations
            ]
    else:
        graph["translationOfWork"] = {
            "@id": _url(request, "legal:version", authoritative, slug=slug, number=version.number)
        }
    return graph


def version_json_ld(request, version, shown_language):
    """The JSON-LD text of `version_graph()`, safe to print inside a data block."""
    text = json.dumps(version_graph(request, version, shown_language), ensure_ascii=False, sort_keys=True)
    return mark_safe(text.translate(_ESCAPES))
