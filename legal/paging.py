"""Paging, done the same way by every page and API that pages: reading whole numbers from a
query string (`?page=N`, a log's `?tree_size=N`, a cursor `?after=<id>`), the window of rows
one page shows, page URLs, and keyset pages with their `Link: rel="next"` header.
"""

from django.http import QueryDict

from .links import site_url

# Five digits: more pages than any document will have versions, and a bound on the work.
MAX_DIGITS = 5
# Eighteen digits: any id or index; every such number fits a signed 64-bit database integer.
MAX_ID_DIGITS = 18


def whole_number(raw: str, *, max_digits: int = MAX_ID_DIGITS) -> int | None:
    """The number `raw` writes in at most `max_digits` ASCII digits (0 included), or None when it writes none."""
    if raw.isascii() and raw.isdigit() and 0 < len(raw) <= max_digits:
        return int(raw)
    return None


def page_number(raw: str) -> int | None:
    """The page number `raw` names (1, 2, ...), or None when it names none."""
    number = whole_number(raw, max_digits=MAX_DIGITS)
    return number if number else None


def window(page: int, size: int) -> slice:
    """The rows of page `page` (from 1) of `size` rows, and one more: when it comes, there is a next page."""
    start = (page - 1) * size
    return slice(start, start + size + 1)


def page_url(path: str, page: int) -> str:
    """The URL of page `page` of `path`: the first page has no `?page`."""
    return path if page == 1 else f"{path}?page={page}"


def after_cursor(raw: str) -> int | None:
    """The cursor `?after=<id>` names (the last id of the previous page; 0 for the first), or None."""
    return whole_number(raw)


def keyset_page(rows, *, after: int, size: int):
    """The page of `rows` after the id `after`, in id order, and the cursor of the next page (None on the last).

    A keyset page costs the same however deep it is, unlike an offset.
    """
    rows = rows.filter(pk__gt=after).order_by("pk")
    last = list(rows.values_list("pk", flat=True)[size - 1 : size + 1])
    return rows[:size], (last[0] if len(last) == 2 else None)


def next_link(request, *, after: int) -> str:
    """The `Link` header to the next keyset page: this request's URL with `after` set, absolute."""
    query: QueryDict = request.GET.copy()
    query["after"] = str(after)
    return f'<{site_url(f"{request.path}?{query.urlencode()}")}>; rel="next"'
