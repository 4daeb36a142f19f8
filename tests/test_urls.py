"""Every route (legal/urls.py, sigma_terms/urls.py) against bad input and every link: nothing the site
links to, and no malformed request, is a 5xx. Cross-cutting: the views behind the routes answer."""

import re
from urllib.parse import urljoin, urlsplit

import pytest

from django.test import Client

from legal.publishing import withdraw_version
from tests.conftest import make_version, site_time

pytestmark = pytest.mark.django_db

LINK = re.compile(r"""(?:href|src|action)="([^"]+)"|<loc>([^<]+)</loc>|<link[^>]+href="([^"]+)\"""")


@pytest.fixture
def crowded_history(terms):
    """Versions 1-2 in effect in turn, 3 scheduled, 4 withdrawn, and a draft: every state a link can lead to."""
    make_version(
        terms.document,
        effective_at=site_time(2026, 11, 24, 12, 5),
        body_vi=terms.body_vi.replace("sẽ tạo", "phải tạo"),
        body_en=terms.body_en.replace("shall create", "must create"),
    )
    make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    withdraw_version(
        make_version(terms.document, effective_at=site_time(2026, 12, 5, 0, 0)), reason="Published by mistake."
    )
    make_version(terms.document, effective_at=site_time(2026, 12, 9, 0, 0), publish=False)
    return terms


def test_crawl_from_the_root_in_both_languages_finds_no_5xx(crowded_history):
    client = Client(raise_request_exception=True)
    seen, queue, statuses = set(), [], {}
    for language in ("vi", "en"):
        queue.append((f"/?lang={language}", {"HTTP_ACCEPT_LANGUAGE": language}))
    queue.append(("/sitemap.xml", {}))
    queue.append(("/robots.txt", {}))
    queue.append(("/api/documents/terms-of-service/", {}))
    while queue and len(seen) < 600:
        url, headers = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow=False, **headers)
        statuses[url] = response.status_code
        assert response.status_code < 500, url
        if response.status_code in (301, 302) and "Location" in response:
            queue.append((urljoin(url, response["Location"]), {}))
            continue
        if response.streaming or not response.get("Content-Type", "").startswith(
            ("text/html", "application/xml", "application/atom+xml", "application/json")
        ):
            continue
        body = response.content.decode("utf-8", "replace")
        for match in LINK.finditer(body):
            target = urljoin(url, next(group for group in match.groups() if group))
            parts = urlsplit(target)
            if parts.netloc not in ("", "testserver") or parts.scheme not in ("", "http"):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path.startswith("/admin/") or "unsubscribe" in path or "/subscribe/confirm/" in path:
                continue
            queue.append((path, {}))
    pages = [u for u, s in statuses.items() if s == 200]
    # The crawl really went through the site: both languages, history, comparisons, feed, API.
    for expected in (
        "/vi/terms-of-service/",
        "/en/terms-of-service/versions/",
        "/vi/terms-of-service/versions/3/",
        "/en/terms-of-service/compare/1/2/",
        "/vi/terms-of-service/feed/",
        "/sitemap.xml",
        "/vi/terms-of-service/versions/1/vi.md",
        "/static/legal/site.css",
    ):
        assert expected in pages, expected
    assert len(pages) > 30


def malformed_requests():
    """(method, path, headers) that are malformed in some way; at least 300 of them."""
    doc = "/vi/terms-of-service"
    paths = [
        "/" + "a" * 5000 + "/",
        f"{doc}/" + "x" * 3000,
        f"{doc}/versions/" + "9" * 400 + "/",
        "/vi/%00/",
        "/vi/%ff%fe/",
        "/vi/\u202e\u200b/",
        "/vi/t%C3%A9rms/",
        "/%F0%9F%92%A9/",
        "/vi/%C0%AF/",
        "/../../etc/passwd",
        "/vi/../../etc/passwd",
        "/static/../settings.py",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2fmanage.py",
        f"{doc}/versions/1/../../../../etc/passwd.md",
        "/vi/terms-of-service%2f..%2f/",
        "/api/documents/../../etc/passwd",
        "/api/documents/%00/",
        "/api/documents/" + "z" * 300 + "/",
        f"{doc}/versions/-1/",
        f"{doc}/versions/1.5/",
        f"{doc}/versions/0x10/",
        f"{doc}/versions/ 1/",
        f"{doc}/versions/１/",
        f"{doc}/versions/1e3/",
        f"{doc}/versions/99999/",
        f"{doc}/versions/4/",
        f"{doc}/versions/5/",
        f"{doc}/versions/1/xx.md",
        f"{doc}/versions/1/vi.MD",
        f"{doc}/versions/99/vi.md",
        f"{doc}/compare/1/1/",
        f"{doc}/compare/2/99/",
        f"{doc}/compare/1/4/",
        f"{doc}/compare/0/2/",
        f"{doc}/compare/١/٢/",
        f"{doc}/compare/1/2/3/",
        f"{doc}/on/2026-02-29/",
        f"{doc}/on/2026-00-10/",
        f"{doc}/on/9999-99-99/",
        f"{doc}/on/2026-11-24T00:00/",
        f"{doc}/on/2026-11-2４/",
        f"{doc}/on/1900-01-01/",
        f"{doc}/on/0001-01-01/",
        f"{doc}/on/-2026-01-01/",
        "/xx/terms-of-service/",
        "/VI/terms-of-service/",
        "/vi/Terms-Of-Service/",
        "/vi/terms_of_service!/",
        "/vi/terms-of-service/feed/extra/",
        "/en/unsubscribe/not-a-token/",
        "/en/unsubscribe/" + "A" * 2000 + "/",
        "/vi/terms-of-service/subscribe/confirm/garbage/",
        "/vi/terms-of-service/subscribe/confirm/a:b:c/",
    ]
    queries = [
        f"{doc}/compare/?version_a=1",
        f"{doc}/compare/?version_a=&version_b=",
        f"{doc}/compare/?version_a=1&version_b=x",
        f"{doc}/compare/?version_a=-1&version_b=2",
        f"{doc}/compare/?version_a=1&version_b=" + "9" * 100,
        f"{doc}/compare/?version_a=%00&version_b=1",
        f"{doc}/compare/?version_a=１&version_b=2",
        f"{doc}/on/?on_date=",
        f"{doc}/on/?on_date=yesterday",
        f"{doc}/on/?on_date=2026-13-45",
        f"{doc}/on/?on_date=%00",
        f"{doc}/on/?on_date=" + "1" * 500,
        f"{doc}/on/?on_date=2026-1-1",
        "/api/documents/terms-of-service/?at=",
        "/api/documents/terms-of-service/?at=tomorrow",
        "/api/documents/terms-of-service/?at=2026-13-01T00:00",
        "/api/documents/terms-of-service/?at=%00",
        "/api/documents/terms-of-service/?at=" + "9" * 400,
        "/api/documents/terms-of-service/?at=2026-11-24T25:00",
        "/api/documents/nope/",
        "/api/documents/nope/?at=2026-11-24",
    ]
    both = paths + queries
    both += [path.replace("/vi/terms-of-service", "/en/terms-of-service", 1) for path in both if path.startswith(doc)]
    requests = [("GET", path, {}) for path in both]
    requests += [("HEAD", path, {}) for path in paths]
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in (
            f"{doc}/",
            f"{doc}/versions/",
            f"{doc}/versions/1/",
            f"{doc}/compare/1/2/",
            "/healthz",
            f"{doc}/versions/1/vi.md",
            "/api/documents/terms-of-service/",
            "/sitemap.xml",
            "/robots.txt",
            f"{doc}/feed/",
            f"{doc}/on/2026-11-24/",
            "/vi/",
            "/admin/legal/documentversion/1/publish/",
        ):
            requests.append((method, path, {}))
    bad_languages = [
        "",
        "*",
        "xx-YY",
        "a" * 5000,
        "en;q=abc",
        ";;;,,,",
        "vi;q=-1",
        "\u00e9\u00e8",
        "en;q=1.5",
        "zh-Hant-TW-x-private-" + "a" * 300,
        "q=0.5",
        "en-US,en;q=0.9," * 200,
        "\x00",
        "en\r\nX-Injected: 1",
    ]
    for language in bad_languages:
        for path in ("/", "/terms-of-service/", "/nope/", "/vi/nope/", "/en/terms-of-service/versions/9/"):
            requests.append(("GET", path, {"HTTP_ACCEPT_LANGUAGE": language}))
    for cookie in ("django_language=xx", "django_language=" + "v" * 4000, "django_language=\x00", "django_language"):
        requests.append(("GET", "/", {"HTTP_COOKIE": cookie}))
    for host in ("evil.example", "127.0.0.1:abc", "a" * 300, "", "[::1", "localhost\r\nX: 1"):
        requests.append(("GET", f"{doc}/", {"HTTP_HOST": host}))
    for value in ("", "garbage", '"unterminated', "*" * 1000, "W/", '"' + "a" * 5000 + '"'):
        requests.append(("GET", f"{doc}/", {"HTTP_IF_NONE_MATCH": value, "HTTP_IF_MODIFIED_SINCE": value}))
    return requests


def test_at_least_300_malformed_requests_get_4xx_or_a_redirect(crowded_history):
    requests = malformed_requests()
    assert len(requests) >= 300
    client = Client(raise_request_exception=True)
    problems = []
    for method, path, headers in requests:
        response = client.generic(method, path, **headers)
        status = response.status_code
        expected = status < 500 if "HTTP_IF_NONE_MATCH" in headers else 300 <= status < 500
        if not expected:
            problems.append((method, path[:80], {k: v[:40] for k, v in headers.items()}, status))
    assert problems == [], "\n".join(map(repr, problems))
