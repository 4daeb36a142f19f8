"""Word changes regrouped the way a lawyer reads them, on top of legal.diffing's segments.

diffing.diff_words finds the minimal change between two texts, word by word. A reader
wants whole units instead: an email address, a web address, a number, a date or an amount
is one token (a changed address is one deletion and one insertion, never
~~contact~~legal@~~gviet~~sigma...), and a space or a punctuation mark alone never splits
a change in two. This module only rearranges the segments it is given: the old text (equal
and deleted parts) and the new text (equal and inserted parts) stay exactly the same.

Linear in the length of the two texts: every regular expression here is a single forward
scan without nested repetition.
"""

import re

# Units that are replaced whole. Order matters: the first alternative that matches wins.
# Each may start only where a unit can begin (the look-behinds), so a long run of letters,
# dots or "http://" is tried from one place, not from every character in it: without them a
# 30,000-letter word took minutes here.
ATOMIC = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # email address
    r"|(?<![\w/:.])(?:https?://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)]"  # web address, without closing punctuation
    r"|(?<![\w.-])\w+(?:[.-]\w+)*\.(?:video|vn|com|net|org|io|info|biz|edu|gov)\b"  # domain name
    r"|(?<![\w.,/-])[$€£¥₫]?\d+(?:[.,:/-]\d+)*(?:\s?(?:%|₫|đ|đồng|VNĐ|VND|USD)(?!\w))?",  # number, date, amount
    re.UNICODE | re.IGNORECASE,
)
# Text that may sit between two changes without being read as a separate, unchanged part.
FILLER = re.compile(r"[\s\W_]*", re.UNICODE)


def regroup(segments):
    """[(op, text)] with atomic units whole and each change one deletion then one insertion."""
    if not any(op != "equal" for op, _text in segments):
        return list(segments)
    pieces = _force_units(segments)
    pieces = _absorb_filler(pieces)
    return _tidy(_runs(pieces))


def _force_units(segments):
    """Equal characters inside an atomic unit that also holds a change join the change."""
    old_changed, new_changed = [], []  # (start, end) ranges, increasing
    old_points, new_points = [], []  # where the other side's edits sit, as (offset, offset + 1)
    i = j = 0
    for op, text in segments:
        n = len(text)
        if op == "delete":
            old_changed.append((i, i + n))
            new_points.append((j, j + 1))
            i += n
        elif op == "insert":
            new_changed.append((j, j + n))
            old_points.append((i, i + 1))
            j += n
        else:
            i, j = i + n, j + n
    old_text = "".join(t for op, t in segments if op != "insert")
    new_text = "".join(t for op, t in segments if op != "delete")
    old_cursor = _Cursor(_spans_touched(old_text, old_changed, old_points))
    new_cursor = _Cursor(_spans_touched(new_text, new_changed, new_points))

    pieces, i, j = [], 0, 0
    for op, text in segments:
        n = len(text)
        if op != "equal":
            pieces.append((op, text))
            i, j = (i + n, j) if op == "delete" else (i, j + n)
            continue
        # The forced parts of this equal stretch, from either side, as offsets into `text`.
        forced = sorted(
            [(a - i, b - i) for a, b in old_cursor.within(i, i + n)]
            + [(a - j, b - j) for a, b in new_cursor.within(j, j + n)]
        )
        start = 0
        for a, b in forced:
            a = max(a, start)
            if b <= a:
                continue
            _append(pieces, "equal", text[start:a])
            pieces.append(("both", text[a:b]))
            start = b
        _append(pieces, "equal", text[start:])
        i, j = i + n, j + n
    return pieces


def _spans_touched(text, changed, points):
    """Spans of ATOMIC units in `text` holding a changed range or an edit point strictly inside.

    The change lists are walked forward alongside the matches: linear.
    """
    touched, c, p = [], 0, 0
    for match in ATOMIC.finditer(text):
        start, end = match.span()
        while c < len(changed) and changed[c][1] <= start:
            c += 1
        while p < len(points) and points[p][0] <= start:
            p += 1
        hit = c < len(changed) and changed[c][0] < end
        hit = hit or (p < len(points) and points[p][0] < end)
        if hit:
            touched.append((start, end))
    return touched


class _Cursor:
    """Increasing, disjoint ranges, asked about increasing windows: linear over a text."""

    def __init__(self, ranges):
        self.ranges = ranges
        self.index = 0

    def within(self, start, end):
        """The parts of the ranges inside [start, end)."""
        while self.index < len(self.ranges) and self.ranges[self.index][1] <= start:
            self.index += 1
        parts, k = [], self.index
        while k < len(self.ranges) and self.ranges[k][0] < end:
            a, b = self.ranges[k]
            parts.append((max(a, start), min(b, end)))
            k += 1
        return parts


def _absorb_filler(pieces):
    """An equal stretch of spaces and punctuation between two changes joins them."""
    result = []
    for index, (op, text) in enumerate(pieces):
        if (
            op == "equal"
            and 0 < index < len(pieces) - 1
            and pieces[index - 1][0] != "equal"
            and pieces[index + 1][0] != "equal"
            and FILLER.fullmatch(text)
        ):
            result.append(("both", text))
        else:
            result.append((op, text))
    return result


def _runs(pieces):
    """Each run of changed pieces becomes one deletion followed by one insertion."""
    segments, deleted, inserted = [], [], []

    def flush():
        if deleted:
            segments.append(("delete", "".join(deleted)))
        if inserted:
            segments.append(("insert", "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for op, text in pieces:
        if op == "equal":
            flush()
            if segments and segments[-1][0] == "equal":
                segments[-1] = ("equal", segments[-1][1] + text)
            else:
                segments.append(("equal", text))
            continue
        if op in ("delete", "both"):
            deleted.append(text)
        if op in ("insert", "both"):
            inserted.append(text)
    flush()
    return segments


def _tidy(segments):
    """Spaces both sides of a change begin or end with are unchanged text, not the edit."""
    result = []
    index = 0
    while index < len(segments):
        op, text = segments[index]
        if op == "delete" and index + 1 < len(segments) and segments[index + 1][0] == "insert":
            deleted, inserted = text, segments[index + 1][1]
            lead = _common(_leading_space(deleted), _leading_space(inserted), deleted, inserted)
            if lead:
                deleted, inserted = deleted[len(lead) :], inserted[len(lead) :]
            trail = deleted[len(deleted.rstrip()) :]  # str methods: a regex search for trailing space is quadratic
            trail = trail if inserted.endswith(trail) and len(trail) < min(len(deleted), len(inserted)) else ""
            if trail:
                deleted, inserted = deleted[: -len(trail)], inserted[: -len(trail)]
            _append(result, "equal", lead)
            _append(result, "delete", deleted)
            _append(result, "insert", inserted)
            _append(result, "equal", trail)
            index += 2
            continue
        _append(result, op, text)
        index += 1
    return result


def _leading_space(text):
    return text[: len(text) - len(text.lstrip())]


def _common(a, b, deleted, inserted):
    """The leading space both sides share, unless taking it would empty either side."""
    shared = a if a == b else ""
    return shared if len(shared) < min(len(deleted), len(inserted)) else ""


def _append(segments, op, text):
    if not text:
        return
    if segments and segments[-1][0] == op:
        segments[-1] = (op, segments[-1][1] + text)
    else:
        segments.append((op, text))
