"""Two languages of one version, side by side: sections lined up by their shared anchors.

Each translation's headings take the anchor of the heading at the same place in the
authoritative outline (legal.rendering), so the anchor is what ties a Vietnamese section to
its English one. The stored, sanitised HTML of each language is cut at its top-level
headings (never inside a list or quote, so every piece stays well-formed) and the pieces
are paired by anchor, in the authoritative order; a section one language lacks is an empty
cell that says so. One forward scan of each text: linear in its length.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from .sanitizer import HEADING_TAGS

VOID = {"br", "hr", "img", "wbr", "col", "input", "meta", "link", "area", "base", "source"}
INTRO = ""
ID_ATTRIBUTE = re.compile(r"""(\sid=["']?)""")  # the anchor of the text before the first heading


@dataclass
class Piece:
    anchor: str
    level: int
    html: str


@dataclass
class Row:
    anchor: str
    level: int
    cells: dict  # language code -> html, or None when that language lacks the section


class _Cutter(HTMLParser):
    """Offsets of the top-level headings with an id in one HTML text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.cuts = []  # (offset, anchor, level)
        self.ids = []  # (offset, start tag) of every heading with an id, at any depth
        self.lines = [0]

    def handle_starttag(self, tag, attrs):
        if tag in HEADING_TAGS and dict(attrs).get("id"):
            line, column = self.getpos()
            offset = self.lines[line - 1] + column
            self.ids.append((offset, self.get_starttag_text()))
            if self.depth == 0:
                self.cuts.append((offset, dict(attrs)["id"], int(tag[1])))
        if tag not in VOID:
            self.depth += 1

    def handle_startendtag(self, tag, attrs):
        pass  # <br/>: no depth

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.depth = max(0, self.depth - 1)


def split_sections(html, *, id_prefix=""):
    """[Piece] of `html` (stored, sanitised version HTML), cut before each top-level heading.

    With `id_prefix`, every heading's id gets it (two languages on one page would
    otherwise repeat each id); only heading start tags are rewritten, never text.
    """
    html = html or ""
    cutter = _Cutter()
    offset = 0
    for line in html.splitlines(keepends=True):
        offset += len(line)
        cutter.lines.append(offset)
    cutter.feed(html)
    cutter.close()
    if id_prefix:
        html, cuts = _prefix_ids(html, cutter, id_prefix)
    else:
        cuts = cutter.cuts
    pieces, start = [], 0
    anchor, level = INTRO, 1
    for cut, next_anchor, next_level in cuts:
        if html[start:cut].strip():
            pieces.append(Piece(anchor, level, html[start:cut]))
        start, anchor, level = cut, next_anchor, next_level
    if html[start:].strip():
        pieces.append(Piece(anchor, level, html[start:]))
    return pieces


def _prefix_ids(html, cutter, prefix):
    """`html` with `prefix` added to each heading id, and the cuts moved to match."""
    parts, start, shift, moved = [], 0, {}, 0
    for offset, tag in cutter.ids:
        parts.append(html[start:offset])
        shift[offset] = moved
        rewritten = ID_ATTRIBUTE.sub(lambda m: f"{m.group(1)}{prefix}", tag, count=1)
        parts.append(rewritten)
        moved += len(rewritten) - len(tag)
        start = offset + len(tag)
    parts.append(html[start:])
    cuts = [(offset + shift[offset], anchor, level) for offset, anchor, level in cutter.cuts]
    return "".join(parts), cuts


def align(texts, order):
    """[Row] pairing the pieces of `texts` ({code: html}) by anchor, cells holding HTML.

    Heading ids in each cell get the cell's language as a prefix ("en-1-definitions").

    Rows follow the first language in `order` (the authoritative one); a section found
    only in another language comes after the row it follows there. Anchors are unique
    within one text (legal.rendering), so each cell holds one piece.
    """
    pieces = {
        code: [
            (piece.anchor, piece.level, piece.html) for piece in split_sections(texts.get(code), id_prefix=f"{code}-")
        ]
        for code in order
    }
    rows = _line_up(pieces, order)
    for row in rows:
        row.cells = {code: "".join(parts) if parts else None for code, parts in row.cells.items()}
    return rows


def align_redlines(redlines, order):
    """[Row] pairing the sections of one redline per language ({code: Redline}) by anchor.

    A section that moved away keeps its old anchor, which the section in its new place may
    share: the two are different rows.
    """
    items = {
        code: [((s.anchor, s.status == "moved-away"), s.level, s) for s in redline.sections]
        for code, redline in redlines.items()
    }
    rows = _line_up(items, order)
    for row in rows:
        row.anchor = row.anchor[0]
        row.cells = {code: parts[0] if parts else None for code, parts in row.cells.items()}
    return rows


def _line_up(items, order):
    """Rows of {code: [item]} by key, in the first language's order; linear in the items."""
    rows, by_key = [], {}
    after = {}  # key of a row -> rows inserted after it by later languages, in order
    for index, code in enumerate(order):
        previous = None
        for key, level, item in items.get(code, ()):
            row = by_key.get(key)
            if row is None:
                row = by_key[key] = Row(key, level, {c: [] for c in order})
                if index == 0:
                    rows.append(row)
                else:
                    after.setdefault(previous, []).append(row)
            row.cells[code].append(item)
            previous = key
    if not after:
        return rows
    result, stack = [], [*reversed(rows), *reversed(after.get(None, []))]
    while stack:
        row = stack.pop()
        result.append(row)
        stack.extend(reversed(after.get(row.anchor, [])))
    return result
