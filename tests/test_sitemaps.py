"""What crawlers and link previews read: sitemap.xml (legal/sitemaps.py), robots.txt, Open Graph and Twitter card tags."""

import xml.etree.ElementTree as ET

import html5lib
import pytest

from tests.conftest import site_time

pytestmark = pytest.mark.django_db

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9", "xhtml": "http://www.w3.org/1999/xhtml"}


def sitemap(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    root = ET.fromstring(response.content)
    urls = {}
    for url in root.findall("sm:url", NS):
        alternates = {link.get("hreflang"): link.get("href") for link in url.findall("xhtml:link", NS)}
        assert all(link.get("rel") == "alternate" for link in url.findall("xhtml:link", NS))
        urls[url.findtext("sm:loc", namespaces=NS)] = (url.findtext("sm:lastmod", namespaces=NS), alternates)
    return urls


def test_every_document_and_published_version_page_in_every_language(client, history):
    urls = sitemap(client)
    assert sorted(urls) == sorted(
        f"http://testserver/{language}/terms-of-service/{path}"
        for language in ("vi", "en")
        for path in ("", "versions/1/", "versions/2/")
    )


def test_each_page_lists_its_alternates_and_x_default(client, history):
    for loc, (_lastmod, alternates) in sitemap(client).items():
        path = loc.removeprefix("http://testserver/").split("/", 1)[1]
        assert alternates == {
            "vi": f"http://testserver/vi/{path}",
            "en": f"http://testserver/en/{path}",
            "x-default": f"http://testserver/vi/{path}",
        }


def test_lastmod_is_the_effective_date(client, history):
    urls = sitemap(client)
    assert urls["http://testserver/en/terms-of-service/"][0] == "2026-11-24"
    assert urls["http://testserver/vi/terms-of-service/versions/1/"][0] == "2026-11-24"
    # A scheduled version's page is dated by its publication, never in the future.
    assert urls["http://testserver/vi/terms-of-service/versions/2/"][0] == "2026-11-24"


def test_the_current_page_is_dated_by_the_version_in_effect(client, history, clock):
    clock.move_to(site_time(2026, 12, 2))
    urls = sitemap(client)
    assert urls["http://testserver/vi/terms-of-service/"][0] == "2026-12-01"
    assert urls["http://testserver/vi/terms-of-service/versions/2/"][0] == "2026-12-01"


def test_an_empty_site_has_an_empty_sitemap(client, db):
    assert sitemap(client) == {}


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_the_admin(client, settings, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().splitlines() == [
        "User-agent: *",
        f"Disallow: /{settings.ADMIN_URL}",
        "",
        "Sitemap: http://testserver/sitemap.xml",
    ]


# Link previews -----------------------------------------------------------------------------


def meta_of(client, path):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    tree = parser.parse(client.get(path).content.decode())
    meta = {}
    for element in tree.findall(".//meta"):
        key = element.get("property") or element.get("name")
        if key:
            meta.setdefault(key, []).append(element.get("content"))
    return meta


@pytest.mark.parametrize(
    ("language", "locale", "alternate", "title"),
    [("vi", "vi_VN", "en_US", "Điều khoản sử dụng"), ("en", "en_US", "vi_VN", "Terms of Service")],
)
def test_document_pages_carry_open_graph_and_twitter_card_tags(client, terms, language, locale, alternate, title):
    meta = meta_of(client, f"/{language}/terms-of-service/")
    assert meta["og:type"] == ["article"]
    assert meta["og:site_name"] == ["Sigma.video"]
    assert meta["og:title"] == [title]
    assert meta["og:url"] == [f"http://testserver/{language}/terms-of-service/"]
    assert meta["og:locale"] == [locale]
    assert meta["og:locale:alternate"] == [alternate]
    assert meta["og:description"] == meta["description"]
    assert meta["og:description"][0].startswith(f"{title} ")
    assert meta["twitter:card"] == ["summary"]
    assert meta["twitter:title"] == [title]
    assert meta["twitter:description"] == meta["description"]


def test_version_pages_share_their_own_address(client, terms):
    meta = meta_of(client, "/en/terms-of-service/versions/1/")
    assert meta["og:url"] == ["http://testserver/en/terms-of-service/versions/1/"]
