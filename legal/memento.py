"""Memento (RFC 7089): the canonical page is a TimeGate, version pages are Mementos, and a TimeMap lists them.

A document's canonical page in one language (`/<lang>/<slug>/`) is its Original Resource and
its own TimeGate: a request carrying `Accept-Datetime` is redirected (302) to the permanent
page of the version in effect at that instant. Every published version's page is a Memento
whose `Memento-Datetime` is the instant it took (or takes) effect. `/<lang>/<slug>/timemap/`
lists them in `application/link-format`. Which version applied when is asked of the
QuerySet (`in_effect()`, `timemap()`, `memento_neighbours()`) and nowhere else.
"""

import datetime

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date
from django.utils.translation import gettext as _
from django.views import View

from . import caching, paging
from .models import Document, DocumentVersion

LINK_FORMAT = "application/link-format"
# A TimeMap page lists this many Mementos; longer ones link to the next page (rel="next").
TIMEMAP_PAGE_SIZE = 1000
# An HTTP-date is 29 characters; anything much longer is not one.
MAX_ACCEPT_DATETIME_LENGTH = 64


class MalformedAcceptDatetime(ValueError):
    """An `Accept-Datetime` header that is not an HTTP-date."""


def accept_datetime(request):
    """The instant asked for by `Accept-Datetime`, or None without the header.

    RFC 7089 asks for an RFC 1123 date; the other HTTP-date forms (RFC 850, asctime) that
    HTTP/1.1 recipients must accept are read too. Raises MalformedAcceptDatetime otherwise.
    """
    raw = request.META.get("HTTP_ACCEPT_DATETIME")
    if raw is None:
        return None
    raw = raw.strip()
    if not raw or len(raw) > MAX_ACCEPT_DATETIME_LENGTH:
        raise MalformedAcceptDatetime(raw[:MAX_ACCEPT_DATETIME_LENGTH])
    try:
        seconds = parse_http_date(raw)
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise MalformedAcceptDatetime(raw) from exc


def _quote(value):
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def link_value(links):
    """A `Link` header value (RFC 8288) from [(url, [rel, ...], {attribute: value})].

    Links to the same URL are merged into one with all their relation types, as RFC 7089's
    examples write `rel="first last memento"`.
    """
    merged = {}
    for url, rels, attributes in links:
        entry = merged.setdefault(url, ([], {}))
        entry[0].extend(rel for rel in rels if rel not in entry[0])
        entry[1].update(attributes)
    parts = []
    for url, (rels, attributes) in merged.items():
        text = f"<{url}>; rel={_quote(' '.join(_order_rels(rels)))}"
        text += "".join(f"; {name}={_quote(value)}" for name, value in attributes.items())
        parts.append(text)
    return ", ".join(parts)


def _order_rels(rels):
    # "first prev memento": the qualifiers before the relation they qualify.
    return sorted(rels, key=lambda rel: rel == "memento")


def _absolute(request, path):
    return request.build_absolute_uri(path)


def original_url(request, slug):
    return _absolute(request, reverse("legal:document", kwargs={"slug": slug}))


def timemap_url(request, slug):
    return _absolute(request, reverse("legal:timemap", kwargs={"slug": slug}))


def _version_url(request, slug, number):
    return _absolute(request, reverse("legal:version", kwargs={"slug": slug, "number": number}))


def _timemap_link(request, slug):
    return (timemap_url(request, slug), ["timemap"], {"type": LINK_FORMAT})


def original_links(request, slug):
    """The links of the Original Resource, which is its own TimeGate."""
    return [(original_url(request, slug), ["original", "timegate"], {}), _timemap_link(request, slug)]


def add_original_headers(request, response, slug):
    """`Link` and `Vary: Accept-Datetime` on the canonical page (RFC 7089 §4.1.1, pattern 1.1: its own TimeGate)."""
    response["Link"] = link_value(original_links(request, slug))
    patch_vary_headers(response, ("Accept-Datetime",))
    return response


def add_memento_headers(request, response, version):
    """`Memento-Datetime` and the `Link` relations of the permanent page of a published version."""
    slug = version.document.slug
    links = original_links(request, slug)
    neighbours = version.memento_neighbours()
    for rel in ("first", "last", "prev", "next"):
        if neighbours[rel] is not None:
            number, effective_at = neighbours[rel]
            links.append((_version_url(request, slug, number), [rel, "memento"], _datetime_of(effective_at)))
    links.append((_version_url(request, slug, version.number), ["memento"], _datetime_of(version.effective_at)))
    response["Memento-Datetime"] = http_date(version.effective_at.timestamp())
    response["Link"] = link_value(links)
    return response


def _datetime_of(effective_at):
    return {"datetime": http_date(effective_at.timestamp())}


def timegate(request, slug):
    """The answer of the canonical page to a request carrying `Accept-Datetime`.

    302 to the version in effect at that instant; 404 (with the TimeMap's address) before the
    first version took effect; 400 for a header that is not an HTTP-date. Never stored by any
    cache: the answer depends on a header caches do not key on unless they honour Vary.
    """
    try:
        at = accept_datetime(request)
    except MalformedAcceptDatetime:
        response = HttpResponse(
            _("Accept-Datetime must be an HTTP date, such as: Tue, 01 Dec 2026 00:00:00 GMT") + "\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    else:
        version = DocumentVersion.objects.filter(document__slug=slug).in_effect(at).first()
        if version is not None:
            response = HttpResponseRedirect(_version_url(request, slug, version.number))
        elif Document.objects.filter(slug=slug).exists():
            response = HttpResponse(
                _("No version of this document was in effect at that instant; the TimeMap lists every version.") + "\n",
                status=404,
                content_type="text/plain; charset=utf-8",
            )
        else:
            raise Http404
    add_original_headers(request, response, slug)
    response["Cache-Control"] = "no-store"
    return response


class TimeMapView(caching.PageCacheMixin, View):
    """Every published version of a document as RFC 7089 link-format, a page of TIMEMAP_PAGE_SIZE at a time.

    Warm TimeMaps are answered by the page cache; a publish or withdrawal retires them.
    """

    http_method_names = ["get", "head"]

    def page_validity(self, response):
        # A TimeMap lists published versions only: it changes with a publish or withdrawal
        # (which retire the page cache), never at a switch.
        return (None, None) if response.status_code == 200 else None

    def get(self, request, slug):
        page = paging.page_number(request.GET.get("page", "1"))
        if page is None:
            raise Http404
        rows = list(
            DocumentVersion.objects.filter(document__slug=slug)
            .timemap()
            .only("number", "effective_at")[paging.window(page, TIMEMAP_PAGE_SIZE)]
        )
        if not rows:
            raise Http404
        has_next = len(rows) > TIMEMAP_PAGE_SIZE
        rows = rows[:TIMEMAP_PAGE_SIZE]
        self_url = request.build_absolute_uri(paging.page_url(request.path, page))
        links = [
            (original_url(request, slug), ["original", "timegate"], {}),
            (
                self_url,
                ["self"],
                {
                    "type": LINK_FORMAT,
                    "from": http_date(rows[0].effective_at.timestamp()),
                    "until": http_date(rows[-1].effective_at.timestamp()),
                },
            ),
        ]
        if page > 1:
            links.append((paging.page_url(timemap_url(request, slug), page - 1), ["prev"], {"type": LINK_FORMAT}))
        if has_next:
            links.append((paging.page_url(timemap_url(request, slug), page + 1), ["next"], {"type": LINK_FORMAT}))
        lines = [link_value([link]) for link in links]
        for index, version in enumerate(rows):
            rels = ["memento"]
            if page == 1 and index == 0:
                rels.insert(0, "first")
            if not has_next and index == len(rows) - 1:
                rels.insert(0, "last")
            lines.append(
                link_value([(_version_url(request, slug, version.number), rels, _datetime_of(version.effective_at))])
            )
        return HttpResponse(",\n".join(lines) + "\n", content_type=LINK_FORMAT)
