"""Whole-page caching and HTTP cache headers for the public pages.

A rendered page is stored with the instant it stops being true: the next scheduled
effective time of its document (a page may show "in effect", "scheduled" or an upcoming
notice, all of which change then). A hit therefore never outlives a switch, in this cache
or, through `max-age`, in a CDN. A publish or withdraw bumps a generation number kept in
the same cache, which retires every stored page at once on every server sharing the cache
(Redis); a per-process cache keeps pages for at most `PAGE_CACHE_LOCAL_SECONDS`, so other
processes see the change within that time too.

Each process also keeps the pages it last read from the cache, unpickled (`LocalPages`), so
a warm answer does not fetch and unpickle the whole body (253 KB for the largest Terms) every
time. A copy is only served while the generation read from the cache for that very request
is the one it was stored under, before the page's own expiry, and for at most
`PAGE_CACHE_LOCAL_SECONDS` after it was read: a publish retires it as it retires the shared
entry, a cache that cannot be read is a miss, and it never outlives what it copies.

Which version is in effect never depends on that invalidation. A version takes effect no
sooner than `PUBLISH_LEAD_SECONDS` after it is published (legal/publishing.py), and every
lifetime here, in this cache and through `max-age` in a CDN, is counted from the moment the
page's data was read and cut to that lead (`within_lead`). A page read before a publish
therefore expires everywhere before the new version takes effect, even when the publish
could not reach the cache (Redis down, hung, or back with its old entries).

The one entry point for views is `PageCacheMixin`: a view says when its answer's data last
changed and when it next changes, and the mixin stores the answer and sets its headers.
Conditional requests (304) are answered by `ConditionalGetMiddleware` alone, for fresh and
cached answers alike. Every lifetime is a setting (README, "Cache lifetimes").
"""

import hashlib
import itertools
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.http import ConditionalGetMiddleware as DjangoConditionalGetMiddleware
from django.utils.http import http_date

from . import clock

logger = logging.getLogger(__name__)

GENERATION_KEY = "legal:generation"
# The only query parameters that change a cached answer; any other is ignored, so random
# query strings cannot fill the cache.
KEY_PARAMETERS = ("on", "at", "page")
# Headers a cached answer keeps besides its body, type, validators and Cache-Control. The
# security and language headers are not stored: the middleware that sets them sits in front of
# PageCacheMiddleware, so cached and fresh answers get them from the same code.
# Memento's headers (legal/memento.py) belong to the page, so they are kept with it.
# Caches in front keep time in whole seconds: nginx counts an answer fresh to the end of the
# second in which its max-age runs out (tests/test_front.py), and an answer takes time to reach
# a cache. So every max-age ends this many seconds before the instant it must not outlive (the
# next switch, or the publish lead): one for the rounding, one for the way.
CACHE_CLOCK_MARGIN = 2
KEPT_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Link", "Memento-Datetime", "Vary")


def _shared_cache():
    return "locmem" not in settings.CACHES["default"]["BACKEND"].lower()


def within_lead(seconds):
    """`seconds` cut to PUBLISH_LEAD_SECONDS: the one bound of every cache lifetime and max-age."""
    return max(0, min(int(seconds), settings.PUBLISH_LEAD_SECONDS))


def page_lifetime():
    """How long a stored page may be served before it is rendered again (seconds)."""
    if _shared_cache():
        return within_lead(settings.PAGE_CACHE_SECONDS)
    return within_lead(min(settings.PAGE_CACHE_SECONDS, settings.PAGE_CACHE_LOCAL_SECONDS))


def bump_generation(**kwargs):
    """Retire every cached page (connected to `versions_changed`).

    It runs after the publish or withdraw committed, so it never raises: the change is made
    whatever the cache does, and pages this could not retire expire within the lead anyway.
    """
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            # Missing (first publish, evicted, or the cache is unavailable): start from the
            # clock so a restarted counter can never meet an old value again.
            cache.set(GENERATION_KEY, time.time_ns(), timeout=None)
    except Exception:
        logger.exception(
            "Could not retire the cached pages; they expire within PUBLISH_LEAD_SECONDS (%ss).",
            settings.PUBLISH_LEAD_SECONDS,
        )


_fallbacks = itertools.count()


def current_generation(read=None):
    """The generation now: `read` (read from the cache already), or the cache's, or a new one.

    A missing generation (first use, evicted, or the cache unavailable) starts from the clock,
    so it can never meet a value stored before; while the cache is unavailable every call
    gives a new one, so nothing stored under a generation is ever taken as current.
    """
    generation = cache.get(GENERATION_KEY) if read is None else read
    if generation is None:
        generation = time.time_ns() + next(_fallbacks)  # never the same twice, even on a frozen clock
        cache.add(GENERATION_KEY, generation, timeout=None)
        generation = cache.get(GENERATION_KEY, generation)
    return generation


@dataclass
class CachedPage:
    generation: int
    body: bytes
    content_type: str
    expires: float  # epoch seconds: the next switch, or the end of the page's lifetime
    next_change: float | None  # epoch seconds of the document's next scheduled switch
    max_age: int  # the ceiling of Cache-Control max-age for this answer
    headers: dict
    read_at: float = 0.0  # epoch seconds at which the page's data was read (0: unknown, max-age 0)


class LocalPages:
    """This process's copies of pages read from the cache: at most `max_bytes` of bodies, least recent out first."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.size = 0
        self.pages = OrderedDict()  # key -> (CachedPage, instant after which the copy is not served)
        self.lock = threading.Lock()  # gthread workers share it

    def get(self, key, generation, now):
        with self.lock:
            found = self.pages.get(key)
            if found is None:
                return None
            page, until = found
            if page.generation != generation or now >= until:
                self._drop(key)
                return None
            self.pages.move_to_end(key)
            return page

    def put(self, key, page, now):
        if len(page.body) > self.max_bytes:
            return
        with self.lock:
            self._drop(key)
            self.pages[key] = (page, min(page.expires, now + settings.PAGE_CACHE_LOCAL_SECONDS))
            self.size += len(page.body)
            while self.size > self.max_bytes:
                self._drop(next(iter(self.pages)))

    def clear(self):
        with self.lock:
            self.pages.clear()
            self.size = 0

    def __contains__(self, key):
        return key in self.pages

    def _drop(self, key):
        found = self.pages.pop(key, None)
        if found is not None:
            self.size -= len(found[0].body)


local_pages = LocalPages(settings.PAGE_CACHE_LOCAL_BYTES)


def page_key(request):
    query = ""
    if request.META.get("QUERY_STRING"):
        query = "&".join(f"{name}={request.GET.get(name, '')[:64]}" for name in KEY_PARAMETERS)
    # The raw Host header, not get_host(): pages are only ever stored by views, which validate
    # the host (ALLOWED_HOSTS) when they build absolute URLs, so a forged host finds nothing.
    host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
    raw = f"{request.scheme}://{host}{request.path}?{query}"
    return "legal:page:" + hashlib.sha256(raw.encode()).hexdigest()


def get_page(request):
    """(response or None, generation): a stored page still valid now, if there is one.

    Read the generation before the page is rendered: a publish that commits meanwhile
    bumps it, so the page rendered from older data is stored under a retired generation.
    """
    key = page_key(request)
    now = clock.now().timestamp()
    # With a copy at hand only the generation is read; otherwise both in one round-trip.
    with_copy = key in local_pages
    found = {GENERATION_KEY: cache.get(GENERATION_KEY)} if with_copy else cache.get_many([GENERATION_KEY, key])
    read = found.get(GENERATION_KEY)
    # A copy is only served against a generation the cache answered with: one that could not be
    # read (cache unavailable) or had to be started here is a miss.
    page = None if read is None else local_pages.get(key, read, now)
    generation = current_generation(read)
    if page is None:
        page = cache.get(key) if with_copy else found.get(key)
        if page is None or page.generation != generation or now >= page.expires:
            request.page_cache_read_at = now
            return None, generation
        local_pages.put(key, page, now)
    # The hot path of the site: headers were prepared when the page was stored.
    response = HttpResponse(page.body, content_type=page.content_type, headers=page.headers)
    response["Cache-Control"] = f"public, max-age={max_age_until(page.next_change, page.max_age, page.read_at)}"
    return response, generation


def store_page(request, response, *, generation, last_modified, next_change, max_age=None):
    """Store a rendered 200 page until `next_change` (or its lifetime) and set its headers."""
    max_age = settings.HTTP_MAX_AGE if max_age is None else max_age
    now = clock.now().timestamp()
    # The data was read after get_page() ran: count every lifetime from then, not from now.
    read_at = min(getattr(request, "page_cache_read_at", now), now)
    expires = read_at + page_lifetime()
    if next_change is not None:
        expires = min(expires, next_change.timestamp())
    etag = response.get("ETag") or f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    last_modified = last_modified.timestamp() if last_modified else now
    next_change = next_change.timestamp() if next_change else None
    finish(response, etag=etag, last_modified=last_modified, next_change=next_change, max_age=max_age, read_at=read_at)
    if response.status_code == 200 and expires > now:
        page = CachedPage(
            generation=generation,
            body=response.content,
            content_type=response["Content-Type"],
            expires=expires,
            next_change=next_change,
            max_age=max_age,
            read_at=read_at,
            headers={
                **{name: response[name] for name in KEPT_HEADERS if name in response},
                "ETag": etag,
                "Last-Modified": response["Last-Modified"],
            },
        )
        cache.set(page_key(request), page, timeout=max(1, int(expires - now) + 1))
    return response


def max_age_until(next_change, ceiling=None, read_at=None):
    """`max-age` for a public response whose data was read at `read_at` (epoch seconds, default now).

    Never longer than `ceiling` (default HTTP_MAX_AGE), and ending `CACHE_CLOCK_MARGIN`
    seconds before the earlier of `next_change` (epoch seconds or None) and `read_at` +
    PUBLISH_LEAD_SECONDS.
    """
    now = clock.now().timestamp()
    ceiling = settings.HTTP_MAX_AGE if ceiling is None else ceiling
    read_at = now if read_at is None else read_at
    deadline = read_at + settings.PUBLISH_LEAD_SECONDS
    if next_change is not None:
        deadline = min(deadline, next_change)
    return max(0, min(int(ceiling), math.floor(deadline - now) - CACHE_CLOCK_MARGIN))


def finish(response, *, etag, last_modified, next_change, max_age, read_at=None):
    """ETag, Last-Modified and a public Cache-Control whose max-age stops at the next switch."""
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = f"public, max-age={max_age_until(next_change, max_age, read_at)}"
    return response


class PageCacheMixin:
    """For a view whose answers are cached whole: the one way views and the API use the page cache.

    `PageCacheMiddleware` answers warm requests before the view runs; a cold one reaches
    the view, and this stores its answer under the generation the middleware read before
    the view read its data, with ETag, Last-Modified and a Cache-Control whose max-age
    stops at the next switch. The view tells, for each answer, when its data last changed
    and when the document next switches (`page_validity`); `page_max_age` is the ceiling
    of its max-age (default HTTP_MAX_AGE).
    """

    page_max_age = None

    def page_validity(self, response):
        """(last_modified, next_change) of `response`, or None to leave it uncached, with its own headers."""
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        validity = self.page_validity(response)
        if validity is None:
            return response
        if hasattr(response, "render"):  # a TemplateResponse: its body is what is stored
            response.render()
        last_modified, next_change = validity
        return store_page(
            request,
            response,
            generation=request.page_cache_generation,
            last_modified=last_modified,
            next_change=next_change,
            max_age=self.page_max_age,
        )


class PageCacheMiddleware:
    """Answer GET/HEAD for a cached public page before sessions, i18n and URL routing.

    It sits right after WhiteNoise, so a warm document page costs about what a static
    file does. Views store pages through `PageCacheMixin`; this only serves them, and
    reads the generation a cold page will be stored under.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(f"/{code}/" for code, _name in settings.LANGUAGES) + ("/api/",)
        # The products' acceptance API answers per account and is never stored (no-store):
        # looking it up would only cost its busiest calls a round-trip to the cache.
        self.never_stored = ("/api/acceptances/",)
        languages = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
        self.timegates = re.compile(rf"/(?:{languages})/[^/]+/")

    def is_timegate_request(self, request):
        """A Memento TimeGate request: `Accept-Datetime` on a canonical page `/<lang>/<slug>/`.

        Only those skip the cache (the view answers them, cheaply); elsewhere the header
        changes nothing, so it cannot be used to make every page render afresh.
        """
        return "HTTP_ACCEPT_DATETIME" in request.META and self.timegates.fullmatch(request.path) is not None

    def __call__(self, request):
        if (
            request.method in ("GET", "HEAD")
            and request.path.startswith(self.prefixes)
            and not request.path.startswith(self.never_stored)
            and not self.is_timegate_request(request)
        ):
            response, generation = get_page(request)
            if response is not None:
                return response
            request.page_cache_generation = generation
        return self.get_response(request)


class ConditionalGetMiddleware(DjangoConditionalGetMiddleware):
    """Django's conditional GET (304 Not Modified), for fresh and cached answers alike.

    Django's 304 keeps the validators and caching headers of the answer it replaces; this
    one keeps its CORS headers too, so a browser's cross-origin revalidation of the API
    succeeds.
    """

    def process_response(self, request, response):
        conditional = super().process_response(request, response)
        if conditional is not response:
            for name, value in response.items():
                if name.startswith("Access-Control-"):
                    conditional[name] = value
        return conditional
