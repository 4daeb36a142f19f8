"""Page numbers in query strings (`?page=N`), read the same way by the history page and the API."""

# Five digits: more pages than any document will have versions, and a bound on the work.
MAX_DIGITS = 5


def page_number(raw: str) -> int | None:
    """The page number `raw` names (1, 2, ...), or None when it names none."""
    if raw.isascii() and raw.isdigit() and 0 < len(raw) <= MAX_DIGITS and int(raw) > 0:
        return int(raw)
    return None
