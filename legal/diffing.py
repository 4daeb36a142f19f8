"""What changed between two versions: a redline computed on the text's structure.

The stored (sanitised) HTML of each version is read back into sections (by anchor) and
blocks (paragraphs, list items, table cells, ...) of plain text; sections are lined up by
their anchors, blocks by difflib, and words inside changed blocks by difflib again. The
result is data; templates build the HTML from it, so it is always well-formed and every
piece of text is escaped by the template engine.
"""

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from html.parser import HTMLParser

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
BLOCKS = {"p", "li", "td", "th", "pre", "blockquote"}
TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
INTRO = ""  # the anchor of the text before the first heading


@dataclass
class Block:
    kind: str
    text: str


@dataclass
class Section:
    anchor: str
    level: int
    title: str
    blocks: list = field(default_factory=list)


class _Reader(HTMLParser):
    """Read sanitised version HTML into sections of text blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections = [Section(anchor=INTRO, level=1, title="")]
        self.stack = []
        self.text = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("class") == "permalink":
            self.skip += 1
            self.stack.append("a.permalink")
            return
        if tag in HEADINGS:
            self._flush()
            self.sections.append(Section(anchor=attrs.get("id") or "", level=int(tag[1]), title=""))
        elif tag in BLOCKS or tag in {"ul", "ol", "table", "tr"}:
            self._flush()
        elif tag == "br":
            self.text.append(" ")
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == "a.permalink" and tag == "a":
            self.stack.pop()
            self.skip -= 1
            return
        if tag in HEADINGS:
            self.sections[-1].title = _squash("".join(self.text))
            self.text = []
        elif tag in BLOCKS:
            self._flush(tag)
        while self.stack:
            if self.stack.pop() == tag:
                break

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)

    def _flush(self, kind=None):
        text = _squash("".join(self.text))
        self.text = []
        if text:
            kind = kind or next((t for t in reversed(self.stack) if t in BLOCKS), "p")
            self.sections[-1].blocks.append(Block(kind=kind, text=text))

    def close(self):
        super().close()
        self._flush()
        return [s for s in self.sections if s.anchor != INTRO or s.blocks]


def _squash(text):
    return re.sub(r"\s+", " ", text).strip()


def read_sections(html):
    reader = _Reader()
    reader.feed(html or "")
    return reader.close()


# Results ----------------------------------------------------------------------------


@dataclass
class BlockChange:
    kind: str
    status: str  # "unchanged", "changed", "added", "removed"
    segments: list  # [(op, text)] with op in {"equal", "insert", "delete"}


@dataclass
class SectionChange:
    anchor: str
    level: int
    status: str  # "unchanged", "changed", "added", "removed", "renamed"
    title: str
    old_title: str
    blocks: list

    @property
    def changed(self):
        return self.status != "unchanged"


@dataclass
class Redline:
    sections: list

    @property
    def has_changes(self):
        return any(section.changed for section in self.sections)

    @property
    def counts(self):
        counts = {"added": 0, "removed": 0, "renamed": 0, "changed": 0, "unchanged": 0}
        for section in self.sections:
            counts[section.status] += 1
        return counts


def diff_words(old, new):
    """[(op, text)] turning `old` into `new`, word by word."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    segments = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(("equal", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            segments.append(("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            segments.append(("insert", "".join(b[j1:j2])))
    return _merge(segments)


def _merge(segments):
    merged = []
    for op, text in segments:
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        elif text:
            merged.append((op, text))
    return merged


def _diff_blocks(old_blocks, new_blocks):
    old_texts = [b.text for b in old_blocks]
    new_texts = [b.text for b in new_blocks]
    changes = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, old_texts, new_texts, autojunk=False).get_opcodes():
        if op == "equal":
            changes.extend(BlockChange(b.kind, "unchanged", [("equal", b.text)]) for b in new_blocks[j1:j2])
            continue
        olds, news = old_blocks[i1:i2], new_blocks[j1:j2]
        paired = min(len(olds), len(news)) if op == "replace" else 0
        for old, new in zip(olds[:paired], news[:paired], strict=True):
            changes.append(BlockChange(new.kind, "changed", diff_words(old.text, new.text)))
        changes.extend(BlockChange(b.kind, "removed", [("delete", b.text)]) for b in olds[paired:])
        changes.extend(BlockChange(b.kind, "added", [("insert", b.text)]) for b in news[paired:])
    return changes


def _similar(a, b):
    text_a = " ".join(block.text for block in a.blocks)
    text_b = " ".join(block.text for block in b.blocks)
    if not text_a and not text_b:
        return True
    return SequenceMatcher(None, text_a, text_b, autojunk=False).ratio() >= 0.6


def _line_up(old_sections, new_sections):
    """Pairs (old, new) in reading order; a section missing on one side is None there."""
    old_by_anchor = {s.anchor: s for s in old_sections}
    new_anchors = {s.anchor for s in new_sections}
    pairs, old_index = [], 0
    for new in new_sections:
        # Emit the old sections that vanished before this point, in their old order.
        while old_index < len(old_sections) and old_sections[old_index].anchor not in new_anchors:
            pairs.append((old_sections[old_index], None))
            old_index += 1
        old = old_by_anchor.get(new.anchor)
        if old is not None:
            while old_index < len(old_sections) and old_sections[old_index] is not old:
                if old_sections[old_index].anchor not in new_anchors:
                    pairs.append((old_sections[old_index], None))
                old_index += 1
            old_index += 1
        pairs.append((old, new))
    pairs.extend((old, None) for old in old_sections[old_index:] if old.anchor not in new_anchors)
    return _pair_renames(pairs)


def _pair_renames(pairs):
    """A removed section directly followed by an added one with similar text was renamed."""
    result, i = [], 0
    while i < len(pairs):
        old, new = pairs[i]
        if i + 1 < len(pairs) and new is None:
            next_old, next_new = pairs[i + 1]
            if next_old is None and next_new is not None and _similar(old, next_new):
                result.append((old, next_new))
                i += 2
                continue
        result.append((old, new))
        i += 1
    return result


def compare_html(old_html, new_html):
    """The redline from `old_html` to `new_html` (stored, sanitised version HTML)."""
    sections = []
    for old, new in _line_up(read_sections(old_html), read_sections(new_html)):
        if old is None:
            blocks = [BlockChange(b.kind, "added", [("insert", b.text)]) for b in new.blocks]
            sections.append(SectionChange(new.anchor, new.level, "added", new.title, "", blocks))
        elif new is None:
            blocks = [BlockChange(b.kind, "removed", [("delete", b.text)]) for b in old.blocks]
            sections.append(SectionChange(old.anchor, old.level, "removed", old.title, old.title, blocks))
        else:
            blocks = _diff_blocks(old.blocks, new.blocks)
            if old.title != new.title:
                status = "renamed"
            elif any(block.status != "unchanged" for block in blocks):
                status = "changed"
            else:
                status = "unchanged"
            sections.append(SectionChange(new.anchor, new.level, status, new.title, old.title, blocks))
    return Redline(sections=sections)


def compare_versions(old, new, language):
    return compare_html(getattr(old, f"body_html_{language}") or "", getattr(new, f"body_html_{language}") or "")
