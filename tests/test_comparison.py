"""The redline as a lawyer reads it (legal/comparison.py): whole units, moves, a summary first, both languages, and the comparison pages."""

import re
import time

import html5lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legal import diffing, redlines
from legal.bilingual import align, split_sections
from legal.comparison import compare_html, outline
from legal.grouping import regroup
from legal.models import StoredRedline
from legal.publishing import withdraw_version
from legal.rendering import render_markdown
from tests.conftest import make_version, rearranged_terms, site_time, text_of

pytestmark = pytest.mark.django_db


def html(markdown):
    return render_markdown(markdown, permalink_label="link").html


def changed_blocks(redline):
    return [b.segments for s in redline.sections for b in s.blocks if b.status == "changed"]


def sides(segments):
    return (
        "".join(t for op, t in segments if op != "insert"),
        "".join(t for op, t in segments if op != "delete"),
    )


# Grouping -------------------------------------------------------------------------------


def test_the_seed_fee_clause_is_one_deletion_then_one_insertion(terms):
    new_body = terms.body_vi.replace("mức phí đăng ký", "gói dịch vụ đã đăng ký")
    redline = compare_html(terms.body_html_vi, html(new_body))
    [segments] = changed_blocks(redline)
    assert segments[1:] == [("delete", "mức phí"), ("insert", "gói dịch vụ đã"), ("equal", " đăng ký.")]


def test_the_seed_email_address_is_one_token(terms):
    redline = compare_html(terms.body_html_vi, html(terms.body_vi.replace("contact@gviet.vn", "legal@sigma.video")))
    [segments] = changed_blocks(redline)
    assert [s for s in segments if s[0] != "equal"] == [("delete", "contact@gviet.vn"), ("insert", "legal@sigma.video")]


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        (  # an amount: the word diff changes "10" alone
            [("equal", "Phí "), ("delete", "10"), ("insert", "12"), ("equal", ".000.000 VNĐ mỗi tháng.")],
            [("equal", "Phí "), ("delete", "10.000.000 VNĐ"), ("insert", "12.000.000 VNĐ"), ("equal", " mỗi tháng.")],
        ),
        (  # a date
            [("equal", "từ 01/"), ("delete", "12/2026"), ("insert", "01/2027"), ("equal", ".")],
            [("equal", "từ "), ("delete", "01/12/2026"), ("insert", "01/01/2027"), ("equal", ".")],
        ),
        (  # an email address split at its punctuation
            [("delete", "contact"), ("insert", "legal"), ("equal", "@"), ("delete", "gviet"), ("insert", "sigma"),
             ("equal", "."), ("delete", "vn"), ("insert", "video")],
            [("delete", "contact@gviet.vn"), ("insert", "legal@sigma.video")],
        ),
        (  # a web address, an insertion inside it
            [("equal", "See https://sigma.video/terms"), ("insert", "-2"), ("equal", " now.")],
            [("equal", "See "), ("delete", "https://sigma.video/terms"), ("insert", "https://sigma.video/terms-2"),
             ("equal", " now.")],
        ),
        (  # punctuation and spaces alone never split a change
            [("delete", "mức"), ("insert", "gói"), ("equal", ", "), ("delete", "phí"), ("insert", "dịch vụ"),
             ("equal", " đăng ký")],
            [("delete", "mức, phí"), ("insert", "gói, dịch vụ"), ("equal", " đăng ký")],
        ),
    ],
)  # fmt: skip
def test_single_tokens_and_punctuation_are_whole(segments, expected):
    assert regroup(segments) == expected
    assert sides(regroup(segments)) == sides(segments)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab1.@/ ,đ-", max_size=40), st.text(alphabet="ab1.@/ ,đ-", max_size=40))
def test_regrouping_never_changes_either_text(old, new):
    segments = regroup(diffing.diff_words(old, new))
    assert sides(segments) == (old, new)
    assert all(text for _op, text in segments)


@pytest.mark.parametrize(
    "run",
    ["a" * 30_000, "a." * 15_000, "a@" * 15_000, "1." * 15_000, "http://" * 4_000, "(www.a" * 5_000, "a-" * 15_000],
)
def test_regrouping_a_30000_character_run_is_bounded(run):
    """One 30,000-character line (the renderer's limit) of letters, dots or addresses.

    Every unit may start only where a unit can begin; trying one at every character took
    minutes for a single long word. An anti-hang bound, not a timing.
    """
    segments = [("equal", run), ("delete", "x"), ("insert", "y"), ("equal", run)]
    start = time.monotonic()
    assert sides(regroup(segments)) == (run + "x" + run, run + "y" + run)
    assert time.monotonic() - start < 10


def test_regrouping_a_change_holding_30000_spaces_is_bounded():
    """Trailing space is found with str methods: a regex search for it is quadratic."""
    segments = [("delete", "x" + " " * 30_000 + "z"), ("insert", "y" + " " * 30_000 + "z")]
    start = time.monotonic()
    assert sides(regroup(segments)) == sides(segments)
    assert time.monotonic() - start < 10


# Moves ----------------------------------------------------------------------------------

PARAGRAPH = "Khách hàng có trách nhiệm tự bảo mật mật khẩu và tài khoản của mình trong mọi trường hợp."


def test_a_paragraph_moved_to_another_section_is_a_move_at_both_places():
    old = html(f"## A {{#a}}\n\nMở đầu.\n\n{PARAGRAPH}\n\n## B {{#b}}\n\nCuối cùng.\n")
    new = html(f"## A {{#a}}\n\nMở đầu.\n\n## B {{#b}}\n\nCuối cùng.\n\n{PARAGRAPH}\n")
    redline = compare_html(old, new)
    [away] = [b for s in redline.sections for b in s.blocks if b.status == "moved-from"]
    [here] = [b for s in redline.sections for b in s.blocks if b.status == "moved-to"]
    assert (away.move.number, away.move.end, away.move.other_title) == (1, "from", "B")
    assert (here.move.number, here.move.end, here.move.other_title, here.move.edited) == (1, "to", "A", False)
    assert here.segments == [("equal", PARAGRAPH)]
    summary = outline(redline)
    assert summary.moved_blocks == [here]
    assert {kind: [s.title for s in sections] for kind, sections in summary.summary.items()} == {
        "added": [], "removed": [], "moved": [], "changed": ["A", "B"],
    }  # fmt: skip


def test_a_list_item_moved_with_a_small_edit_shows_its_edit_at_the_new_place():
    item = "Không truy cập vào dữ liệu của Khách hàng trừ trường hợp khắc phục lỗi kỹ thuật"
    old = html(f"## A\n\n- {item}\n- Điểm thứ hai của danh sách.\n- Điểm thứ ba.\n")
    new = html(f"## A\n\n- Điểm thứ hai của danh sách.\n- Điểm thứ ba.\n- {item.replace('lỗi', 'sự cố')}\n")
    [section] = compare_html(old, new).sections
    assert [(b.kind, b.status) for b in section.blocks] == [
        ("li", "moved-from"), ("li", "unchanged"), ("li", "unchanged"), ("li", "moved-to"),
    ]  # fmt: skip
    assert section.blocks[3].move.edited
    assert [s for s in section.blocks[3].segments if s[0] != "equal"] == [("delete", "lỗi"), ("insert", "sự cố")]


def test_short_repeated_lines_are_not_called_moves():
    redline = compare_html(html("## A\n\nCó.\n\nMột.\n"), html("## A\n\nMột.\n\nCó.\n"))
    assert not [b for s in redline.sections for b in s.blocks if b.move]


def test_a_section_moved_past_others_is_shown_moved_with_a_place_it_left():
    body = {k: f"## {k.upper()} {{#{k}}}\n\nNội dung của mục {k} đủ dài để nhận ra.\n\n" for k in "abcd"}
    old = html("".join(body[k] for k in "abcd"))
    new = html("".join(body[k] for k in "bcad"))
    redline = compare_html(old, new)
    assert [(s.anchor, s.status) for s in redline.sections] == [
        ("b", "unchanged"), ("c", "unchanged"), ("a", "moved"), ("d", "unchanged"),
    ] or [(s.anchor, s.status) for s in redline.sections] == [
        ("a", "moved-away"), ("b", "unchanged"), ("c", "unchanged"), ("a", "moved"), ("d", "unchanged"),
    ]  # fmt: skip
    moved = next(s for s in redline.sections if s.status == "moved")
    away = next(s for s in redline.sections if s.status == "moved-away")
    assert redline.sections.index(away) < redline.sections.index(moved)
    assert (away.move.number, moved.move.number, moved.move.edited) == (1, 1, False)
    assert {k: len(v) for k, v in outline(redline).summary.items()} == {
        "added": 0,
        "removed": 0,
        "moved": 1,
        "changed": 0,
    }


def test_a_renumbered_section_of_the_seed_that_moved_is_a_move_not_removed_and_added(terms):
    intro, s1, s2, s3 = terms.body_vi.split("\n## ")
    s1 = s1.replace("1. Các định nghĩa", "3. Các định nghĩa")
    s2 = s2.replace("2. Hệ thống", "1. Hệ thống").replace("mức phí đăng ký", "gói dịch vụ đã đăng ký")
    s3 = s3.replace("3. Bảo vệ", "2. Bảo vệ")
    intro = intro.replace("contact@gviet.vn", "legal@sigma.video")
    redline = compare_html(terms.body_html_vi, html("\n## ".join([intro, s2, s3, s1])))
    assert [(s.status, s.title) for s in redline.sections] == [
        ("changed", ""),
        ("moved-away", "1. Các định nghĩa"),
        ("renamed", "1. Hệ thống Sigma.video của Khách hàng"),
        ("renamed", "2. Bảo vệ quyền riêng tư"),
        ("moved", "3. Các định nghĩa"),
    ]
    summary = outline(redline)
    assert {k: len(v) for k, v in summary.summary.items()} == {"added": 0, "removed": 0, "moved": 1, "changed": 3}
    assert [s.change_id for s in summary.changes] == [f"change-{n}" for n in range(1, 6)]


# Bounds ---------------------------------------------------------------------------------


def test_ten_thousand_tiny_paragraphs_reversed_stay_bounded_and_true():
    """An anti-hang bound only: every paragraph is accounted for once at each end."""
    paragraphs = [f"M {i} a b" for i in range(10_000)]  # 4 words: long enough to be moves
    old, new = html("\n\n".join(paragraphs)), html("\n\n".join(reversed(paragraphs)))
    start = time.monotonic()
    redline = compare_html(old, new)
    assert time.monotonic() - start < 60
    blocks = [b for s in redline.sections for b in s.blocks]
    old_side = [b for b in blocks if b.status in ("unchanged", "removed", "moved-from", "changed")]
    new_side = [b for b in blocks if b.status in ("unchanged", "added", "moved-to", "changed")]
    assert len(old_side) == len(new_side) == 10_000


def test_a_three_thousand_word_paragraph_moved_with_edits_is_bounded():
    words = [f"từ{i % 97} khoản{i % 13}" for i in range(1500)]
    long = " ".join(words)
    edited = " ".join(w if i % 50 else w + "x" for i, w in enumerate(words))
    old = html(f"## A\n\n{long}\n\n## B\n\nNgắn.\n")
    new = html(f"## A\n\nMột đoạn mới.\n\n## B\n\nNgắn.\n\n{edited}\n")
    start = time.monotonic()
    redline = compare_html(old, new)
    assert time.monotonic() - start < 60
    moved = [b for s in redline.sections for b in s.blocks if b.status == "moved-to"]
    assert len(moved) == 1 and sides(moved[0].segments) == (long, edited)
    first = redline.sections[0]
    assert [(b.status, b.segments if b.status == "added" else None) for b in first.blocks] == [
        ("moved-from", None), ("added", [("insert", "Một đoạn mới.")]),
    ]  # fmt: skip


def test_moves_with_edits_stop_being_diffed_past_their_allowance():
    """Six long paragraphs moved with edits: the first ones are moves, the rest stay removed and added."""
    paragraphs = [" ".join(f"t{n}w{i % 89}" for i in range(1500)) for n in range(6)]
    edited = [p.replace("w7 ", "w7x ") for p in paragraphs]
    old = html("## A\n\n" + "\n\n".join(paragraphs) + "\n\n## B\n\nNgắn.\n")
    new = html("## A\n\nNgắn.\n\n## B\n\nNgắn.\n\n" + "\n\n".join(edited) + "\n")
    start = time.monotonic()
    redline = compare_html(old, new)
    assert time.monotonic() - start < 60
    blocks = [b for s in redline.sections for b in s.blocks]
    moved = [b for b in blocks if b.status == "moved-to"]
    assert 0 < len(moved) < 6 and len(moved) == 6 - sum(
        b.status == "added" and len(b.segments[0][1]) > 100 for b in blocks
    )
    assert [sides(b.segments) for b in moved] == list(zip(paragraphs, edited, strict=False))[: len(moved)]


# Pages ----------------------------------------------------------------------------------


@pytest.fixture
def moved_versions(terms, clock):
    return terms, rearranged_terms(terms)


def heading_levels(page):
    return [int(level) for level in re.findall(r"<h([1-6])[\s>]", page)]


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("path", ["compare/1/2/", "compare/2/1/"])
def test_compare_page_opens_with_a_summary_and_has_valid_heading_order(client, moved_versions, language, path):
    response = client.get(f"/{language}/terms-of-service/{path}")
    assert response.status_code == 200
    page = response.content.decode()
    html5lib.HTMLParser(strict=True).parse(page)
    levels = heading_levels(page)
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))
    text = text_of(response)
    if language == "en":
        assert "What changed" in text and "Version 2 takes effect on 1 December 2026." in text
        assert "Definitions moved to the end; new contact address (en)" in text
        assert "1 section moved: " in text
    else:
        assert "Những gì đã thay đổi" in text and "Phiên bản 2 có hiệu lực từ ngày 1 tháng 12 năm 2026." in text
    assert '<del><span class="visually-hidden">' in page and "contact@gviet.vn" in page


def test_every_change_links_to_the_previous_and_next_without_javascript(client, moved_versions):
    page = client.get("/en/terms-of-service/compare/1/2/").content.decode()
    ids = re.findall(r'<section class="redline-section [^"]*" id="(change-\d+)"', page)
    assert ids == [f"change-{n}" for n in range(1, len(ids) + 1)] and len(ids) == 5
    nexts = re.findall(r'<a href="#(change-\d+)" rel="next"', page)
    previous = re.findall(r'<a href="#(change-\d+)" rel="prev"', page)
    assert nexts == ids[1:] and previous == ids[:-1]
    for target in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{target}"' in page, f"#{target} leads nowhere"


def test_a_moved_section_is_labelled_moved_at_both_places(client, moved_versions):
    response = client.get("/en/terms-of-service/compare/1/2/")
    page, text = response.content.decode(), text_of(response)
    assert "Section moved away" in text and "Moved section" in text
    assert "This section moved: it is now “3. Definitions”." in text
    assert 'href="#move-1-to"' in page and 'id="move-1-to"' in page and 'id="move-1-from"' in page
    assert "Removed section" not in text and "Added section" not in text
    vi = text_of(client.get("/vi/terms-of-service/compare/1/2/"))
    assert "Mục đã chuyển đi" in vi and "Mục đã chuyển chỗ" in vi


def test_stored_redlines_of_another_revision_are_recomputed(client, moved_versions):
    assert redlines.ALGORITHM > diffing.ALGORITHM  # revision 3 of the stored redlines read diffing's revision 2
    terms, v2 = moved_versions
    StoredRedline.objects.create(
        old=terms, new=v2, language="en", old_sha256=terms.body_sha256_en, new_sha256=v2.body_sha256_en,
        algorithm=diffing.ALGORITHM, data=[["", 1, "changed", "", "", [["p", "changed", [["insert", "OLD FORMAT"]]]]]],
    )  # fmt: skip
    response = client.get("/en/terms-of-service/compare/1/2/")
    assert "OLD FORMAT" not in text_of(response) and "Moved section" in text_of(response)
    assert StoredRedline.objects.filter(algorithm=redlines.ALGORITHM).count() == 1


def test_the_upcoming_notice_carries_the_summary(client, moved_versions):
    assert "Summary of changes: Definitions moved to the end; new contact address (en)" in text_of(
        client.get("/en/terms-of-service/")
    )


# Both languages side by side --------------------------------------------------------------


@pytest.mark.parametrize("language", ["vi", "en"])
def test_bilingual_page_pairs_every_section_once_in_both_languages(client, terms, language):
    response = client.get(f"/{language}/terms-of-service/versions/1/bilingual/")
    assert response.status_code == 200
    page = response.content.decode()
    html5lib.HTMLParser(strict=True).parse(page)
    anchors = [s.id for s in terms.text_for("vi")[3] if s.level == 2]
    rows = re.findall(r'<section class="bilingual-row" id="([^"]+)"', page)
    assert rows == anchors
    assert len(re.findall(r'<div class="bilingual-cell" lang="vi">', page)) == len(anchors) + 1  # and the intro
    assert len(re.findall(r'<div class="bilingual-cell" lang="en">', page)) == len(anchors) + 1
    assert "1. Các định nghĩa" in page and "1. Definitions" in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert "This section is not in this language." not in text_of(response)
    notice = "Vietnamese text prevails" if language == "en" else "văn bản tiếng Việt được ưu tiên áp dụng"
    assert notice in text_of(response)


def test_split_and_align_keep_the_authoritative_order_and_every_piece():
    """Publishing refuses a translation that lacks a section, so the fallback is met here."""
    vi = html("Mở đầu.\n\n## 1. Một {#mot}\n\nA\n\n> ## Trong trích dẫn\n\n## 2. Hai {#hai}\n\n- x\n")
    en = html("Intro.\n\n## 1. One {#mot}\n\nA\n\n## 3. Extra {#ba}\n\nZ\n")
    assert [p.anchor for p in split_sections(vi)] == ["", "mot", "hai"]
    rows = align({"vi": vi, "en": en}, ["vi", "en"])
    assert [(r.anchor, r.cells["vi"] is not None, r.cells["en"] is not None) for r in rows] == [
        ("", True, True), ("mot", True, True), ("ba", False, True), ("hai", True, False),
    ]  # fmt: skip
    assert 'id="vi-mot"' in rows[1].cells["vi"] and 'id="en-mot"' in rows[1].cells["en"]
    assert "".join(r.cells["vi"] or "" for r in rows).replace("vi-", "") == vi


def test_bilingual_pages_of_withdrawn_drafts_and_unknown_versions(client, terms):
    v2 = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    withdraw_version(v2, reason="Sai sót")
    make_version(terms.document, effective_at=site_time(2026, 12, 5, 0, 0), publish=False)
    assert client.get("/en/terms-of-service/versions/2/bilingual/").status_code == 410
    assert client.get("/en/terms-of-service/versions/3/bilingual/").status_code == 404
    assert client.get("/en/terms-of-service/versions/9/bilingual/").status_code == 404


def test_version_page_links_to_the_bilingual_page(client, terms):
    assert 'href="/vi/terms-of-service/versions/1/bilingual/"' in client.get("/vi/terms-of-service/").content.decode()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_compare_bilingual_page_shows_both_redlines_side_by_side(client, moved_versions, language):
    response = client.get(f"/{language}/terms-of-service/compare/1/2/bilingual/")
    assert response.status_code == 200
    page = response.content.decode()
    html5lib.HTMLParser(strict=True).parse(page)
    assert "legal@sigma.video" in page
    assert "gói dịch vụ đã" in page and "subscribed service plan" in page
    assert 'id="vi-move-1-to"' in page and 'id="en-move-1-to"' in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for target in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{target}"' in page, f"#{target} leads nowhere"


def test_history_chooses_the_two_versions_in_the_list_and_links_both_languages(client, moved_versions):
    page = client.get("/vi/terms-of-service/versions/").content.decode()
    html5lib.HTMLParser(strict=True).parse(page)
    assert '<input type="radio" name="version_a" value="1" checked required>' in page
    assert '<input type="radio" name="version_b" value="2" checked required>' in page
    assert '<input type="number"' not in page and "<select" not in page
    assert 'href="/vi/terms-of-service/versions/2/bilingual/"' in page
    assert 'href="/vi/terms-of-service/versions/1/bilingual/"' in page
    assert "Để so sánh hai phiên bản" in page


def test_compare_bilingual_answers_like_the_comparison_for_withdrawn_same_and_unknown(client, terms):
    v2 = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    withdraw_version(v2, reason="Sai sót")
    assert client.get("/en/terms-of-service/compare/1/2/bilingual/").status_code == 410
    assert client.get("/en/terms-of-service/compare/1/1/bilingual/").status_code == 404
    assert client.get("/en/terms-of-service/compare/1/9/bilingual/").status_code == 404


# The comparison page -------------------------------------------------------------------


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
