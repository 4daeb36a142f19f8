"""Paging: the one reading of page numbers, whole numbers and cursors, and keyset pages."""

import pytest

from django.test import RequestFactory

from legal import paging
from legal.models import DocumentVersion

from .conftest import make_version, site_time


@pytest.mark.parametrize(
    "raw, number",
    [("1", 1), ("42", 42), ("99999", 99999), ("0", None), ("00", None), ("100000", None), ("", None),
     ("-1", None), ("1.0", None), (" 1", None), ("١", None), ("²", None)],
)  # fmt: skip
def test_a_page_number_is_one_to_five_ascii_digits_and_not_zero(raw, number):
    """Arabic-Indic and superscript digits pass str.isdigit() but are no page number."""
    assert paging.page_number(raw) == number


@pytest.mark.parametrize(
    "raw, number",
    [("0", 0), ("7", 7), ("9" * 18, 10**18 - 1), ("9" * 19, None), ("", None), ("-0", None), ("1e3", None),
     ("١", None)],
)  # fmt: skip
def test_a_whole_number_and_a_cursor_are_up_to_eighteen_ascii_digits(raw, number):
    """Eighteen digits keep any number inside a 64-bit database integer."""
    assert paging.whole_number(raw) == number
    assert paging.after_cursor(raw) == number


def test_the_window_of_a_page_holds_one_row_more_than_the_page():
    """The extra row tells whether a next page exists."""
    assert paging.window(1, 50) == slice(0, 51)
    assert paging.window(3, 50) == slice(100, 151)
    assert list(range(10))[paging.window(2, 4)] == [4, 5, 6, 7, 8]


def test_the_first_page_url_has_no_page_parameter():
    assert paging.page_url("/vi/terms/history/", 1) == "/vi/terms/history/"
    assert paging.page_url("/vi/terms/history/", 2) == "/vi/terms/history/?page=2"


def test_keyset_pages_walk_every_row_once_in_id_order_and_link_the_next(terms, settings):
    """Each page starts after the cursor; the last page has no next cursor; the link keeps the other parameters."""
    settings.SITE_URL = "https://terms.sigma.video"
    for month in (1, 2, 3, 4):
        make_version(terms.document, effective_at=site_time(2027, month, 1))
    rows = DocumentVersion.objects.order_by("-number")  # the order given is replaced by id order
    ids = sorted(DocumentVersion.objects.values_list("pk", flat=True))
    assert len(ids) == 5

    seen, after, cursors = [], 0, []
    while after is not None:
        page, after = paging.keyset_page(rows, after=after, size=2)
        seen += [version.pk for version in page]
        cursors.append(after)
    assert seen == ids
    assert cursors == [ids[1], ids[3], None]

    request = RequestFactory().get("/api/export/", {"format": "csv", "after": "0"})
    assert paging.next_link(request, after=ids[1]) == (
        f'<https://terms.sigma.video/api/export/?format=csv&after={ids[1]}>; rel="next"'
    )


def test_a_page_that_ends_exactly_at_the_last_row_has_no_next_cursor(terms):
    """Two rows, pages of two: one page, no empty second page offered."""
    make_version(terms.document, effective_at=site_time(2027, 1, 1))
    page, after = paging.keyset_page(DocumentVersion.objects.all(), after=0, size=2)
    assert (len(page), after) == (2, None)
