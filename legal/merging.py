"""Three-way merge of version texts, for rebasing a draft on a version published since.

Line-based, as diff3 does it, with the well-kept `merge3` library kept behind this module.
Conflicting regions are written with the usual markers so an editor sees both sides; the
publishing service refuses a text that still holds them.
"""

from dataclasses import dataclass

import merge3

CONFLICT_START = "<<<<<<< "
CONFLICT_MIDDLE = "======="
CONFLICT_END = ">>>>>>> "


@dataclass(frozen=True)
class MergeResult:
    text: str
    conflicts: int


def merge_texts(base: str, ours: str, theirs: str, *, ours_label: str, theirs_label: str) -> MergeResult:
    """Apply the changes from `base` to `theirs` on top of `ours`."""
    merger = merge3.Merge3(
        (base or "").splitlines(keepends=True),
        (ours or "").splitlines(keepends=True),
        (theirs or "").splitlines(keepends=True),
    )
    conflicts = sum(1 for group in merger.merge_groups() if group[0] == "conflict")
    lines = merger.merge_lines(
        name_a=ours_label,
        name_b=theirs_label,
        start_marker=CONFLICT_START.strip(),
        mid_marker=CONFLICT_MIDDLE,
        end_marker=CONFLICT_END.strip(),
    )
    return MergeResult(text="".join(lines), conflicts=conflicts)


def has_conflict_markers(text: str) -> bool:
    return any(line.startswith((CONFLICT_START, CONFLICT_END)) or line == CONFLICT_MIDDLE for line in text.splitlines())
