"""Markdown text in, safe HTML and a table of contents out: the one place that renders.

A pure module: no database, no request, no active language. The Markdown engine
(Python-Markdown) is used only here, and sanitising is delegated to `legal.sanitizer`,
so either can be swapped without touching the rest of the project.
"""

import html
import re
import unicodedata
from dataclasses import dataclass, field

import markdown
import yaml
from markdown.extensions import Extension
from markdown.extensions.toc import render_inner_html, strip_tags
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from django.utils.text import slugify

from .sanitizer import HEADING_TAGS, ID_PATTERN, sanitize_html

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.DOTALL)

# Ids and names the page itself uses; a heading slug equal to one of them is prefixed so
# that section anchors never collide with (or clobber, via named DOM access) the page's own.
RESERVED_IDS = frozenset(
    {
        "main", "content", "toc", "header", "footer", "nav", "top", "search",
        "csrfmiddlewaretoken", "email", "language", "next", "subscribe", "submit",
        "document", "window", "location", "history", "versions", "compare", "on-date",
        "skip", "site-header", "site-footer", "language-switcher", "notice", "banner",
        "document-title", "hashes-title", "subscribe-title", "subscribe-email", "subscribe-language",
        "history-day", "compare-a", "compare-b",
    }
)  # fmt: skip

LIST_ITEM = re.compile(r"^ {0,3}(?:[*+-]|\d{1,9}[.)])[ \t]+\S")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
# The heading levels a page's table of contents lists.
TOC_LEVELS = (2, 3)


class FrontMatterError(ValueError):
    """The YAML front matter of a source file cannot be read."""


# Limits ------------------------------------------------------------------------------
# Python-Markdown has inputs that take it minutes or past Python's recursion limit: every
# "[" or "](" scans for its closing bracket to the end of the paragraph (100,000 "[" ran
# past 30 s), thousands of headings are slow, lists nested ~500 deep raise RecursionError.
# Text past these limits is refused before rendering; text within them renders in a
# fraction of a second (`make bench` measures the slowest). The bundled Terms use about
# 5 % of the size, 2 % of the headings and 4 of the 100 levels of nesting.


@dataclass(frozen=True)
class Limits:
    body_chars: int = 150_000  # about 25,000 words
    line_chars: int = 30_000  # a 3,000-word paragraph on one line fits
    headings: int = 500
    nesting_depth: int = 100  # lists and block quotes: markers, plus 1 per 2 columns of indent
    # Characters Python-Markdown scans looking for the "]" or ")" that closes each "[" or
    # "](", summed over the text: unclosed brackets in long paragraphs add up quickly.
    bracket_scan_chars: int = 200_000
    # The standard library's HTML parser, which Python-Markdown runs over the whole text,
    # and the emphasis and code patterns slow down with the count of these marks, not the size.
    html_tags: int = 600  # "<" followed by a letter, "/", "!" or "?"
    inline_marks: int = 3_000  # "*", "_" and "`"


LIMITS = Limits()


class RenderLimitError(ValueError):
    """The text is past one of the renderer's limits; `code` says which."""

    MESSAGES = {
        "body_chars": "the text is {found:,} characters long; the limit is {limit:,}",
        "line_chars": "line {line} is {found:,} characters long; the limit is {limit:,}",
        "headings": "the text has {found:,} headings; the limit is {limit:,}",
        "nesting_depth": "line {line} is nested {found} levels deep (lists, quotes); the limit is {limit}",
        "bracket_scan_chars": "too many unclosed [ or ( brackets in long paragraphs (near line {line})",
        "html_tags": "the text has {found:,} HTML tags; the limit is {limit:,}",
        "inline_marks": "the text has {found:,} *, _ and ` marks; the limit is {limit:,}",
    }

    def __init__(self, code, *, limit, found, line=None):
        self.code, self.limit, self.found, self.line = code, limit, found, line
        super().__init__(self.MESSAGES[code].format(limit=limit, found=found, line=line))


CONTAINER_PREFIX = re.compile(r"[ \t]*(?:>|(?:[*+-]|\d{1,9}[.)])(?=[ \t]|$))")
ATX_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
SETEXT_UNDERLINE = re.compile(r"[ \t]{0,3}(?:=+|-+)[ \t]*$")
ESCAPED = re.compile(r"\\.", re.DOTALL)
BACKTICKS = re.compile(r"`+")
HTML_TAG = re.compile(r"<[A-Za-z/!?]")


def _depth_and_rest(line):
    """(nesting depth, text after the container markers) of one source line."""
    expanded = line.expandtabs(4)
    indent = len(expanded) - len(expanded.lstrip(" "))
    depth, position = indent // 2, 0
    while match := CONTAINER_PREFIX.match(expanded, position):
        depth, position = depth + 1, match.end()
    return depth, expanded[position:].lstrip()


def _bracket_scan(paragraph):
    """Characters Python-Markdown's link patterns scan in `paragraph` (an upper estimate).

    Escapes and code spans hide their brackets from the link patterns, so they are blanked
    first; then each "[" costs the distance to its matching "]" (or to the end), and each
    "(" right after a "]" the distance to its matching ")".
    """
    unescaped = ESCAPED.sub("  ", paragraph)
    text = list(unescaped)
    opened = None  # a code span runs from a run of backticks to the next run as long
    for run in BACKTICKS.finditer(unescaped):
        if opened is None or len(opened.group()) != len(run.group()):
            opened = opened or run
            continue
        text[opened.start() : run.end()] = " " * (run.end() - opened.start())
        opened = None
    cost, open_square, open_round = 0, [], []
    for position, char in enumerate(text):
        if char == "[":
            open_square.append(position)
        elif char == "]" and open_square:
            cost += position - open_square.pop()
        elif char == "(" and position and text[position - 1] == "]":
            open_round.append(position)
        elif char == ")" and open_round:
            cost += position - open_round.pop()
    return cost + sum(len(text) - position for position in open_square + open_round)


def check_limits(text: str, limits: Limits = LIMITS) -> None:
    """Raise RenderLimitError if `text` is past one of `limits`; cheap (linear) to run."""
    if len(text) > limits.body_chars:
        raise RenderLimitError("body_chars", limit=limits.body_chars, found=len(text))
    for code, found in (
        ("html_tags", len(HTML_TAG.findall(text))),
        ("inline_marks", text.count("*") + text.count("_") + text.count("`")),
    ):
        if found > getattr(limits, code):
            raise RenderLimitError(code, limit=getattr(limits, code), found=found)
    headings, scanned, paragraph, start, in_fence = 0, 0, [], 1, False
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > limits.line_chars:
            raise RenderLimitError("line_chars", limit=limits.line_chars, found=len(line), line=number)
        if FENCE.match(line):
            in_fence = not in_fence
        if in_fence:  # code: no nesting, headings or links inside
            continue
        depth, rest = _depth_and_rest(line)
        if depth > limits.nesting_depth:
            raise RenderLimitError("nesting_depth", limit=limits.nesting_depth, found=depth, line=number)
        headings += bool(ATX_HEADING.match(rest) or SETEXT_UNDERLINE.match(line))
        if line.strip():
            paragraph.append(line)
            continue
        scanned += _bracket_scan("\n".join(paragraph)) if paragraph else 0
        if scanned > limits.bracket_scan_chars:
            raise RenderLimitError("bracket_scan_chars", limit=limits.bracket_scan_chars, found=scanned, line=start)
        paragraph, start = [], number + 1
    scanned += _bracket_scan("\n".join(paragraph)) if paragraph else 0
    if scanned > limits.bracket_scan_chars:
        raise RenderLimitError("bracket_scan_chars", limit=limits.bracket_scan_chars, found=scanned, line=start)
    if headings > limits.headings:
        raise RenderLimitError("headings", limit=limits.headings, found=headings)


@dataclass(frozen=True)
class Section:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class RenderedMarkdown:
    title: str
    html: str
    sections: tuple = field(default_factory=tuple)

    @property
    def section_ids(self) -> list[str]:
        return [section.id for section in self.sections]


def split_front_matter(text: str) -> tuple[dict, str]:
    """Return (metadata, body) for a source file; metadata is {} when there is none."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        metadata = yaml.safe_load(match.group(1) or "") or {}
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FrontMatterError(f"invalid YAML front matter: {problem}") from None
    except ValueError as exc:  # a well-formed but impossible timestamp: 2026-02-30
        raise FrontMatterError(f"invalid YAML front matter: {exc}") from None
    if not isinstance(metadata, dict):
        raise FrontMatterError("front matter must be a mapping of keys to values")
    return metadata, text[match.end() :]


def slugify_heading(text: str) -> str:
    """Readable ASCII anchor for a heading: "1. Các định nghĩa" -> "1-cac-dinh-nghia"."""
    text = unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")
    # Django's slugify keeps "_", which the sanitiser's id pattern does not allow.
    return re.sub(r"[-_]+", "-", slugify(text))[:80].strip("-") or "section"


def _unique(candidate, used):
    if candidate in RESERVED_IDS:
        candidate = f"section-{candidate}"
    result, counter = candidate, 2
    while result in used:
        result = f"{candidate}-{counter}"
        counter += 1
    used.add(result)
    return result


class _ListsAfterParagraphs(Preprocessor):
    """Start a list where a list item line directly follows a paragraph line.

    Python-Markdown folds such items into the paragraph; a reader of the source sees a
    list, so a blank line is inserted before the first item (outside code fences).
    """

    def run(self, lines):
        out, in_fence, in_list, previous_blank = [], False, False, True
        for line in lines:
            if FENCE.match(line):
                in_fence = not in_fence
            elif not in_fence:
                is_item = bool(LIST_ITEM.match(line))
                if is_item and not previous_blank and not in_list:
                    out.append("")
                if is_item:
                    in_list = True
                elif line.strip() and previous_blank and not line[:1].isspace():
                    in_list = False
            out.append(line)
            previous_blank = not line.strip()
        return out


class _Sections(Treeprocessor):
    """Give every heading its anchor, take the leading h1 as the title, keep one h1."""

    def __init__(self, md, section_ids):
        super().__init__(md)
        self.section_ids = section_ids

    def run(self, root):
        children = list(root)
        if children and children[0].tag == "h1":
            self.md.document_title = self._text(children[0])
            root.remove(children[0])
        used, sections = set(), []
        headings = [el for el in root.iter() if el.tag in HEADING_TAGS]
        for position, el in enumerate(headings):
            if el.tag == "h1":  # the page has one h1, the title; later ones become sections
                el.tag = "h2"
            text = self._text(el)
            if (
                self.section_ids is not None
                and position < len(self.section_ids)
                and ID_PATTERN.match(str(self.section_ids[position]))
            ):
                candidate = self.section_ids[position]
            elif el.get("id"):
                candidate = slugify_heading(el.get("id"))
            else:
                candidate = slugify_heading(text)
            el.set("id", _unique(candidate, used))
            sections.append(Section(level=int(el.tag[1]), id=el.get("id"), text=text))
        self.md.document_sections = tuple(sections)

    def _text(self, el):
        return html.unescape(strip_tags(render_inner_html(el, self.md))).strip()


class _SectionsExtension(Extension):
    def __init__(self, section_ids=None):
        self.section_ids = section_ids
        super().__init__()

    def extendMarkdown(self, md):
        md.preprocessors.register(_ListsAfterParagraphs(md), "lists_after_paragraphs", 25)
        # After attr_list (8) has applied explicit {#id}s, before the toc-less serialiser.
        md.treeprocessors.register(_Sections(md, self.section_ids), "sections", 6)


def render_markdown(
    text: str, *, section_ids: list[str] | None = None, permalink_label: str | None = None
) -> RenderedMarkdown:
    """Render Markdown `text` to sanitised HTML.

    `section_ids` are the anchors of the authoritative language's headings, in outline
    order; a translation passes them so that its headings take the same anchors by
    position. `permalink_label` is the accessible name of the "link to this section"
    anchors (None adds no anchors). Text past `LIMITS` raises RenderLimitError unrendered.
    """
    text = unicodedata.normalize("NFC", text)
    check_limits(text)
    md = markdown.Markdown(
        extensions=[
            "attr_list",
            "abbr",
            "tables",
            "fenced_code",
            "mdx_truly_sane_lists",
            _SectionsExtension(section_ids),
        ],
        extension_configs={
            "mdx_truly_sane_lists": {"nested_indent": 2, "truly_sane": True},
            "tables": {"use_align_attribute": True},
        },
        output_format="html",
    )
    # Python-Markdown skips the tree processors for blank input, so start from empty results.
    md.document_title, md.document_sections = "", ()
    rendered = md.convert(text)
    return RenderedMarkdown(
        title=md.document_title,
        # Only the ids assigned above survive: raw HTML cannot bring its own heading ids.
        html=sanitize_html(
            rendered, permalink_label=permalink_label, heading_ids=[section.id for section in md.document_sections]
        ),
        sections=md.document_sections,
    )
