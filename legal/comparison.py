"""The comparison a reader is shown: legal.diffing's redline, regrouped, with its moves.

diffing finds what changed; legal.grouping makes each change a whole unit; legal.moves
marks what moved. This module runs the three in order, stores the result as JSON-ready
lists (legal.redlines keeps it per published pair) and works out what the page opens with:
a summary of the sections added, removed, moved and changed, and the order of changes for
the previous/next links.
"""

from dataclasses import dataclass, field

from . import diffing
from .grouping import regroup
from .moves import Move, find_moves

# Revision of what this module stores; with diffing.ALGORITHM it keys stored redlines
# (legal.redlines.ALGORITHM). Bump it whenever the output below changes.
REVISION = 1
# Section statuses, in the order the summary lists them.
SUMMARY_KINDS = ("added", "removed", "moved", "changed")


def compare_html(old_html, new_html):
    """The redline from `old_html` to `new_html` (stored, sanitised version HTML), as read."""
    redline = diffing.compare_html(old_html, new_html)
    for section in redline.sections:
        for block in section.blocks:
            if block.status == "changed":
                block.segments = regroup(block.segments)
    return find_moves(redline, old_html)


def compare_versions(old, new, language):
    return compare_html(getattr(old, f"body_html_{language}") or "", getattr(new, f"body_html_{language}") or "")


def _move_data(move):
    return None if move is None else [move.number, move.end, move.other_title, move.edited]


def _move_from(data):
    return None if data is None else Move(*data)


def to_data(redline):
    """JSON-ready lists: diffing's, each section and block with its move appended."""
    data = diffing.redline_to_data(redline)
    for section, item in zip(redline.sections, data, strict=True):
        item.append(_move_data(getattr(section, "move", None)))
        for block, block_item in zip(section.blocks, item[5], strict=True):
            block_item.append(_move_data(getattr(block, "move", None)))
    return data


def from_data(data):
    redline = diffing.redline_from_data(
        [[*item[:5], [block[:3] for block in item[5]]] for item in data]
    )  # fmt: skip
    for section, item in zip(redline.sections, data, strict=True):
        section.move = _move_from(item[6])
        for block, block_item in zip(section.blocks, item[5], strict=True):
            block.move = _move_from(block_item[3])
    return redline


@dataclass
class Outline:
    """What the comparison page opens with, and the order of its changes."""

    summary: dict = field(default_factory=dict)  # kind -> [section]
    changes: list = field(default_factory=list)  # changed sections, in reading order
    moved_blocks: list = field(default_factory=list)  # paragraphs moved, at their new places

    @property
    def section_count(self):
        return sum(len(sections) for sections in self.summary.values())


def outline(redline):
    """Number the changed sections (change_id, previous/next) and sort them for the summary."""
    result = Outline(summary={kind: [] for kind in SUMMARY_KINDS})
    for section in redline.sections:
        if not section.changed:
            continue
        result.changes.append(section)
        kind = "changed" if section.status == "renamed" else section.status
        if kind in result.summary:
            result.summary[kind].append(section)
        result.moved_blocks.extend(block for block in section.blocks if block.status == "moved-to")
    total = len(result.changes)
    for position, section in enumerate(result.changes, start=1):
        section.change_id = f"change-{position}"
        section.position, section.total = position, total
        section.previous_change = f"change-{position - 1}" if position > 1 else ""
        section.next_change = f"change-{position + 1}" if position < total else ""
    return result
