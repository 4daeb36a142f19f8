"""The renderer: Markdown text in, sanitised HTML and sections out."""

import time

import pytest

from legal.importing import BUNDLED_DIR
from legal.rendering import (
    LIMITS,
    FrontMatterError,
    RenderLimitError,
    check_limits,
    render_markdown,
    slugify_heading,
    split_front_matter,
)


def seed(language):
    return (BUNDLED_DIR / f"terms-of-service.{language}.md").read_text(encoding="utf-8")


def test_front_matter_is_metadata_not_text():
    metadata, body = split_front_matter(seed("vi"))
    assert metadata == {"title": "Terms of Service"}
    assert body.startswith("# Điều khoản sử dụng\n")
    html = render_markdown(body).html
    assert "title:" not in html and "---" not in html and "<hr" not in html


@pytest.mark.parametrize(
    "text",
    ["---\ntitle: [unclosed\n---\nbody", "---\n- a list\n---\nbody", "---\njust text\n---\nbody"],
)
def test_invalid_front_matter_is_refused(text):
    with pytest.raises(FrontMatterError):
        split_front_matter(text)


def test_text_without_front_matter_is_all_body():
    assert split_front_matter("# Hello\n\n---\n") == ({}, "# Hello\n\n---\n")


def test_leading_h1_becomes_the_title_and_leaves_the_body():
    rendered = render_markdown(split_front_matter(seed("vi"))[1])
    assert rendered.title == "Điều khoản sử dụng"
    assert "<h1" not in rendered.html


def test_later_h1_is_demoted_so_the_page_keeps_one_h1():
    rendered = render_markdown("# Title\n\ntext\n\n# Another\n")
    assert rendered.title == "Title"
    assert '<h2 id="another">Another</h2>' in rendered.html


def test_list_directly_after_a_paragraph_line_is_a_list():
    html = render_markdown("Intro line:\n-\tfirst\n-\tsecond\n").html
    assert html == "<p>Intro line:</p>\n<ul>\n<li>first</li>\n<li>second</li>\n</ul>"


def test_seed_lists_render_as_the_source_reads():
    html = render_markdown(split_front_matter(seed("vi"))[1]).html
    # Section 2: the list after "Trong quá trình đăng ký..." has its three items.
    assert (
        "<p>Trong quá trình đăng ký Sigma.video , Khách hàng sẽ tạo tài khoản và mật khẩu.</p>\n<ul>\n<li>Khách hàng có trách nhiệm"
        in html
    )
    # Section 3: (i)/(ii)/(iii) nest under "Không tiết lộ dữ liệu...".
    assert (
        "<li>Không tiết lộ dữ liệu của Khách hàng ngoại trừ một trong các trường hợp sau:<ol>\n"
        "<li>(i) Có sự chấp thuận của Khách hàng;</li>\n"
        "<li>(ii) Phải tuân theo quy định của pháp luật;</li>\n"
        "<li>(iii) Thuộc trường hợp quy định tại Điều khoản sử dụng này;</li>\n</ol>\n</li>"
    ) in html
    assert html.count("<ul>") == 3 and html.count("<ol>") == 1
    assert html.count("<li>") == 3 + 3 + 3 + 3


def test_list_inside_a_code_fence_is_left_alone():
    html = render_markdown("```\ntext\n- not a list\n```\n").html
    assert "<li>" not in html and "- not a list" in html


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("1. Các định nghĩa", "1-cac-dinh-nghia"),
        ("2. Hệ thống Sigma.video của Khách hàng", "2-he-thong-sigmavideo-cua-khach-hang"),
        ("Đường đi ưu tiên", "duong-di-uu-tien"),
        ("!!!", "section"),
    ],
)
def test_anchors_are_readable_ascii(heading, anchor):
    assert slugify_heading(heading) == anchor


def test_input_is_normalised_to_nfc():
    decomposed = "## Các đi\u0323nh nghi\u0303a\n"  # combining marks, as some editors save them
    assert render_markdown(decomposed).sections[0].text == "Các định nghĩa"


def test_explicit_id_in_the_source_wins():
    rendered = render_markdown("## Definitions {#dinh-nghia}\n")
    assert rendered.section_ids == ["dinh-nghia"]


def test_translation_takes_the_anchors_of_the_authoritative_outline():
    vi = render_markdown(split_front_matter(seed("vi"))[1])
    en = render_markdown(split_front_matter(seed("en"))[1], section_ids=vi.section_ids)
    assert vi.section_ids == ["1-cac-dinh-nghia", "2-he-thong-sigmavideo-cua-khach-hang", "3-bao-ve-quyen-rieng-tu"]
    assert en.section_ids == vi.section_ids
    assert [s.text for s in en.sections] == [
        "1. Definitions",
        "2. The Customer's Sigma.video System",
        "3. Privacy Protection",
    ]


def test_duplicate_and_reserved_headings_get_distinct_ids():
    rendered = render_markdown("## Notes\n\n## Notes\n\n## csrfmiddlewaretoken\n\n## Main\n")
    assert rendered.section_ids == ["notes", "notes-2", "section-csrfmiddlewaretoken", "section-main"]


def test_every_heading_below_the_title_is_a_section():
    rendered = render_markdown("# T\n\n## A\n\n### B\n\n#### C\n")
    assert [(s.level, s.id, s.text) for s in rendered.sections] == [(2, "a", "A"), (3, "b", "B"), (4, "c", "C")]


def test_permalinks_are_added_with_the_given_label():
    html = render_markdown("## A\n", permalink_label="Link to this section").html
    assert html == '<h2 id="a">A<a class="permalink" href="#a" aria-label="Link to this section">#</a></h2>'


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("[x](javascript:alert(1))", "javascript:"),
        ("<script>alert(1)</script>", "<script"),
        ("## Title {: onclick=alert(1) }", "onclick"),
        ('<img src=x onerror="alert(1)">', "<img"),
        ('[x](http://a){: style="color:red" }', "style="),
        ("![x](http://example.com/a.png)", "<img"),
        ("<a href='data:text/html,<script>alert(1)</script>'>x</a>", "data:"),
    ],
)
def test_hostile_input_is_neutralised(source, forbidden):
    assert forbidden not in render_markdown(source).html.lower()


def test_allowed_markup_survives():
    source = (
        "**b** *i* `c` [l](https://sigma.video) <mailto:contact@gviet.vn>\n\n> q\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n"
    )
    html = render_markdown(source).html
    for fragment in (
        "<strong>b</strong>",
        "<em>i</em>",
        "<code>c</code>",
        '<a href="https://sigma.video">l</a>',
        "<blockquote>",
        "<table>",
        "<td>1</td>",
    ):
        assert fragment in html
    assert "align=" not in html and "style=" not in html


@pytest.mark.parametrize("text", ["", "   \n\n", "\n"])
def test_blank_text_renders_to_nothing(text):
    rendered = render_markdown(text)
    assert (rendered.title, rendered.html, rendered.sections) == ("", "", ())


# Limits --------------------------------------------------------------------------------

PAST_THE_LIMITS = {
    "100,000 [": ("[" * 100_000, "line_chars"),
    "50,000 [ on their own lines": ("[\n" * 50_000, "bracket_scan_chars"),
    "unclosed [ in a long paragraph": ("[ " * 200 + "word " * 3000, "bracket_scan_chars"),
    "10,000 headings": ("".join(f"## H {i}\n\n" for i in range(10_000)), "headings"),
    "a list nested 500 deep": ("".join("  " * i + "- x\n" for i in range(500)), "body_chars"),
    "quotes nested 500 deep": (">" * 500 + " x\n", "nesting_depth"),
    "list and quote markers 500 deep": ("- > " * 250 + "x\n", "nesting_depth"),
    "10,000 unclosed tags": ("<a " * 10_000, "html_tags"),
    "30,000 emphasis marks": ("*_" * 15_000, "inline_marks"),
    "70,000 backticks": ("`\n" * 70_000, "inline_marks"),
    "a body past the size limit": ("word " * 40_000, "body_chars"),
}


@pytest.mark.parametrize("case", PAST_THE_LIMITS, ids=list(PAST_THE_LIMITS))
def test_pathological_input_is_refused_before_rendering(case):
    """What ran past 30 s or raised RecursionError is refused at once (anti-hang bound only)."""
    text, code = PAST_THE_LIMITS[case]
    start = time.monotonic()
    with pytest.raises(RenderLimitError) as caught:
        render_markdown(text)
    assert time.monotonic() - start < 10
    assert caught.value.code == code
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "".join("  " * i + "- x\n" for i in range(LIMITS.nesting_depth)),
        ">" * LIMITS.nesting_depth + " x\n",
        "- > " * (LIMITS.nesting_depth // 2) + "x\n",
        "".join(f"## H {i}\n\n" for i in range(LIMITS.headings)),
        "word " * (LIMITS.line_chars // 5),
    ],
    ids=["list", "quotes", "list-and-quotes", "headings", "long-line"],
)
def test_text_at_the_limits_renders_without_recursion_error(text):
    check_limits(text)
    start = time.monotonic()
    assert render_markdown(text).html
    assert time.monotonic() - start < 10


def test_bracket_budget_counts_only_what_markdown_scans():
    """Closed links, escaped brackets and code spans are cheap; the seed is far inside."""
    check_limits("[a link](https://sigma.video) " * 1000)
    check_limits("\\[ " * 1000 + "word " * 2000)
    check_limits("`[` " * 700 + "word " * 2000)
    check_limits(seed("vi"))
    with pytest.raises(RenderLimitError):
        check_limits("[`]` " * 700 + "word " * 2000)  # code spans hide the "]" from Markdown
