"""Atom feeds of a document's versions, parsed as a feed reader parses them."""

import datetime
import re

import feedparser
import pytest

from legal.publishing import withdraw_version
from tests.conftest import make_version, site_time

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed_history(terms):
    """The shared `history` with markup in version 2's summary, which the feed must escape.

    Version 1 in effect, version 2 scheduled, a withdrawn version 3, a draft.
    """
    document = terms.document
    scheduled = make_version(document, effective_at=site_time(2026, 12, 1), summary="Clarified <b>section</b> 2")
    withdraw_version(make_version(document, effective_at=site_time(2027, 1, 1)), reason="Published by mistake.")
    make_version(document, effective_at=site_time(2027, 2, 1), publish=False)
    return terms, scheduled


def fetch(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_one_entry_per_version_scheduled_and_withdrawn_included_drafts_not(client, feed_history):
    feed = fetch(client, "/en/terms-of-service/feed/")
    assert [entry.title for entry in feed.entries] == [
        "Version 3 (withdrawn, never in effect)",
        "Version 2",
        "Version 1",
    ]
    assert [entry.link for entry in feed.entries] == [
        "http://testserver/en/terms-of-service/versions/3/",
        "http://testserver/en/terms-of-service/versions/2/",
        "http://testserver/en/terms-of-service/versions/1/",
    ]


def test_a_withdrawn_entry_is_updated_with_the_reason(client, feed_history, clock):
    """The entry of a withdrawn version stays, updated at its withdrawal, and says why."""
    withdrawn = fetch(client, "/en/terms-of-service/feed/").entries[0]
    assert withdrawn.summary.startswith(
        "<p>Withdrawn on 24 November 2026; it was scheduled for 1 January 2027 and never took effect.</p>"
        "<p>Reason: Published by mistake.</p>"
    )
    assert withdrawn.updated == "2026-11-24T05:00:00+00:00"


def test_the_feed_describes_the_document(client, feed_history):
    feed = fetch(client, "/en/terms-of-service/feed/")
    assert feed.feed.title == "Terms of Service"
    assert feed.feed.link == "http://testserver/en/terms-of-service/"
    assert feed.feed.language == "en"
    assert feed.feed.author == "Sigma.video"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == "http://testserver/en/terms-of-service/feed/"


def test_an_entry_has_the_summary_and_the_effective_date(client, feed_history):
    _withdrawn, scheduled, current = fetch(client, "/en/terms-of-service/feed/").entries
    assert scheduled.summary == (
        "<p>Takes effect on 1 December 2026</p><p>Clarified &lt;b&gt;section&lt;/b&gt; 2 (en)</p>"
    )
    assert current.summary.startswith("<p>Effective from 24 November 2026</p>")
    assert scheduled.id == "tag:sigma.video,2026:terms-of-service:version:2:en"
    assert scheduled.published == "2026-11-24T05:00:00+00:00"  # published at noon in Hanoi


def test_the_vietnamese_feed_is_in_vietnamese(client, feed_history):
    feed = fetch(client, "/vi/terms-of-service/feed/")
    assert feed.feed.title == "Điều khoản sử dụng"
    assert feed.feed.language == "vi"
    assert feed.entries[1].link == "http://testserver/vi/terms-of-service/versions/2/"
    assert "<p>Sẽ có hiệu lực từ ngày 1 tháng 12 năm 2026</p>" in feed.entries[1].summary
    assert "Clarified &lt;b&gt;section&lt;/b&gt; 2 (vi)" in feed.entries[1].summary


def test_unknown_documents_have_no_feed(client, terms):
    assert client.get("/en/no-such-document/feed/").status_code == 404


@pytest.mark.parametrize(
    "path", ["/en/terms-of-service/", "/vi/terms-of-service/versions/1/", "/en/terms-of-service/versions/"]
)
def test_pages_of_a_document_link_to_its_feed(client, terms, path):
    language = path.split("/")[1]
    page = client.get(path).content.decode()
    feed_link = re.search(r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="([^"]+)">', page)
    assert feed_link.group(1) == f"/{language}/terms-of-service/feed/"


def test_a_long_feed_is_paged_as_rfc_5005_says(client, terms):
    """Past 50 versions the feed pages with first/previous/next/last links; following them finds every version once."""
    for minute in range(1, 56):
        make_version(terms.document, effective_at=site_time(2026, 11, 24, 12, 5) + datetime.timedelta(minutes=minute))
    seen, url, pages = [], "/vi/terms-of-service/feed/", []
    while url:
        feed = fetch(client, url)
        links = {link.rel: link.href for link in feed.feed.links}
        pages.append(sorted(rel for rel in links if rel in ("first", "previous", "next", "last")))
        seen += [int(re.search(r"version:(\d+):", entry.id).group(1)) for entry in feed.entries]
        assert links["first"] == "http://testserver/vi/terms-of-service/feed/"
        assert links["last"] == "http://testserver/vi/terms-of-service/feed/?page=2"
        url = links.get("next", "").removeprefix("http://testserver")
    assert seen == list(range(56, 0, -1))
    assert pages == [["first", "last", "next"], ["first", "last", "previous"]]
    assert client.get("/vi/terms-of-service/feed/?page=3").status_code == 404
    assert client.get("/vi/terms-of-service/feed/?page=0").status_code == 404


def test_a_short_feed_has_no_paging_links(client, feed_history):
    feed = fetch(client, "/vi/terms-of-service/feed/")
    assert not {"first", "next", "previous", "last"} & {link.rel for link in feed.feed.links}
