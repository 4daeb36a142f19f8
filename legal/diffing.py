"""What changed between two versions: a redline computed on the text's structure.

The stored (sanitised) HTML of each version is read back into sections (by anchor) and
blocks (paragraphs, list items, table cells, ...) of plain text; sections are lined up by
their anchors, blocks and the words inside changed blocks by a longest common subsequence
(RapidFuzz, the only module that calls it), and runs of changed words are grouped by
diff-match-patch's semantic clean-up. The result is data; templates build the HTML from
it, so it is always well-formed and every piece of text is escaped by the template engine.

Bounded work, same answer under any load. The alignment is exact (the fewest words
marked) and costs about n × m / 64 machine-word steps for n and m items, whatever the
texts say: texts within the renderer's limits (legal.rendering.LIMITS) need no deadline,
and nothing in a redline depends on a clock. `make bench` measures the worst cases.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from html import unescape

from diff_match_patch import diff_match_patch
from rapidfuzz.distance import Indel

from .sanitizer import HEADING_TAGS as HEADINGS

BLOCKS = {"p", "li", "td", "th", "pre", "blockquote"}
# A word or a punctuation mark with the spaces after it: half as many tokens as words and
# spaces apart, so half the work for the same edits.
TOKEN = re.compile(r"\w+\s*|[^\w\s]\s*|\s+", re.UNICODE)
TRAILING_SPACE = re.compile(r"\s*\Z")
INTRO = ""  # the anchor of the text before the first heading
# Revision of the redline's output; stored redlines of another revision are not reused.
ALGORITHM = 3
DIFF_DELETE, DIFF_EQUAL, DIFF_INSERT = (
    diff_match_patch.DIFF_DELETE,
    diff_match_patch.DIFF_EQUAL,
    diff_match_patch.DIFF_INSERT,
)
_CLEANUP = diff_match_patch()
# Two sections with this share of words in common are one section renamed.
RENAME_SIMILARITY = 0.6


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


class _Reader:
    """Read sanitised version HTML into sections of text blocks.

    The HTML is the sanitiser's output: every attribute quoted, `<`, `>` and `&` in text
    escaped, no comments, scripts or CDATA. One regular expression finds its tags, several
    times faster than html.parser's general tokenizer, which took most of a redline's time
    on texts near the size limit. Anything else (a stray `<`) is read as text.
    """

    TAG = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""")
    ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")

    def __init__(self):
        self.sections = [Section(anchor=INTRO, level=1, title="")]
        self.stack = []
        self.text = []
        self.skip = 0

    def feed(self, html):
        position = 0
        for match in self.TAG.finditer(html):
            if match.start() > position:
                self.handle_data(unescape(html[position : match.start()]))
            position = match.end()
            closing, tag, rest = match.groups()
            tag = tag.lower()
            if closing:
                self.handle_endtag(tag)
                continue
            attrs = [(name.lower(), unescape(d or s or b)) for name, d, s, b in self.ATTRIBUTE.findall(rest)]
            self.handle_starttag(tag, attrs)
            if rest.endswith("/"):  # <br/>: html.parser's handle_startendtag
                self.handle_endtag(tag)
        if position < len(html):
            self.handle_data(unescape(html[position:]))

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
        self._flush()
        return [s for s in self.sections if s.anchor != INTRO or s.blocks]


def _squash(text):
    # str.split() and the pattern \s split at the same (Unicode) white space; split is faster.
    return " ".join(text.split())


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


def _align(old, new, *, semantic=False):
    """[(op, old_items, new_items)] aligning two sequences of hashable items exactly.

    The alignment is a longest common subsequence (the fewest words or blocks marked), found
    by RapidFuzz's bit-parallel algorithm: about n × m / 64 machine-word steps whatever the
    texts, so it needs no deadline and its answer never depends on load. With `semantic`,
    diff-match-patch's semantic clean-up folds a run of changed words into one deletion
    followed by one insertion (not for blocks: an unchanged paragraph between two changed
    ones stays unchanged); for that, each distinct item becomes one character.
    """
    if old == new:
        return [("equal", old, new)] if old else []
    diffs = []
    for tag, i1, i2, j1, j2 in Indel.opcodes(old, new):
        if tag == "equal":
            diffs.append((DIFF_EQUAL, i2 - i1))
        if tag in ("delete", "replace"):
            diffs.append((DIFF_DELETE, i2 - i1))
        if tag in ("insert", "replace"):
            diffs.append((DIFF_INSERT, j2 - j1))
    diffs = _deletions_first(diffs)
    if semantic and len(set(old) | set(new)) <= 0x1FFFD:  # distinct items fit two private planes
        codes = {}

        def encode(items):
            # Private-use planes: the clean-up's word-boundary scoring sees no letters or spaces.
            return "".join(chr(0xF0000 + codes.setdefault(item, len(codes))) for item in items)

        a, b = encode(old), encode(new)
        chars, i, j = [], 0, 0
        for op, n in diffs:
            chars.append((op, b[j : j + n] if op == DIFF_INSERT else a[i : i + n]))
            i, j = i + (n if op != DIFF_INSERT else 0), j + (n if op != DIFF_DELETE else 0)
        _CLEANUP.diff_cleanupSemantic(chars)
        diffs = [(op, len(text)) for op, text in chars]
    result, i, j = [], 0, 0
    for op, n in diffs:
        if op == DIFF_EQUAL:
            result.append(("equal", old[i : i + n], new[j : j + n]))
            i, j = i + n, j + n
        elif op == DIFF_DELETE:
            result.append(("delete", old[i : i + n], []))
            i += n
        else:
            result.append(("insert", [], new[j : j + n]))
            j += n
    return result


def _deletions_first(diffs):
    """Each run of changes as one deletion then one insertion, as diff-match-patch gives it."""
    merged, deleted, inserted = [], 0, 0
    for op, n in [*diffs, (DIFF_EQUAL, 0)]:
        if op == DIFF_DELETE:
            deleted += n
        elif op == DIFF_INSERT:
            inserted += n
        else:
            merged += [(o, k) for o, k in ((DIFF_DELETE, deleted), (DIFF_INSERT, inserted)) if k]
            deleted = inserted = 0
            if n:
                merged.append((op, n))
    return merged


def diff_words(old, new):
    """[(op, text)] turning `old` into `new`, word by word; changed runs are grouped."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    segments = []
    for op, olds, news in _align(a, b, semantic=True):
        segments.append((op, "".join(news if op == "insert" else olds)))
        if op == "insert" and len(segments) > 1 and segments[-2][0] == "delete":
            # "sẽ " -> "phải ": the space both end with is unchanged text, not part of the edit.
            deleted, inserted = segments[-2][1], segments[-1][1]
            space = TRAILING_SPACE.search(deleted).group()
            if space and inserted.endswith(space) and len(space) < min(len(deleted), len(inserted)):
                segments[-2:] = [("delete", deleted[: -len(space)]), ("insert", inserted[: -len(space)])]
                segments.append(("equal", space))
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
    """Blocks lined up by their text; a deletion followed by an insertion pairs up in order."""
    changes, pending = [], []

    def flush():
        olds = [b for op, b in pending if op == "delete"]
        news = [b for op, b in pending if op == "insert"]
        paired = min(len(olds), len(news))
        for old, new in zip(olds[:paired], news[:paired], strict=True):
            changes.append(BlockChange(new.kind, "changed", diff_words(old.text, new.text)))
        changes.extend(BlockChange(b.kind, "removed", [("delete", b.text)]) for b in olds[paired:])
        changes.extend(BlockChange(b.kind, "added", [("insert", b.text)]) for b in news[paired:])
        pending.clear()

    old_texts = [b.text for b in old_blocks]
    new_texts = [b.text for b in new_blocks]
    i = j = 0
    for op, olds, news in _align(old_texts, new_texts):
        if op == "equal":
            flush()
            changes.extend(BlockChange(b.kind, "unchanged", [("equal", b.text)]) for b in new_blocks[j : j + len(news)])
        else:
            pending.extend(("delete", b) for b in old_blocks[i : i + len(olds)])
            pending.extend(("insert", b) for b in new_blocks[j : j + len(news)])
        i, j = i + len(olds), j + len(news)
    flush()
    return changes


def _similar(a, b):
    """Share of words in common (as multisets): linear, whatever the texts."""
    words_a = Counter(TOKEN.findall(" ".join(block.text for block in a.blocks)))
    words_b = Counter(TOKEN.findall(" ".join(block.text for block in b.blocks)))
    total = sum(words_a.values()) + sum(words_b.values())
    if not total:
        return True
    return 2 * sum((words_a & words_b).values()) / total >= RENAME_SIMILARITY


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


def compare_section(old, new):
    """The SectionChange from section `old` to section `new`; either may be None (added, removed)."""
    if old is None:
        blocks = [BlockChange(b.kind, "added", [("insert", b.text)]) for b in new.blocks]
        return SectionChange(new.anchor, new.level, "added", new.title, "", blocks)
    if new is None:
        blocks = [BlockChange(b.kind, "removed", [("delete", b.text)]) for b in old.blocks]
        return SectionChange(old.anchor, old.level, "removed", old.title, old.title, blocks)
    blocks = _diff_blocks(old.blocks, new.blocks)
    if old.title != new.title:
        status = "renamed"
    elif any(block.status != "unchanged" for block in blocks):
        status = "changed"
    else:
        status = "unchanged"
    return SectionChange(new.anchor, new.level, status, new.title, old.title, blocks)


def compare_html(old_html, new_html):
    """The redline from `old_html` to `new_html` (stored, sanitised version HTML)."""
    pairs = _line_up(read_sections(old_html), read_sections(new_html))
    return Redline(sections=[compare_section(old, new) for old, new in pairs])


def compare_versions(old, new, language):
    return compare_html(getattr(old, f"body_html_{language}") or "", getattr(new, f"body_html_{language}") or "")


def redline_to_data(redline):
    """The redline as JSON-ready lists (legal.redlines stores it)."""
    return [
        [s.anchor, s.level, s.status, s.title, s.old_title, [[b.kind, b.status, b.segments] for b in s.blocks]]
        for s in redline.sections
    ]


def redline_from_data(data):
    return Redline(
        sections=[
            SectionChange(
                anchor, level, status, title, old_title,
                [BlockChange(kind, block_status, [tuple(segment) for segment in segments])
                 for kind, block_status, segments in blocks],
            )
            for anchor, level, status, title, old_title, blocks in data
        ]
    )  # fmt: skip
