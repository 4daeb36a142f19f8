"""A version's text read in sections, as the section ledger hashes them.

A version's text is read in sections exactly as the redline reads it (`legal.diffing.read_sections`
over the stored HTML, whose heading anchors `legal.rendering` assigned): first the title and
the text before the first heading (anchor ""), then one section per heading. A translation's
headings carry the anchor of the authoritative heading at the same outline position, so a
section is the same section in every language. The ledger itself is the model
`legal.models.SectionConfirmation`.
"""

from dataclasses import dataclass

from .diffing import INTRO, read_sections
from .models import text_sha256


@dataclass(frozen=True)
class SectionText:
    """One section of one language: its anchor, heading level, title and lines of plain text.

    `text` is the heading (the version's title for the opening section) followed by one line
    per block (paragraph, list item, table cell, ...); `sha256` is its `text_sha256` (the
    hash of this joined plain text, not of the Markdown: a section's markup may change
    without its words changing).
    """

    anchor: str
    level: int
    title: str
    lines: tuple

    @property
    def text(self):
        return "\n".join(self.lines)

    @property
    def sha256(self):
        return text_sha256(self.text)


def read_section_texts(title, html):
    """[SectionText] of one language of a version: its `title` and stored, sanitised `html`.

    A pure function (no database), also used by the migration that started the ledger.
    """
    sections = read_sections(html or "")
    opening = sections[0].blocks if sections and sections[0].anchor == INTRO else []
    title = title or ""
    result = []
    if title or opening:
        result.append(SectionText(INTRO, 1, title, (title, *(block.text for block in opening))))
    result.extend(
        SectionText(section.anchor, section.level, section.title, (section.title, *(b.text for b in section.blocks)))
        for section in sections
        if section.anchor != INTRO
    )
    return result


def text_lines(text):
    """The lines of a SectionText's `text` back: (heading, block, block, ...)."""
    return tuple(text.split("\n"))
