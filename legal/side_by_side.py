"""Section-aligned editing of two languages: a Markdown body cut at its headings, and put back together.

Translations take the anchor of the authoritative heading at the same outline position
(`legal.rendering`), so the n-th section of one language is the n-th of the other: the
side-by-side editor pairs them by position. Cutting is lossless (`"".join(split_sections(t))
== t`), so a form that changes nothing saves the same bytes. Headings inside fenced code
blocks are text, not section breaks.
"""

import hashlib
import re
from dataclasses import dataclass
from itertools import zip_longest

HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def split_sections(text):
    """[intro, section, section, ...]: the text before the first heading (maybe ""), then one chunk per heading."""
    chunks, current, fence = [], [], None
    for line in (text or "").splitlines(keepends=True):
        opened = FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)[0]
        elif fence is not None and opened and opened.group(1)[0] == fence:
            fence = None
        elif fence is None and HEADING.match(line):
            chunks.append("".join(current))
            current = []
        current.append(line)
    chunks.append("".join(current))
    return chunks


def join_sections(chunks):
    """The body again: each chunk but the last ends its last line, so no heading is glued to the text above."""
    chunks = [chunk.replace("\r\n", "\n").replace("\r", "\n") for chunk in chunks]
    for index, chunk in enumerate(chunks[:-1]):
        if chunk and not chunk.endswith("\n"):
            chunks[index] = chunk + "\n"
    return "".join(chunks)


def heading_of(chunk):
    """The heading line's text without its #s, or "" for the intro."""
    first = chunk.split("\n", 1)[0]
    return first.strip().lstrip("#").strip() if HEADING.match(first) else ""


@dataclass(frozen=True)
class Row:
    """One section in both languages: `texts` maps language to its chunk ("" where a side lacks it)."""

    index: int
    title: str
    texts: dict

    @property
    def empty(self):
        return not any(self.texts.values())


def aligned_rows(version, languages):
    """The rows of the side-by-side editor; the first language names each row."""
    columns = [split_sections(getattr(version, f"body_{code}") or "") for code in languages]
    rows = []
    for index, chunks in enumerate(zip_longest(*columns, fillvalue="")):
        title = next((heading_of(chunk) for chunk in chunks if heading_of(chunk)), "")
        rows.append(Row(index=index, title=title, texts=dict(zip(languages, chunks, strict=True))))
    return rows


def bodies_fingerprint(version, languages):
    """SHA-256 of the bodies an editor opened, to refuse saving over someone else's change."""
    digest = hashlib.sha256()
    for code in languages:
        digest.update((getattr(version, f"body_{code}") or "").encode("utf-8") + b"\x00")
    return digest.hexdigest()
