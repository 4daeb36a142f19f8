"""The redline engine (legal/diffing.py): words, blocks and sections aligned exactly, within bounded work.

The comparison pages are in test_comparison.py, the stored redline in test_redlines.py, the
upcoming notices, point-in-time pages and downloads in test_views.py."""

import itertools
import time

import pytest

from legal.diffing import compare_html, diff_words
from legal.rendering import LIMITS, render_markdown

pytestmark = pytest.mark.django_db


def html(markdown):
    return render_markdown(markdown, permalink_label="link").html


# The diff ------------------------------------------------------------------------------


def test_word_level_changes_with_vietnamese_diacritics():
    assert diff_words("Khách hàng sẽ tạo tài khoản", "Khách hàng phải tạo tài khoản") == [
        ("equal", "Khách hàng "),
        ("delete", "sẽ"),
        ("insert", "phải"),
        ("equal", " tạo tài khoản"),
    ]


def test_identical_versions_have_no_changes():
    text = html("## A\n\nSame text.\n")
    redline = compare_html(text, text)
    assert not redline.has_changes
    assert [s.status for s in redline.sections] == ["unchanged"]


def test_added_removed_and_renamed_sections_line_up_by_anchor():
    old = html("## Keep {#keep}\n\nA.\n\n## Gone\n\nB.\n\n## Title {#t}\n\nC.\n")
    new = html("## Keep {#keep}\n\nA.\n\n## New title {#t}\n\nC.\n\n## Fresh\n\nD.\n")
    redline = compare_html(old, new)
    assert [(s.anchor, s.status) for s in redline.sections] == [
        ("keep", "unchanged"),
        ("gone", "removed"),
        ("t", "renamed"),
        ("fresh", "added"),
    ]
    renamed = redline.sections[2]
    assert (renamed.old_title, renamed.title) == ("Title", "New title")


def test_section_with_a_new_anchor_but_same_text_counts_as_renamed():
    redline = compare_html(html("## Old name\n\nSame body text here.\n"), html("## New name\n\nSame body text here.\n"))
    assert [(s.status, s.old_title, s.title) for s in redline.sections] == [("renamed", "Old name", "New name")]


def test_added_and_removed_list_items():
    redline = compare_html(html("## A\n\n- one\n- two\n"), html("## A\n\n- one\n- two\n- three\n"))
    blocks = redline.sections[0].blocks
    assert [(b.kind, b.status) for b in blocks] == [("li", "unchanged"), ("li", "unchanged"), ("li", "added")]


def test_seed_redline_names_exactly_what_changed(terms):
    """On the real Terms: one word in section 2, one new section; the rest unchanged.

    How long this takes is measured by `make bench`, not asserted here.
    """
    new_body = terms.body_vi.replace("sẽ tạo", "phải tạo") + "\n## 4. Điều khoản mới\n\nNội dung.\n"
    redline = compare_html(terms.body_html_vi, html(new_body))
    assert [(s.anchor, s.status) for s in redline.sections] == [
        ("", "unchanged"),
        ("1-cac-dinh-nghia", "unchanged"),
        ("2-he-thong-sigmavideo-cua-khach-hang", "changed"),
        ("3-bao-ve-quyen-rieng-tu", "unchanged"),
        ("4-dieu-khoan-moi", "added"),
    ]
    changed = [b.segments for b in redline.sections[2].blocks if b.status == "changed"]
    assert changed == [
        [
            ("equal", "Trong quá trình đăng ký Sigma.video , Khách hàng "),
            ("delete", "sẽ"),
            ("insert", "phải"),
            ("equal", " tạo tài khoản và mật khẩu."),
        ]
    ]


# Bounded work and stored redlines --------------------------------------------------------

WORDS = "khách hàng sigma video dịch vụ tài khoản điều khoản bảo mật dữ liệu quyền nghĩa vụ".split()


def long_paragraph(count, *, changed_every=None):
    words = [f"{WORDS[i % len(WORDS)]}{i % 97}" for i in range(count)]
    if changed_every:
        words = [f"{w}x" if i % changed_every == 0 else w for i, w in enumerate(words)]
    return " ".join(words)


def test_a_run_of_changed_words_is_one_deletion_then_one_insertion():
    """Grouped, not word-interleaved (difflib gave del/ins/del/ins...)."""
    assert diff_words("the quick brown fox jumps", "a slow red fox jumps") == [
        ("delete", "the quick brown"),
        ("insert", "a slow red"),
        ("equal", " fox jumps"),
    ]


def test_long_paragraph_with_every_seventh_word_changed_is_exact_and_bounded():
    """The 3,000-word case that took difflib 229 s: every change found, nothing else marked.

    An anti-hang bound only; `make bench` measures the time.
    """
    old, new = long_paragraph(3000), long_paragraph(3000, changed_every=7)
    start = time.monotonic()
    segments = diff_words(old, new)
    assert time.monotonic() - start < 10
    deleted = [text for op, text in segments if op == "delete"]
    inserted = [text for op, text in segments if op == "insert"]
    assert len(deleted) == len(inserted) == len(range(0, 3000, 7))
    assert all(i.endswith("x") and i[:-1] == d for d, i in zip(deleted, inserted, strict=True))
    assert "".join(t for op, t in segments if op != "insert") == old
    assert "".join(t for op, t in segments if op != "delete") == new


def test_a_rewritten_long_paragraph_keeps_its_unchanged_middle():
    """No budget and no deadline: a long paragraph is aligned exactly.

    Both ends rewritten (800 words each, nothing in common), 1,200 words between them
    untouched: the fewest words to mark leave those 1,200 unmarked (and the semantic
    clean-up keeps them, being longer than the edits around them). The old step budget ran
    out on this pair and marked the whole paragraph deleted and inserted.
    """
    start_old, middle, end_old = (
        [f"{part}{i:x}" for i in range(n)] for part, n in (("a", 800), ("m", 1200), ("b", 800))
    )
    start_new, end_new = ([f"{part}{i:x}" for i in range(800)] for part in ("c", "d"))
    old, new = " ".join([*start_old, *middle, *end_old, "."]), " ".join([*start_new, *middle, *end_new, "."])
    assert len(old) <= LIMITS.line_chars
    started = time.monotonic()
    segments = diff_words(old, new)
    assert time.monotonic() - started < 10  # an anti-hang bound; `make bench` measures the time
    assert [(op, text.split()) for op, text in segments] == [
        ("delete", start_old),
        ("insert", start_new),
        ("equal", middle),
        ("delete", end_old),
        ("insert", end_new),
        ("equal", ["."]),
    ]


def test_unrelated_paragraphs_at_the_line_limit_are_one_deletion_and_one_insertion():
    old = long_paragraph(3800)
    new = " ".join(f"{w}q" for w in old.split())
    assert len(new) <= LIMITS.line_chars
    start = time.monotonic()
    assert diff_words(old, new) == [("delete", old), ("insert", new)]
    assert time.monotonic() - start < 10


def test_redline_does_not_depend_on_a_clock(monkeypatch):
    """No deadline in seconds: a clock racing ahead (a loaded server) gives the same redline."""
    old, new = long_paragraph(3000), " ".join(reversed(long_paragraph(3000, changed_every=5).split()))
    expected = diff_words(old, new)
    racing = itertools.count(start=0, step=1000)
    monkeypatch.setattr(time, "time", lambda: float(next(racing)))
    monkeypatch.setattr(time, "monotonic", lambda: float(next(racing)))
    monkeypatch.setattr(time, "perf_counter", lambda: float(next(racing)))
    assert diff_words(old, new) == expected
    assert "".join(t for op, t in expected if op != "insert") == old


def test_unchanged_block_between_two_changed_ones_stays_unchanged():
    redline = compare_html(html("## A\n\nOne.\n\nTwo.\n\nThree.\n"), html("## A\n\nUno.\n\nTwo.\n\nTres.\n"))
    assert [b.status for b in redline.sections[0].blocks] == ["changed", "unchanged", "changed"]
