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

from .sanitizer import ID_PATTERN, sanitize_html

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
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
TOC_LEVELS = (2, 3)


class FrontMatterError(ValueError):
    """The YAML front matter of a source file cannot be read."""


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
    def section_ids(self):
        return [section.id for section in self.sections]

    @property
    def toc(self):
        return [section for section in self.sections if section.level in TOC_LEVELS]


def split_front_matter(text):
    """Return (metadata, body) for a source file; metadata is {} when there is none."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        metadata = yaml.safe_load(match.group(1) or "") or {}
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FrontMatterError(f"invalid YAML front matter: {problem}") from None
    if not isinstance(metadata, dict):
        raise FrontMatterError("front matter must be a mapping of keys to values")
    return metadata, text[match.end() :]


def slugify_heading(text):
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


def render_markdown(text, *, section_ids=None, permalink_label=None):
    """Render Markdown `text` to sanitised HTML.

    `section_ids` are the anchors of the authoritative language's headings, in outline
    order; a translation passes them so that its headings take the same anchors by
    position. `permalink_label` is the accessible name of the "link to this section"
    anchors (None adds no anchors).
    """
    text = unicodedata.normalize("NFC", text)
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
