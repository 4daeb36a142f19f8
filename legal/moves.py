"""Moved sections and paragraphs, found in a redline built by legal.diffing.

diffing lines sections up by anchor and blocks by their order, so text that moved reads as
a deletion in one place and an unrelated insertion in another, and a section that moved
past others (its anchor unchanged) is silently shown in its new place. This module finds
both and marks them as moves, at both places, with the same move number:

- sections: a removed section and an added one with the same or similar text are one
  section (renumbered or renamed); among the sections present in both versions, those
  outside the longest run kept in the same order (a longest increasing subsequence) moved.
  The new place shows the section (and its edits); the old place gets a "moved-away" entry.
- blocks (paragraphs, list items, ...): a removed block and an added one with the same or
  similar text, anywhere in the document, moved; the new place shows its edits, if any.

Every step is bounded by the input's size: exact matches go through a dictionary, near
matches look at a few candidates sharing the block's rarest word and stop after a fixed
amount of work (MOVE_WORK); the word diffs of moves found with edits share an allowance
too (MOVE_DIFF_WORDS: each such diff costs diffing's n × m / 64 word steps, and this
bounds how many there are). What is not matched stays a deletion and an insertion, which
is still a true redline.
"""

import html
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass

from . import diffing
from .grouping import regroup

# A block this short ("Không.", "a)") is not worth calling a move: it recurs by chance.
MIN_MOVE_WORDS = 4
# Near matches: at least this many words, and this share of words in common.
MIN_NEAR_WORDS = 8
NEAR_SIMILARITY = 0.75
# Candidates looked at per block, and words read in all near-match comparisons and
# diffs of one redline; past it, what is left stays deleted and inserted.
NEAR_CANDIDATES = 8
MOVE_WORK = 400_000
# Words (both sides) of all the sections and paragraphs diffed because they moved with edits.
MOVE_DIFF_WORDS = 12_000
SECTION_SIMILARITY = diffing.RENAME_SIMILARITY
WORD = diffing.TOKEN


@dataclass
class Move:
    number: int  # shared by both places: ids move-<n>-from and move-<n>-to
    end: str  # "from" (where the text was) or "to" (where it is now)
    other_title: str  # the section at the other place
    edited: bool  # the text also changed


class _Work:
    """Words read in near matching and words diffed, each with a fixed allowance per redline."""

    def __init__(self, allowance=MOVE_WORK, diffs=MOVE_DIFF_WORDS):
        self.left = allowance
        self.diff_left = diffs

    def spend(self, words):
        self.left -= words
        return self.left >= 0

    def diff(self, words):
        """Whether a diff of `words` fits what is left; only a diff that fits is charged."""
        if words > self.diff_left:
            return False
        self.diff_left -= words
        return True


def find_moves(redline, old_html):
    """Mark moves in `redline` (from diffing.compare_html(old_html, ...)), in place."""
    for section in redline.sections:
        section.move = None
        for block in section.blocks:
            block.move = None
    work = _Work()
    numbers = iter(range(1, 1_000_000_000))
    if len(redline.sections) > 1:  # one section cannot move: spare reading the old text again
        redline.sections = _section_moves(redline.sections, diffing.read_sections(old_html), numbers, work)
    _block_moves(redline.sections, numbers, work)
    return redline


# Sections -------------------------------------------------------------------------------


def _old_indexes(sections, old_sections):
    """The position in the old version of each redline section, None for added ones.

    diffing keeps the new anchor of a section renamed in place; those take the old
    sections left over, in order (diffing emits them in the old order).
    """
    by_anchor = {s.anchor: k for k, s in enumerate(old_sections)}
    indexes, unresolved, used = [None] * len(sections), [], set()
    for i, section in enumerate(sections):
        k = by_anchor.get(section.anchor)
        if section.status == "added":
            continue
        if section.status == "renamed" and (k is None or old_sections[k].title != section.old_title):
            unresolved.append(i)
            continue
        if k is None or k in used:
            return None
        indexes[i] = k
        used.add(k)
    left = [k for k in range(len(old_sections)) if k not in used]
    if len(left) != len(unresolved):
        return None  # not the shape diffing gives: claim no section moves
    for i, k in zip(unresolved, left, strict=True):
        indexes[i] = k
    return indexes


def _section_text(section):
    return "\n".join(segment_text for block in section.blocks for _op, segment_text in block.segments)


def _fragment(section):
    """HTML of one section, for diffing to compare two sections found to be the same one."""
    parts = [f'<h{section.level} id="s">{html.escape(section.title)}</h{section.level}>']
    for block in section.blocks:
        text = "".join(t for _op, t in block.segments)
        parts.append(f"<{block.kind}>{html.escape(text)}</{block.kind}>")
    return "".join(parts)


def _rematch_sections(sections, indexes, work):
    """Removed and added sections with the same or similar text are one section."""
    removed = [i for i, s in enumerate(sections) if s.status == "removed" and s.blocks]
    added = [i for i, s in enumerate(sections) if s.status == "added" and s.blocks]
    if not removed or not added:
        return sections, indexes
    by_text = {}
    for i in added:
        by_text.setdefault(_section_text(sections[i]), []).append(i)
    pairs, taken = [], set()
    for i in removed:
        candidates = [j for j in by_text.get(_section_text(sections[i]), []) if j not in taken]
        if candidates:
            pairs.append((i, candidates[0]))
            taken.add(candidates[0])
    words = {i: Counter(WORD.findall(_section_text(sections[i]))) for i in removed + added}
    for i in removed:
        if any(i == a for a, _b in pairs):
            continue
        for j in added:
            if j in taken:
                continue
            if not work.spend(len(words[i]) + len(words[j])):
                break
            if _share(words[i], words[j]) >= SECTION_SIMILARITY:
                pairs.append((i, j))
                taken.add(j)
                break
    if not pairs:
        return sections, indexes
    merged, drop = list(sections), set()
    for i, j in pairs:
        old, new = sections[i], sections[j]
        edited = _section_text(old) != _section_text(new)  # the same text diffs in linear time
        if edited and not work.diff(words[i].total() + words[j].total()):
            continue  # too big to diff within the allowance: stays removed and added
        compared = diffing.compare_html(_fragment(old), _fragment(new)).sections[0]
        status = "renamed" if old.title != new.title else compared.status
        merged[j] = diffing.SectionChange(new.anchor, new.level, status, new.title, old.title, compared.blocks)
        merged[j].move = None
        for block in merged[j].blocks:
            block.move = None
        indexes[j] = indexes[i]
        drop.add(i)
    keep = [k for k in range(len(merged)) if k not in drop]
    return [merged[k] for k in keep], [indexes[k] for k in keep]


def _share(a, b):
    total = sum(a.values()) + sum(b.values())
    return 2 * sum((a & b).values()) / total if total else 1.0


def _longest_increasing(values):
    """Positions in `values` of one longest strictly increasing subsequence: O(n log n)."""
    tails, tail_at, before = [], [], [None] * len(values)
    for position, value in enumerate(values):
        k = bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_at.append(position)
        else:
            tails[k] = value
            tail_at[k] = position
        before[position] = tail_at[k - 1] if k else None
    kept, position = set(), tail_at[-1] if tail_at else None
    while position is not None:
        kept.add(position)
        position = before[position]
    return kept


def _section_moves(sections, old_sections, numbers, work):
    indexes = _old_indexes(sections, old_sections)
    if indexes is None:
        return sections
    sections, indexes = _rematch_sections(sections, indexes, work)
    paired = [i for i, s in enumerate(sections) if indexes[i] is not None and s.status != "removed"]
    kept = {paired[p] for p in _longest_increasing([indexes[i] for i in paired])}
    moved = [i for i in paired if i not in kept]
    if not moved:
        return sections
    # Where each moved section used to be: after the section that preceded it in the old
    # version and stayed in place (or first of all).
    staying = {indexes[i]: i for i, s in enumerate(sections) if indexes[i] is not None and i not in moved}
    after, last = {}, -1
    for k in range(len(old_sections)):
        if k in staying:
            last = staying[k]
        after[k] = last
    placeholders = {}
    for i in sorted(moved, key=lambda i: indexes[i]):
        section = sections[i]
        number = next(numbers)
        old_title = section.old_title
        edited = any(block.status != "unchanged" for block in section.blocks)  # the heading shows its own change
        away = diffing.SectionChange(
            old_sections[indexes[i]].anchor, section.level, "moved-away", old_title, old_title, []
        )
        away.move = Move(number, "from", section.title, edited)
        section.move = Move(number, "to", old_title, edited)
        section.status = "moved"
        placeholders.setdefault(after[indexes[i]], []).append(away)
    result = list(placeholders.get(-1, []))
    for i, section in enumerate(sections):
        result.append(section)
        result.extend(placeholders.get(i, []))
    return result


# Blocks ---------------------------------------------------------------------------------


def _block_moves(sections, numbers, work):
    removed, added, splits = [], [], {}
    for section in sections:
        if section.status == "moved-away":
            continue
        for block in section.blocks:
            if block.status == "removed":
                removed.append((section, block))
            elif block.status == "added":
                added.append((section, block))
            elif block.status == "changed" and _mostly_replaced(block):
                # diffing pairs a deletion with the insertion beside it: a paragraph that moved
                # away and a new one written in its place. Its halves may each be half a move.
                old_text, new_text = (
                    "".join(t for op, t in block.segments if op != "insert"),
                    "".join(t for op, t in block.segments if op != "delete"),
                )
                halves = (
                    diffing.BlockChange(block.kind, "removed", [("delete", old_text)]),
                    diffing.BlockChange(block.kind, "added", [("insert", new_text)]),
                )
                for half in halves:
                    half.move = None
                splits[id(block)] = (section, block, halves)
                removed.append((section, halves[0]))
                added.append((section, halves[1]))
    text = {id(block): "".join(t for _op, t in block.segments) for _s, block in removed + added}
    words = {id(block): WORD.findall(text[id(block)]) for _s, block in removed + added}
    by_text, taken, pairs = {}, set(), []
    for k, (_section, block) in enumerate(added):
        by_text.setdefault(text[id(block)], []).append(k)
    unmatched = []
    for section, block in removed:
        if len(words[id(block)]) >= MIN_MOVE_WORDS:
            free = [k for k in by_text.get(text[id(block)], ()) if k not in taken]
            if free:
                taken.add(free[0])
                pairs.append(((section, block), added[free[0]]))
                continue
        unmatched.append((section, block))
    _near_matches(unmatched, added, taken, pairs, words, work)
    reading_order = {id(block): n for n, (_section, block) in enumerate(removed)}
    for (old_section, old_block), (new_section, new_block) in sorted(pairs, key=lambda p: reading_order[id(p[0][1])]):
        number = next(numbers)
        old_text, new_text = text[id(old_block)], text[id(new_block)]
        edited = old_text != new_text
        old_block.status = "moved-from"
        old_block.move = Move(number, "from", new_section.title, edited)
        new_block.status = "moved-to"
        new_block.move = Move(number, "to", old_section.old_title or old_section.title, edited)
        new_block.segments = regroup(diffing.diff_words(old_text, new_text)) if edited else [("equal", new_text)]
    _keep_useful_splits(splits)


def _mostly_replaced(block):
    """Less than half of the block's text is unchanged."""
    equal = sum(len(t) for op, t in block.segments if op == "equal")
    total = sum(len(t) for _op, t in block.segments) + equal
    return 2 * equal < total / 2


def _keep_useful_splits(splits):
    """A changed block whose halves took part in a move is shown as its two halves."""
    by_section = {}
    for section, block, halves in splits.values():
        if any(half.move is not None for half in halves):
            by_section.setdefault(id(section), (section, {}))[1][id(block)] = halves
    for section, replaced in by_section.values():
        blocks = []
        for block in section.blocks:
            blocks.extend(replaced.get(id(block), (block,)))
        section.blocks = blocks


def _near_matches(removed, added, taken, pairs, words, work):
    """Similar removed and added blocks, looking only at candidates sharing a rare word."""
    postings = {}
    for k, (_section, block) in enumerate(added):
        if k in taken or len(words[id(block)]) < MIN_NEAR_WORDS:
            continue
        for word in set(words[id(block)]):
            postings.setdefault(word, []).append(k)
    if not postings:
        return
    for section, block in removed:
        own = words[id(block)]
        if len(own) < MIN_NEAR_WORDS:
            continue
        present = [w for w in set(own) if w in postings]
        if not present:
            continue
        rarest = min(present, key=lambda w: (len(postings[w]), w))
        counts = Counter(own)
        for k in postings[rarest][:NEAR_CANDIDATES]:
            if k in taken:
                continue
            other = words[id(added[k][1])]
            if not work.spend(len(own) + len(other)):
                return
            if _share(counts, Counter(other)) >= NEAR_SIMILARITY:
                if not work.diff(len(own) + len(other)):
                    continue  # its word diff does not fit what is left: stays removed and added
                taken.add(k)
                pairs.append(((section, block), added[k]))
                break
