"""Long histories cost what short ones do: the admin's list, the API and the redline's reader.

Cross-cutting (bench/scale.py's histories); it mainly covers the version admin's list, legal/api.py's
paging, legal/diffing.py's reader and legal/verification.py.

Histories are built by bench/scale.py's `fill`, the bench's own fast path (bulk rows under
the publishing service's mark, the newest through `publish_version`); the record it makes
verifies like any other.
"""

import re

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.scale import SECTIONS, fill, large_terms
from legal.diffing import read_sections
from legal.models import DocumentVersion
from legal.rendering import LIMITS, check_limits, render_markdown
from legal.verification import verify_record

pytestmark = pytest.mark.django_db

ADMIN = "/admin/legal/documentversion/"
API = "/api/documents/terms-of-service/"
TEXT_COLUMNS = ('"body_vi"', '"body_html_vi"', '"sections_vi"', '"body_en"', '"body_html_en"', '"sections_en"')


def queries_of(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return response, [query["sql"] for query in queries.captured_queries]


def plan_of(sql):
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return " / ".join(str(row[-1]) for row in cursor.fetchall())


def test_the_large_terms_are_the_largest_text_the_renderer_allows():
    """200 sections in both languages, within every limit, the same outline; 200 KB does not fit."""
    vi, en = large_terms("vi", clauses=40), large_terms("en", clauses=40)
    for text in (vi, en):
        check_limits(text)
        assert LIMITS.body_chars - 5_000 < len(text) <= LIMITS.body_chars
    # Vietnamese takes about 1.29 bytes a character in UTF-8: 200 KB would be past the limit.
    assert len(vi.encode("utf-8")) / len(vi) > 1.25
    assert len(vi.encode("utf-8")) < 200_000
    outline = [[(s.level, s.id) for s in render_markdown(text).sections] for text in (vi, en)]
    assert len(outline[0]) == SECTIONS and {level for level, _id in outline[0]} == {2}
    assert outline[0][0] == (2, "1-cac-dinh-nghia") and outline[0][-1][1].startswith("200-")


def test_a_filled_history_verifies_and_the_newest_is_published_through_the_service():
    """The bench's bulk rows are what publishing would store: verify_versions finds nothing."""
    assert fill(6, large=1) == 6
    report = verify_record()
    assert (report.versions, report.problems) == (6, [])
    versions = list(DocumentVersion.objects.listed().order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3, 4, 5, 6]
    assert all(v.published_at <= w.published_at for v, w in zip(versions, versions[1:], strict=False))
    assert versions[-1].body_vi == large_terms("vi", clauses=1)
    assert versions[-1].summary_en == "Amendment 1: Customers are told before it applies."
    assert [v.summary_en for v in versions[1:3]] == ["Change number 2", "Change number 3"]


# Past the admin's and the API's pages of 50 (10,000 would take minutes to build here).
LONG = 250
MAX_ADMIN_QUERIES = 9  # session, user, documents, two counts, the page's keys, the page's rows, ...
MAX_API_QUERIES = 1  # the version in effect, the scheduled one, a page and Last-Modified at once


@pytest.mark.parametrize("count", [3, LONG])
def test_admin_version_list_costs_the_same_queries_whatever_the_history(
    superuser, count, django_assert_max_num_queries
):
    """No query per row, and no query reads a text: the list shows none."""
    fill(count, large=0)
    with django_assert_max_num_queries(MAX_ADMIN_QUERIES):
        response, sql = queries_of(superuser, ADMIN)
    assert response.content.decode().count('class="field-number"') == min(count, 50)
    assert not [query for query in sql if any(column in query for column in TEXT_COLUMNS)]
    assert "VI, EN" in response.content.decode()  # complete languages, from the hashes


def test_admin_version_list_sorts_by_its_covering_index(superuser):
    """Paging 250 versions walks the index in order (no sort of whole rows, which read every text on SQLite)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's query plan")
    fill(LONG, large=0)
    _response, sql = queries_of(superuser, ADMIN)
    ordered = next(query for query in sql if "ORDER BY" in query and "legal_documentversion" in query)
    plan = plan_of(ordered)
    assert "COVERING INDEX version_list_order" in plan and "TEMP B-TREE" not in plan, plan


def test_admin_version_list_shows_a_draft_without_english_as_vi_only(superuser, terms):
    """The languages column reads the hashes of deferred texts: an empty English body is not complete."""
    draft = DocumentVersion(document=terms.document, title_vi="Nháp", title_en="Draft", body_vi="Văn bản.")
    draft.save()
    response, _sql = queries_of(superuser, ADMIN)
    cells = re.findall(r'<td class="field-languages">([^<]*)</td>', response.content.decode())
    assert sorted(cells) == ["VI", "VI, EN"]


@pytest.mark.parametrize("count", [3, LONG])
def test_api_reads_one_page_whatever_the_history(client, count, django_assert_max_num_queries):
    """The API's queries, and the rows they read, do not grow with the history."""
    fill(count, large=0)
    with django_assert_max_num_queries(MAX_API_QUERIES):
        response, sql = queries_of(client, API)
    data = response.json()
    assert [v["number"] for v in data["versions"]] == list(range(count, max(count - 50, 0), -1))
    assert data["current"]["number"] == count
    assert data["versions_next_page"] == (f"http://127.0.0.1:8000{API}?page=2" if count > 50 else None)
    assert not [query for query in sql if any(column in query for column in TEXT_COLUMNS)]
    # Every query is bounded: a page (LIMIT), or the rows named by bounded subqueries.
    assert all(re.search(r"LIMIT \d+$", query) or '"id" IN (SELECT' in query for query in sql)
    last = DocumentVersion.objects.get(number=count)
    assert response["Last-Modified"] == last.published_at.strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_api_last_modified_is_answered_by_its_covering_index(client):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's query plan")
    fill(LONG, large=0)
    _response, sql = queries_of(client, API)
    plan = plan_of(next(query for query in sql if "legal_documentversion" in query))
    assert "COVERING INDEX version_changes" in plan, plan


def test_the_reader_reads_entities_attributes_and_void_tags_as_html_does():
    """The redline's HTML reader: text unescaped, permalinks skipped, <br> a space, anchors from ids."""
    html = render_markdown(
        "Mở đầu &amp; A < B  \nnext\n\n## Điều 1 & 2\n\n| a | b |\n|---|---|\n| 1 &lt; 2 | x |\n\n- một\n  - hai\n",
        permalink_label="Liên kết",
    ).html
    sections = [(s.anchor, s.level, s.title, [(b.kind, b.text) for b in s.blocks]) for s in read_sections(html)]
    assert sections == [
        ("", 1, "", [("p", "Mở đầu & A < B next")]),
        (
            "dieu-1-2",
            2,
            "Điều 1 & 2",
            [("th", "a"), ("th", "b"), ("td", "1 < 2"), ("td", "x"), ("li", "một"), ("li", "hai")],
        ),
    ]
    assert read_sections("<p class=\"x\" title='a>b'>one<br/>two</p> stray < text") == read_sections(
        '<p class="x">one two</p>stray &lt; text'
    )


@pytest.mark.parametrize(
    "path", ["/vi/terms-of-service/", "/vi/terms-of-service/versions/3/", "/vi/terms-of-service/compare/3/4/"]
)
def test_reader_pages_look_their_versions_up_by_key(client, path):
    """Current, version and comparison pages read their few rows by key, not by walking the document's versions."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's query plan")
    fill(LONG, large=0)
    _response, sql = queries_of(client, path)
    plan = plan_of(next(query for query in sql if "legal_documentversion" in query))
    assert "SEARCH legal_documentversion USING INTEGER PRIMARY KEY" in plan, plan
    assert "SEARCH legal_documentversion USING INDEX" not in plan and "SCAN legal_documentversion" not in plan, plan
