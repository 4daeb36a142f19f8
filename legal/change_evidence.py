"""The diff's evidence about a change's kind: which clauses' words changed between two versions.

An editorial change (typo, formatting) needs no notice period, so it is the kind a mistake
costs most with. The evidence is deliberately plain: a clause is its section of the
rendered text, its words are its runs of letters and digits. Markup, punctuation, spacing
and line breaks are formatting; any other difference (a word added, removed, replaced or
moved, a section added or removed) changes the words, and such a change is editorial only
when the publisher confirms it (`publish_version(editorial_confirmed=True)`).

Linear in the length of the texts: no alignment is computed, only compared.
"""

import re
from dataclasses import dataclass

from .diffing import read_sections
from .models import language_codes

WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class ClauseChange:
    """The words of one section (`title`, in `language`) differ between the two versions."""

    language: str
    anchor: str
    title: str


def _words_by_section(html):
    return {
        section.anchor: (section.title, WORD.findall(" ".join([section.title, *(b.text for b in section.blocks)])))
        for section in read_sections(html)
    }


def changed_clauses(old, new):
    """[ClauseChange] for every section whose words differ from `old` to `new`, in `new`'s order.

    A language present in only one of the two versions counts as changed in every section.
    `old` None (a document's first version) gives no evidence: [].
    """
    if old is None:
        return []
    changes = []
    for code in language_codes():
        before = _words_by_section(getattr(old, f"body_html_{code}") or "")
        after = _words_by_section(getattr(new, f"body_html_{code}") or "")
        for anchor, (title, words) in after.items():
            if anchor not in before or before[anchor][1] != words:
                changes.append(ClauseChange(code, anchor, title))
        changes.extend(
            ClauseChange(code, anchor, title) for anchor, (title, _words) in before.items() if anchor not in after
        )
    return changes


def words_changed(old, new):
    """Whether any clause's words differ: the evidence that a change is material."""
    return bool(changed_clauses(old, new))
