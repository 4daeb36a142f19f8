"""Reader pages and redirects (legal/views.py), through the Django test client.

Pages, history, upcoming notices, the point-in-time pages, downloads and hashes, withdrawn
versions' 410s, 404 and 500 pages.
"""

import datetime
import hashlib
import re

import html5lib
import pytest

from legal.publishing import withdraw_version
from tests.conftest import make_version, site_time, text_of

pytestmark = pytest.mark.django_db


def parse(response):
    """Parse as a browser would; html5lib raises on the first well-formedness error."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(response.content.decode())


@pytest.mark.parametrize(
    ("headers", "target"),
    [
        ({}, "/vi/"),
        ({"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}, "/en/"),
        ({"HTTP_ACCEPT_LANGUAGE": "fr, vi;q=0.5"}, "/vi/"),
        ({"HTTP_ACCEPT_LANGUAGE": "de"}, "/vi/"),
        ({"HTTP_ACCEPT_LANGUAGE": "en", "HTTP_COOKIE": "django_language=vi"}, "/vi/"),
    ],
)
def test_root_redirects_to_the_readers_language(client, headers, target):
    response = client.get("/", **headers)
    assert response.status_code == 302
    assert response["Location"] == target
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]


def test_slug_without_language_redirects(client):
    response = client.get("/terms-of-service/", HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response["Location"]) == (302, "/en/terms-of-service/")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_page_is_well_formed_with_one_h1_and_its_language(client, terms, language):
    for path in ("", "terms-of-service/", "terms-of-service/versions/", "terms-of-service/versions/1/"):
        response = client.get(f"/{language}/{path}")
        assert response.status_code == 200, path
        tree = parse(response)
        assert tree.get("lang") == language
        assert len(tree.findall(".//h1")) == 1
        assert tree.find(".//title").text.strip()
        assert tree.find(".//meta[@name='description']").get("content").strip()
        links = {(link.get("rel"), link.get("hreflang")): link.get("href") for link in tree.findall(".//link")}
        assert links[("canonical", None)] == f"http://testserver/{language}/{path}"
        assert links[("alternate", "vi")] == f"http://testserver/vi/{path}"
        assert links[("alternate", "en")] == f"http://testserver/en/{path}"
        assert links[("alternate", "x-default")] == f"http://testserver/vi/{path}"


def test_the_contents_list_holds_the_h2_and_h3_sections_in_order(client, terms):
    """The page's table of contents links every h2 and h3 section, and nothing deeper."""
    body = "# {title}\n\n## One\n\nText.\n\n### One point one\n\nText.\n\n#### Detail\n\nText.\n\n## Two\n\nText.\n"
    make_version(
        terms.document,
        body_vi=body.format(title="Điều khoản"),
        body_en=body.format(title="Terms"),
        effective_at=site_time(2026, 12, 1),
    )
    tree = parse(client.get("/en/terms-of-service/versions/2/"))
    entries = [
        (item.get("class"), item.find("a").get("href"), item.find("a").text)
        for item in tree.findall(".//ol[@class='toc-list']/li")
    ]
    assert entries == [
        ("toc-level-2", "#one", "One"),
        ("toc-level-3", "#one-point-one", "One point one"),
        ("toc-level-2", "#two", "Two"),
    ]


def test_current_page_in_vietnamese(client, terms):
    response = client.get("/vi/terms-of-service/")
    page = text_of(response)
    assert '<h1 id="document-title">Điều khoản sử dụng</h1>' in response.content.decode()
    assert "Phiên bản 1 · có hiệu lực từ ngày 24 tháng 11 năm 2026" in page
    assert 'href="#1-cac-dinh-nghia"' in response.content.decode()
    assert "bản dịch" not in page  # the authoritative text carries no translation notice
    assert 'href="http://testserver/en/terms-of-service/"' in response.content.decode()


def test_current_page_in_english_says_vietnamese_is_authoritative(client, terms):
    response = client.get("/en/terms-of-service/")
    page = text_of(response)
    assert "Version 1 · effective 24 November 2026" in page
    assert "The Vietnamese text is the authoritative version" in page
    assert '<h2 id="1-cac-dinh-nghia">1. Definitions' in response.content.decode()


@pytest.mark.parametrize(
    ("language", "foreign_words"),
    [
        ("vi", ("Version", "History", "effective", "Legal centre", "Skip to content", "Questions")),
        ("en", ("Phiên bản", "Lịch sử", "hiệu lực", "Văn bản pháp lý", "Chuyển đến", "Thắc mắc")),
    ],
)
def test_interface_speaks_only_the_page_language(client, terms, language, foreign_words):
    page = text_of(client.get(f"/{language}/terms-of-service/versions/"))
    for word in foreign_words:
        assert word not in page


def test_history_lists_published_versions_newest_first(client, terms, clock):
    make_version(terms.document, effective_at=site_time(2026, 11, 25, 0, 0), summary="Typo fixed")
    clock.move_to(site_time(2026, 11, 26, 0, 0))
    page = text_of(client.get("/en/terms-of-service/versions/"))
    assert page.index("Version 2") < page.index("Version 1")
    assert "Typo fixed (en)" in page


def test_superseded_version_says_so_and_links_to_current(client, terms, clock):
    make_version(terms.document, effective_at=site_time(2026, 11, 25, 0, 0))
    clock.move_to(site_time(2026, 11, 25, 0, 0))
    response = client.get("/en/terms-of-service/versions/1/")
    assert "This version has been superseded" in text_of(response)
    assert "Version 2 is the version in effect now" in text_of(response)
    assert "superseded" not in text_of(client.get("/en/terms-of-service/versions/2/"))


@pytest.mark.parametrize(
    "path",
    [
        "/vi/no-such-document/",
        "/vi/no-such-document/versions/",
        "/vi/no-such-document/versions/1/",
        "/vi/terms-of-service/versions/2/",
        "/vi/terms-of-service/versions/0/",
        "/vi/terms-of-service/versions/99999999999999999999/",
        "/vi/terms-of-service/versions/abc/",
        "/xx/terms-of-service/",
    ],
)
def test_unknown_pages_are_localised_404s(client, terms, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


def test_english_404_is_in_english(client, terms):
    assert "Page not found" in client.get("/en/terms-of-service/versions/7/").content.decode()


def test_drafts_are_404(client, terms, clock):
    """A draft has no number and no public page."""
    draft = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0), publish=False)
    assert draft.number is None
    assert client.get("/vi/terms-of-service/versions/2/").status_code == 404


def test_document_without_a_version_in_effect_is_404(client, terms, clock):
    clock.move_to(site_time(2026, 11, 23, 23, 59))
    assert client.get("/vi/terms-of-service/").status_code == 404


def test_index_lists_documents_in_effect(client, terms):
    response = client.get("/en/")
    assert '<a href="/en/terms-of-service/">Terms of Service</a>' in response.content.decode()


@pytest.mark.parametrize(("language", "heading"), [("vi", "Đã xảy ra lỗi"), ("en", "Something went wrong")])
def test_500_page_is_localised_and_leaks_nothing(rf, language, heading):
    from django.utils import translation
    from django.views.defaults import server_error

    with translation.override(language):
        response = server_error(rf.get(f"/{language}/terms-of-service/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert f'<html lang="{language}">' in page and heading in page
    assert "Traceback" not in page and "site.css" in page


@pytest.mark.parametrize("language", ["vi", "en"])
def test_document_page_weighs_under_40_kb_compressed(client, terms, language):
    """HTML + CSS + JS of the document page, gzip-compressed as they are served."""
    import gzip

    page = client.get(f"/{language}/terms-of-service/").content
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', page.decode())
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    total = len(gzip.compress(page))
    for asset in assets:
        response = client.get(asset)
        total += len(gzip.compress(b"".join(response.streaming_content)))
    assert total < 40 * 1024, total


@pytest.fixture
def withdrawn_to_reissue(terms, scheduled, clock):
    """Version 2 scheduled, version 3 published after it and then withdrawn with a reason, to be re-issued."""
    from legal.publishing import withdraw_version

    version = make_version(terms.document, effective_at=site_time(2026, 12, 2, 0, 0), body_en=terms.body_en + "\nX.\n")
    clock.move_to(site_time(2026, 11, 25, 9, 30))
    return withdraw_version(version, reason="The new clause was not approved.", reissue=True)


@pytest.mark.parametrize("language", ["en", "vi"])
def test_a_withdrawn_version_keeps_its_address_with_410_and_the_reason(client, withdrawn_to_reissue, language):
    response = client.get(f"/{language}/terms-of-service/versions/3/")
    assert response.status_code == 410
    html5lib.HTMLParser(strict=True).parse(response.content.decode())
    page = text_of(response)
    if language == "en":
        assert "Version 3 was withdrawn on 25 November 2026 and never took effect." in page
        assert "It had been scheduled to take effect on 2 December 2026." in page
        assert "Its text is to be re-issued as a new version" in page
    else:
        assert "Phiên bản 3 đã bị rút lại vào 25 tháng 11 năm 2026 và chưa từng có hiệu lực." in page
    assert "The new clause was not approved." in page
    assert f'href="/{language}/terms-of-service/"' in response.content.decode()


@pytest.mark.parametrize("path", ["compare/1/3/", "compare/3/2/", "compare/3/1/"])
def test_comparisons_with_a_withdrawn_version_are_410(client, withdrawn_to_reissue, path):
    response = client.get(f"/en/terms-of-service/{path}")
    assert response.status_code == 410 and "Version 3 was withdrawn" in text_of(response)


def test_the_withdrawn_text_stays_downloadable(client, withdrawn_to_reissue):
    response = client.get("/en/terms-of-service/versions/3/en.md")
    assert response.status_code == 200
    assert response.content.decode() == withdrawn_to_reissue.body_en and response.content.decode().endswith("\nX.\n")


# Upcoming versions ---------------------------------------------------------------------


def test_upcoming_notice_before_at_and_after_the_instant(client, three_versions, clock):
    clock.move_to(site_time(2026, 11, 30, 23, 59, 59))
    page = text_of(client.get("/en/terms-of-service/"))
    assert "A new version takes effect on 1 December 2026." in page
    assert 'href="/en/terms-of-service/compare/2/3/"' in client.get("/en/terms-of-service/").content.decode()
    vi = text_of(client.get("/vi/terms-of-service/"))
    assert "Một phiên bản mới sẽ có hiệu lực từ ngày 1 tháng 12 năm 2026." in vi
    clock.move_to(site_time(2026, 12, 1, 0, 0))
    page = text_of(client.get("/en/terms-of-service/"))
    assert "A new version takes effect" not in page and "Version 3" in page


def test_scheduled_version_page_is_public_and_not_yet_in_effect(client, three_versions):
    page = text_of(client.get("/en/terms-of-service/versions/3/"))
    assert "This version is not yet in effect. It takes effect on 1 December 2026." in page


def test_history_lists_newest_first_with_states_and_the_withdrawal_reason(client, three_versions):
    """Numbers are the order in which versions take effect: newest first is scheduled first."""
    terms, v2, v3 = three_versions
    v4 = make_version(terms.document, effective_at=site_time(2026, 12, 10, 0, 0))
    withdraw_version(v4, reason="Published by mistake.")
    page = text_of(client.get("/en/terms-of-service/versions/"))
    assert page.index("Version 4") < page.index("Version 3") < page.index("Version 2") < page.index("Version 1")
    assert "Version 4 Withdrawn (never in effect) Was scheduled for 10 December 2026" in page
    assert "Withdrawn on 24 November 2026. Reason: Published by mistake." in page
    assert "Version 3 Scheduled Takes effect on 1 December 2026" in page
    assert "Version 2 In effect Effective from 24 November 2026" in page


# Point in time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "number"),
    [("2026-11-24", 2), ("2026-11-30", 2), ("2026-12-01", 3), ("2027-06-01", 3)],
)
def test_point_in_time_redirects_to_the_version_at_the_end_of_the_day(client, three_versions, day, number):
    response = client.get(f"/en/terms-of-service/on/{day}/")
    assert response.status_code == 302
    assert response["Location"] == f"/en/terms-of-service/versions/{number}/?on={day}"


def test_point_in_time_page_says_which_day(client, three_versions, clock):
    clock.move_to(site_time(2026, 12, 5, 9, 0))
    page = text_of(client.get("/en/terms-of-service/versions/2/?on=2026-11-30"))
    assert "This is the version that applied on 30 November 2026." in page
    assert "applied on" not in text_of(client.get("/en/terms-of-service/versions/2/?on=nonsense"))


def test_point_in_time_day_boundary_in_hanoi(client, terms, clock):
    # Version 2 takes effect at 00:00 on 26 November in Hanoi (17:00 UTC on the 25th).
    make_version(terms.document, effective_at=site_time(2026, 11, 26, 0, 0))
    assert client.get("/en/terms-of-service/on/2026-11-25/")["Location"].startswith("/en/terms-of-service/versions/1/")
    assert client.get("/en/terms-of-service/on/2026-11-26/")["Location"].startswith("/en/terms-of-service/versions/2/")


def test_point_in_time_before_the_first_version(client, terms):
    response = client.get("/en/terms-of-service/on/2026-11-23/")
    assert response.status_code == 404
    assert "No version was in effect on 23 November 2026" in text_of(response)


@pytest.mark.parametrize("day", ["2026-02-30", "2026-13-01", "0000-01-01", "20261124", "2026-1-1", "yesterday"])
def test_malformed_or_impossible_dates_are_404(client, terms, day):
    assert client.get(f"/en/terms-of-service/on/{day}/").status_code == 404


def test_history_date_field(client, terms):
    response = client.get("/en/terms-of-service/on/?on_date=2026-11-24")
    assert response["Location"] == "/en/terms-of-service/on/2026-11-24/"
    assert client.get("/en/terms-of-service/on/?on_date=24/11/2026").status_code == 404
    assert 'type="date"' in client.get("/en/terms-of-service/versions/").content.decode()


# Hashes and downloads ------------------------------------------------------------------


@pytest.mark.parametrize("language", ["vi", "en"])
def test_download_matches_the_hash_on_the_page(client, terms, language):
    page = client.get(f"/{language}/terms-of-service/versions/1/").content.decode()
    download = client.get(f"/{language}/terms-of-service/versions/1/{language}.md")
    assert download["Content-Type"] == "text/markdown; charset=utf-8"
    digest = hashlib.sha256(download.content).hexdigest()
    assert f'<code class="sha">{digest}</code>' in page
    assert download.content.decode() == getattr(terms, f"body_{language}")


def test_both_languages_are_downloadable_from_either_page(client, terms):
    page = client.get("/en/terms-of-service/versions/1/").content.decode()
    assert (
        'href="/en/terms-of-service/versions/1/vi.md"' in page
        and 'href="/en/terms-of-service/versions/1/en.md"' in page
    )


@pytest.mark.parametrize("path", ["versions/1/fr.md", "versions/2/vi.md", "versions/1/vi.txt", "versions/1/../1/vi.md"])
def test_bad_downloads_are_404(client, terms, path):
    assert client.get(f"/en/terms-of-service/{path}").status_code == 404


def test_long_history_is_paged_and_each_row_compares_with_its_previous(client, terms, clock):
    for day in range(1, 56):
        make_version(terms.document, effective_at=site_time(2026, 11, 24, 12, 5) + datetime.timedelta(minutes=day))
    clock.move_to(site_time(2026, 11, 25, 0, 0))
    first = client.get("/en/terms-of-service/versions/").content.decode()
    assert first.count('class="history-item"') == 50
    assert 'href="?page=2"' in first and 'rel="prev"' not in first
    assert 'href="/en/terms-of-service/compare/55/56/"' in first
    # The last row of a page compares with the first row of the next page.
    assert 'href="/en/terms-of-service/compare/6/7/"' in first
    second = client.get("/en/terms-of-service/versions/?page=2").content.decode()
    assert second.count('class="history-item"') == 6 and 'rel="prev"' in second and 'rel="next"' not in second
    assert 'value="55"' in first and 'value="56"' in first
    for bad in ("3", "0", "-1", "abc", "１", "99999999"):
        assert client.get("/en/terms-of-service/versions/", {"page": bad}).status_code == 404


def test_applied_on_notice_is_only_shown_when_true(client, three_versions, clock):
    clock.move_to(site_time(2026, 12, 5, 9, 0))
    # Version 1 was superseded at noon on 24 November: it did not apply at the end of the 30th.
    assert "applied on" not in text_of(client.get("/en/terms-of-service/versions/1/?on=2026-11-30"))
    assert "applied on" in text_of(client.get("/en/terms-of-service/versions/2/?on=2026-11-30"))
