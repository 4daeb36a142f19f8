"""Memento (RFC 7089): the canonical page as TimeGate, version pages as Mementos, the TimeMap."""

import datetime
import re

import pytest

from django.utils.http import http_date

from legal import memento
from legal.publishing import withdraw_version
from tests.conftest import make_version, site_time

pytestmark = pytest.mark.django_db

SWITCH = site_time(2026, 12, 1, 0, 0)  # when the shared `scheduled` version 2 takes effect
HOST = "http://testserver"


def header_date(moment):
    return http_date(moment.timestamp())


def parse_links(value):
    """{url: (set of rels, {attribute: value})} from a Link header or a link-format body."""
    links = {}
    for match in re.finditer(r"<([^>]*)>((?:\s*;\s*[a-z]+=\"[^\"]*\")*)", value):
        attributes = dict(re.findall(r';\s*([a-z]+)="([^"]*)"', match.group(2)))
        rels = set(attributes.pop("rel", "").split())
        old_rels, old_attributes = links.get(match.group(1), (set(), {}))
        links[match.group(1)] = (old_rels | rels, {**old_attributes, **attributes})
    return links


def by_rel(links, rel):
    return sorted(url for url, (rels, _attributes) in links.items() if rel in rels)


def timegate(client, when, language="vi"):
    return client.get(f"/{language}/terms-of-service/", HTTP_ACCEPT_DATETIME=header_date(when))


@pytest.mark.parametrize(
    ("offset", "number"),
    [(-datetime.timedelta(seconds=1), 1), (datetime.timedelta(0), 2), (datetime.timedelta(days=400), 2)],
)
@pytest.mark.parametrize("language", ["vi", "en"])
def test_timegate_redirects_to_the_version_in_effect_at_the_instant(client, two_versions, offset, number, language):
    """Accept-Datetime one second before the switch finds version 1; at the switch and after, version 2."""
    response = timegate(client, SWITCH + offset, language)
    assert response.status_code == 302
    assert response["Location"] == f"{HOST}/{language}/terms-of-service/versions/{number}/"
    assert "accept-datetime" in response["Vary"].lower()
    assert response["Cache-Control"] == "no-store"
    links = parse_links(response["Link"])
    assert links[f"{HOST}/{language}/terms-of-service/"][0] == {"original", "timegate"}
    assert links[f"{HOST}/{language}/terms-of-service/timemap/"] == ({"timemap"}, {"type": "application/link-format"})


def test_the_curl_of_the_issue_is_answered_on_head(client, two_versions):
    """`curl -I -H 'Accept-Datetime: Tue, 01 Dec 2026 00:00:00 GMT'` (07:00 in Hanoi, after the switch)."""
    response = client.head("/vi/terms-of-service/", HTTP_ACCEPT_DATETIME="Tue, 01 Dec 2026 00:00:00 GMT")
    assert response.status_code == 302
    assert response["Location"] == f"{HOST}/vi/terms-of-service/versions/2/"


def test_timegate_before_the_first_version_says_so(client, two_versions):
    first = two_versions[0]
    response = timegate(client, first.effective_at - datetime.timedelta(seconds=1))
    assert response.status_code == 404
    assert "TimeMap" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert by_rel(parse_links(response["Link"]), "timemap") == [f"{HOST}/vi/terms-of-service/timemap/"]


def test_timegate_of_an_unknown_document_is_404(client, terms):
    response = client.get("/vi/no-such-document/", HTTP_ACCEPT_DATETIME=header_date(SWITCH))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "",
        "2026-12-01T00:00:00Z",
        "Tue, 31 Feb 2026 00:00:00 GMT",
        "Tue, 01 Dec 99999 00:00:00 GMT",
        "x" * 5000,
    ],
)
def test_malformed_accept_datetime_is_400(client, two_versions, value):
    response = client.get("/vi/terms-of-service/", HTTP_ACCEPT_DATETIME=value)
    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    assert "HTTP" in response.content.decode()


def test_malformed_accept_datetime_is_explained_in_vietnamese(client, two_versions):
    response = client.get("/vi/terms-of-service/", HTTP_ACCEPT_DATETIME="hôm qua".encode().decode("latin-1"))
    assert response.status_code == 400
    assert "ngày" in response.content.decode()


def test_the_page_cache_never_answers_a_timegate_request(client, two_versions):
    """A canonical page cached without Accept-Datetime is not served to a request that carries it."""
    assert client.get("/vi/terms-of-service/").status_code == 200
    assert not client.get("/vi/terms-of-service/").templates  # now cached
    response = timegate(client, SWITCH)
    assert response.status_code == 302
    assert response["Location"].endswith("/versions/2/")


def test_the_canonical_page_names_its_timegate_and_timemap_fresh_and_cached(client, two_versions):
    for _attempt in ("fresh", "cached"):
        response = client.get("/en/terms-of-service/")
        assert "accept-datetime" in response["Vary"].lower()
        links = parse_links(response["Link"])
        assert links[f"{HOST}/en/terms-of-service/"][0] == {"original", "timegate"}
        assert by_rel(links, "timemap") == [f"{HOST}/en/terms-of-service/timemap/"]
        assert "Memento-Datetime" not in response


def test_every_version_page_is_a_memento(client, two_versions, clock):
    first, second = two_versions
    third = make_version(first.document, effective_at=SWITCH + datetime.timedelta(days=30))
    expected = {
        1: {"first": [1], "last": [3], "prev": [], "next": [2]},
        2: {"first": [1], "last": [3], "prev": [1], "next": [3]},
        3: {"first": [1], "last": [3], "prev": [2], "next": []},
    }
    for version in (first, second, third):
        for _attempt in ("fresh", "cached"):
            response = client.get(f"/vi/terms-of-service/versions/{version.number}/")
            assert response.status_code == 200
            assert response["Memento-Datetime"] == header_date(version.effective_at)
            links = parse_links(response["Link"])
            assert by_rel(links, "original") == by_rel(links, "timegate") == [f"{HOST}/vi/terms-of-service/"]
            assert by_rel(links, "timemap") == [f"{HOST}/vi/terms-of-service/timemap/"]
            for rel, numbers in expected[version.number].items():
                assert by_rel(links, rel) == [f"{HOST}/vi/terms-of-service/versions/{n}/" for n in numbers], rel
            for url, (rels, attributes) in links.items():
                if "memento" in rels:
                    number = int(url.rstrip("/").rsplit("/", 1)[1])
                    effective = {1: first, 2: second, 3: third}[number].effective_at
                    assert attributes["datetime"] == header_date(effective)


def test_withdrawn_versions_are_no_mementos(client, two_versions):
    first, second = two_versions
    withdraw_version(second, reason="Mistake.")
    response = client.get("/vi/terms-of-service/versions/1/")
    links = parse_links(response["Link"])
    assert by_rel(links, "last") == [f"{HOST}/vi/terms-of-service/versions/1/"]
    assert by_rel(links, "next") == []
    gone = client.get("/vi/terms-of-service/versions/2/")
    assert gone.status_code == 410 and "Memento-Datetime" not in gone
    timemap = client.get("/vi/terms-of-service/timemap/").content.decode()
    assert "/versions/2/" not in timemap
    assert timegate(client, SWITCH)["Location"].endswith("/versions/1/")


def test_the_timemap_lists_every_published_version(client, two_versions):
    first, second = two_versions
    response = client.get("/en/terms-of-service/timemap/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/link-format"
    links = parse_links(response.content.decode())
    assert links[f"{HOST}/en/terms-of-service/"][0] == {"original", "timegate"}
    own = links[f"{HOST}/en/terms-of-service/timemap/"]
    assert own == (
        {"self"},
        {"type": "application/link-format", "from": header_date(first.effective_at), "until": header_date(SWITCH)},
    )
    mementos = {url: (rels, attributes["datetime"]) for url, (rels, attributes) in links.items() if "memento" in rels}
    assert mementos == {
        f"{HOST}/en/terms-of-service/versions/1/": ({"first", "memento"}, header_date(first.effective_at)),
        f"{HOST}/en/terms-of-service/versions/2/": ({"last", "memento"}, header_date(SWITCH)),
    }


def test_a_long_timemap_is_paged(client, terms, monkeypatch):
    for day in range(1, 5):
        make_version(terms.document, effective_at=SWITCH + datetime.timedelta(days=day))
    monkeypatch.setattr(memento, "TIMEMAP_PAGE_SIZE", 2)
    seen, url = [], f"{HOST}/vi/terms-of-service/timemap/"
    for _page in range(5):
        links = parse_links(client.get(url).content.decode())
        seen += by_rel(links, "memento")
        following = by_rel(links, "next")
        if not following:
            break
        url = following[0]
    assert [int(u.rstrip("/").rsplit("/", 1)[1]) for u in seen] == [1, 2, 3, 4, 5]
    assert client.get("/vi/terms-of-service/timemap/?page=4").status_code == 404
    assert client.get("/vi/terms-of-service/timemap/?page=x").status_code == 404


def test_the_timemap_of_an_unknown_document_is_404(client, terms):
    assert client.get("/vi/nothing/timemap/").status_code == 404


def test_a_cached_timemap_is_retired_by_a_publish(
    client, two_versions, django_assert_num_queries, django_capture_on_commit_callbacks
):
    first = client.get("/vi/terms-of-service/timemap/").content.decode()
    with django_assert_num_queries(0):  # warm: answered from the page cache
        assert client.get("/vi/terms-of-service/timemap/").content.decode() == first
    with django_capture_on_commit_callbacks(execute=True):
        make_version(two_versions[0].document, effective_at=SWITCH + datetime.timedelta(days=3))
    again = client.get("/vi/terms-of-service/timemap/").content.decode()
    assert "/versions/3/" in again and "/versions/3/" not in first


def test_accept_datetime_elsewhere_is_still_answered_from_the_cache(client, two_versions, django_assert_num_queries):
    """Only the TimeGate skips the page cache: the header cannot make other pages render afresh."""
    for path in ("/vi/terms-of-service/versions/1/", "/vi/terms-of-service/versions/", "/vi/terms-of-service/timemap/"):
        fresh = client.get(path)
        with django_assert_num_queries(0):
            cached = client.get(path, HTTP_ACCEPT_DATETIME=header_date(SWITCH))
        assert cached.status_code == 200 and cached.content == fresh.content
