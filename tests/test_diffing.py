"""What changed and what applied when: redline, upcoming notices, point in time, hashes."""

import datetime
import hashlib
import itertools
import re
import time

import html5lib
import pytest

from django.core.cache import cache
from django.db import connection

from legal.diffing import compare_html, diff_words
from legal.publishing import withdraw_version
from legal.redlines import StoredRedline
from legal.rendering import LIMITS, render_markdown
from tests.conftest import make_version, site_time, text_of

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


# The comparison page -------------------------------------------------------------------


@pytest.fixture
def three_versions(terms, clock):
    """Version 1 and 2 in effect in turn, version 3 scheduled for 1 December 2026."""
    v2 = make_version(
        terms.document,
        body_vi=terms.body_vi.replace("sẽ tạo tài khoản", "phải tạo tài khoản"),
        body_en=terms.body_en.replace("shall create", "must create"),
        effective_at=site_time(2026, 11, 24, 12, 5),
    )
    v3 = make_version(
        terms.document,
        body_vi=v2.body_vi + "\n## 4. Chấm dứt\n\nHai bên có thể chấm dứt.\n",
        body_en=v2.body_en + "\n## 4. Termination\n\nEither party may terminate.\n",
        effective_at=site_time(2026, 12, 1, 0, 0),
        summary="New section 4",
    )
    clock.move_to(site_time(2026, 11, 24, 12, 5))  # version 2 takes effect after the publish lead time
    return terms, v2, v3


@pytest.mark.parametrize("language", ["vi", "en"])
def test_compare_page_is_well_formed_with_ins_and_del(client, three_versions, language):
    response = client.get(f"/{language}/terms-of-service/compare/1/2/")
    assert response.status_code == 200
    html5lib.HTMLParser(strict=True).parse(response.content.decode())
    page = response.content.decode()
    if language == "vi":
        assert re.search(r"<del><span class=\"visually-hidden\">[^<]*</span>sẽ", page)
        assert re.search(r"<ins><span class=\"visually-hidden\">[^<]*</span>phải", page)
    else:
        assert re.search(r"<del><span class=\"visually-hidden\">\[deleted: </span>shall", page)
        assert re.search(r"<ins><span class=\"visually-hidden\">\[inserted: </span>must", page)
    assert '<details class="redline-section redline-unchanged">' in page


def test_compare_shows_added_section(client, three_versions):
    page = text_of(client.get("/en/terms-of-service/compare/2/3/"))
    assert "4. Termination" in page and "Added section" in page and "New section 4 (en)" in page


def test_compare_in_reverse_is_labelled(client, three_versions):
    response = client.get("/en/terms-of-service/compare/3/2/")
    assert response.status_code == 200
    assert "This shows the change in reverse" in text_of(response)
    assert "Removed section" in text_of(response)


@pytest.mark.parametrize(
    "path",
    [
        "compare/1/9/",
        "compare/9/1/",
        "compare/0/1/",
        "compare/a/b/",
        "compare/1/2/3/",
        "compare/1/-2/",
        "compare/1/99999999999/",
    ],
)
def test_bad_comparisons_are_404(client, three_versions, path):
    assert client.get(f"/en/terms-of-service/{path}").status_code == 404


def test_compare_same_version_is_a_helpful_404(client, three_versions):
    response = client.get("/en/terms-of-service/compare/2/2/")
    assert response.status_code == 404 and "Choose two different versions" in text_of(response)


def test_compare_with_a_draft_is_404(client, three_versions):
    terms, v2, v3 = three_versions
    make_version(terms.document, effective_at=site_time(2026, 12, 5, 0, 0), publish=False)
    assert client.get("/en/terms-of-service/compare/2/4/").status_code == 404


def test_compare_with_previous_links(client, three_versions):
    page = client.get("/en/terms-of-service/versions/3/").content.decode()
    assert '<a href="/en/terms-of-service/compare/2/3/">Compare with version 2</a>' in page
    assert client.get("/en/terms-of-service/versions/3/changes/")["Location"] == "/en/terms-of-service/compare/2/3/"
    assert client.get("/en/terms-of-service/versions/1/changes/").status_code == 404
    history = client.get("/en/terms-of-service/versions/").content.decode()
    assert (
        'href="/en/terms-of-service/compare/2/3/"' in history and 'href="/en/terms-of-service/compare/1/2/"' in history
    )


def test_history_form_picks_two_versions(client, three_versions):
    assert (
        client.get("/en/terms-of-service/compare/?version_a=1&version_b=3")["Location"]
        == "/en/terms-of-service/compare/1/3/"
    )
    assert client.get("/en/terms-of-service/compare/?version_a=x&version_b=3").status_code == 404
    assert client.get("/en/terms-of-service/compare/").status_code == 404


# Upcoming versions ---------------------------------------------------------------------


def test_upcoming_notice_before_at_and_after_the_instant(client, three_versions, clock):
    clock.move_to(site_time(2026, 11, 30, 23, 59, 59))
    page = text_of(client.get("/en/terms-of-service/"))
    assert "A new version takes effect on 1 December 2026." in page
    assert 'href="/en/terms-of-service/compare/2/3/"' in client.get("/en/terms-of-service/").content.decode()
    vi = text_of(client.get("/vi/terms-of-service/"))
    assert "Một phiên bản mới sẽ có hiệu lực từ ngày 1 tháng 12 năm 2026." in vi
    clock.move_to(site_time(2026, 12, 1, 0, 0))
    page = text_of(client.get("/en/terms-of-service/"))
    assert "A new version takes effect" not in page and "Version 3" in page


def test_scheduled_version_page_is_public_and_not_yet_in_effect(client, three_versions):
    page = text_of(client.get("/en/terms-of-service/versions/3/"))
    assert "This version is not yet in effect. It takes effect on 1 December 2026." in page


def test_history_lists_newest_first_with_states_and_the_withdrawal_reason(client, three_versions):
    """Numbers are the order in which versions take effect: newest first is scheduled first."""
    terms, v2, v3 = three_versions
    v4 = make_version(terms.document, effective_at=site_time(2026, 12, 10, 0, 0))
    withdraw_version(v4, reason="Published by mistake.")
    page = text_of(client.get("/en/terms-of-service/versions/"))
    assert page.index("Version 4") < page.index("Version 3") < page.index("Version 2") < page.index("Version 1")
    assert "Version 4 Withdrawn (never in effect) Was scheduled for 10 December 2026" in page
    assert "Withdrawn on 24 November 2026. Reason: Published by mistake." in page
    assert "Version 3 Scheduled Takes effect on 1 December 2026" in page
    assert "Version 2 In effect Effective from 24 November 2026" in page


# Point in time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "number"),
    [("2026-11-24", 2), ("2026-11-30", 2), ("2026-12-01", 3), ("2027-06-01", 3)],
)
def test_point_in_time_redirects_to_the_version_at_the_end_of_the_day(client, three_versions, day, number):
    response = client.get(f"/en/terms-of-service/on/{day}/")
    assert response.status_code == 302
    assert response["Location"] == f"/en/terms-of-service/versions/{number}/?on={day}"


def test_point_in_time_page_says_which_day(client, three_versions, clock):
    clock.move_to(site_time(2026, 12, 5, 9, 0))
    page = text_of(client.get("/en/terms-of-service/versions/2/?on=2026-11-30"))
    assert "This is the version that applied on 30 November 2026." in page
    assert "applied on" not in text_of(client.get("/en/terms-of-service/versions/2/?on=nonsense"))


def test_point_in_time_day_boundary_in_hanoi(client, terms, clock):
    # Version 2 takes effect at 00:00 on 26 November in Hanoi (17:00 UTC on the 25th).
    make_version(terms.document, effective_at=site_time(2026, 11, 26, 0, 0))
    assert client.get("/en/terms-of-service/on/2026-11-25/")["Location"].startswith("/en/terms-of-service/versions/1/")
    assert client.get("/en/terms-of-service/on/2026-11-26/")["Location"].startswith("/en/terms-of-service/versions/2/")


def test_point_in_time_before_the_first_version(client, terms):
    response = client.get("/en/terms-of-service/on/2026-11-23/")
    assert response.status_code == 404
    assert "No version was in effect on 23 November 2026" in text_of(response)


@pytest.mark.parametrize("day", ["2026-02-30", "2026-13-01", "0000-01-01", "20261124", "2026-1-1", "yesterday"])
def test_malformed_or_impossible_dates_are_404(client, terms, day):
    assert client.get(f"/en/terms-of-service/on/{day}/").status_code == 404


def test_history_date_field(client, terms):
    response = client.get("/en/terms-of-service/on/?on_date=2026-11-24")
    assert response["Location"] == "/en/terms-of-service/on/2026-11-24/"
    assert client.get("/en/terms-of-service/on/?on_date=24/11/2026").status_code == 404
    assert 'type="date"' in client.get("/en/terms-of-service/versions/").content.decode()


# Hashes and downloads ------------------------------------------------------------------


@pytest.mark.parametrize("language", ["vi", "en"])
def test_download_matches_the_hash_on_the_page(client, terms, language):
    page = client.get(f"/{language}/terms-of-service/versions/1/").content.decode()
    download = client.get(f"/{language}/terms-of-service/versions/1/{language}.md")
    assert download["Content-Type"] == "text/markdown; charset=utf-8"
    digest = hashlib.sha256(download.content).hexdigest()
    assert f'<code class="sha">{digest}</code>' in page
    assert download.content.decode() == getattr(terms, f"body_{language}")


def test_both_languages_are_downloadable_from_either_page(client, terms):
    page = client.get("/en/terms-of-service/versions/1/").content.decode()
    assert (
        'href="/en/terms-of-service/versions/1/vi.md"' in page
        and 'href="/en/terms-of-service/versions/1/en.md"' in page
    )


@pytest.mark.parametrize("path", ["versions/1/fr.md", "versions/2/vi.md", "versions/1/vi.txt", "versions/1/../1/vi.md"])
def test_bad_downloads_are_404(client, terms, path):
    assert client.get(f"/en/terms-of-service/{path}").status_code == 404


def test_long_history_is_paged_and_each_row_compares_with_its_previous(client, terms, clock):
    for day in range(1, 56):
        make_version(terms.document, effective_at=site_time(2026, 11, 24, 12, 5) + datetime.timedelta(minutes=day))
    clock.move_to(site_time(2026, 11, 25, 0, 0))
    first = client.get("/en/terms-of-service/versions/").content.decode()
    assert first.count('class="history-item"') == 50
    assert 'href="?page=2"' in first and 'rel="prev"' not in first
    assert 'href="/en/terms-of-service/compare/55/56/"' in first
    # The last row of a page compares with the first row of the next page.
    assert 'href="/en/terms-of-service/compare/6/7/"' in first
    second = client.get("/en/terms-of-service/versions/?page=2").content.decode()
    assert second.count('class="history-item"') == 6 and 'rel="prev"' in second and 'rel="next"' not in second
    assert 'value="55"' in first and 'value="56"' in first
    for bad in ("3", "0", "-1", "abc", "１", "99999999"):
        assert client.get("/en/terms-of-service/versions/", {"page": bad}).status_code == 404


def test_applied_on_notice_is_only_shown_when_true(client, three_versions, clock):
    clock.move_to(site_time(2026, 12, 5, 9, 0))
    # Version 1 was superseded at noon on 24 November: it did not apply at the end of the 30th.
    assert "applied on" not in text_of(client.get("/en/terms-of-service/versions/1/?on=2026-11-30"))
    assert "applied on" in text_of(client.get("/en/terms-of-service/versions/2/?on=2026-11-30"))


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


def test_compare_page_stores_the_redline_and_serves_it_again(client, three_versions):
    """The second reader of a published pair gets the stored redline, not a new computation."""
    assert client.get("/en/terms-of-service/compare/1/2/").status_code == 200
    stored = StoredRedline.objects.get()
    assert (stored.old.number, stored.new.number, stored.language) == (1, 2, "en")
    assert stored.new_sha256 == three_versions[1].body_sha256_en
    data = stored.data
    segment = next(b[2] for s in data for b in s[5] if b[1] == "changed")
    segment[:] = [["insert", "STORED REDLINE MARKER"]]
    StoredRedline.objects.filter(pk=stored.pk).update(data=data)
    cache.clear()
    assert "STORED REDLINE MARKER" in text_of(client.get("/en/terms-of-service/compare/1/2/"))
    assert StoredRedline.objects.count() == 1


def test_compare_page_is_served_when_redlines_cannot_be_stored(client, three_versions):
    """Storing is an optimisation: without the table the page is computed and served."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE legal_storedredline")
    response = client.get("/vi/terms-of-service/compare/1/2/")
    assert response.status_code == 200
    assert re.search(r"<ins><span class=\"visually-hidden\">[^<]*</span>phải", response.content.decode())
