"""The sanitiser (legal/sanitizer.py) and the renderer (legal/rendering.py) against hostile input: a corpus of XSS payloads, random Markdown, the page's own ids.

Every check parses the output as a browser would (html5lib, the WHATWG parsing algorithm), so
what is judged is the DOM a reader's browser builds, not the text the sanitiser wrote.
"""

import json
import re
import string
import unicodedata
from pathlib import Path

import html5lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legal.rendering import RESERVED_IDS, render_markdown
from legal.sanitizer import sanitize_html

CORPUS = json.loads((Path(__file__).parent / "data" / "xss_payloads.json").read_text(encoding="utf-8"))
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
LABEL = "Link"

ALLOWED_TAGS = frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li",
        "table", "thead", "tbody", "tr", "th", "td", "a", "strong", "b", "em", "i",
        "code", "pre", "blockquote", "abbr",
    }
)  # fmt: skip
FORBIDDEN_TAGS = frozenset(
    {
        "script", "style", "iframe", "object", "embed", "svg", "math", "base", "meta", "form",
        "link", "img", "input", "button", "textarea", "select", "frame", "frameset", "noscript",
        "template",
    }
)  # fmt: skip
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "style"}
)
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
PERMALINK_HEADINGS = frozenset({"h2", "h3", "h4"})
HEADING_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
NAMESPACE_PREFIXES = {
    "http://www.w3.org/1999/xlink": "xlink",
    "http://www.w3.org/XML/1998/namespace": "xml",
    "http://www.w3.org/2000/xmlns/": "xmlns",
}
# Characters a URL parser drops or an attacker hides a scheme behind: C0/C1 controls,
# whitespace, and invisible format characters (zero-width, soft hyphen, bidi controls).
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _split_name(qualified):
    """("{ns}local" or "local") -> (namespace or None, local)."""
    if qualified.startswith("{"):
        namespace, _, local = qualified[1:].partition("}")
        return namespace, local
    return None, qualified


def _attribute_name(qualified):
    namespace, local = _split_name(qualified)
    prefix = NAMESPACE_PREFIXES.get(namespace)
    return (f"{prefix}:{local}" if prefix else local).lower()


def _is_dangerous_url(value):
    """True if `value` (as the browser decoded it) names a script-capable scheme.

    html5lib has already decoded character references exactly once, as a browser does;
    decoding again would wrongly flag literal text such as `javascript&colon;x`, which a
    browser reads as a relative URL. Every whitespace, control and format character is then
    removed, wherever it stands, which is stricter than the URL parser's own stripping.
    """
    probe = "".join(
        char for char in value if unicodedata.category(char) not in INVISIBLE_CATEGORIES and not char.isspace()
    )
    return probe.lower().startswith(DANGEROUS_SCHEMES)


def _is_renderer_permalink(element, parent, permalink_label):
    """The "link to this section" anchor the sanitiser appends to an h2-h4, and nothing else."""
    return (
        permalink_label is not None
        and parent is not None
        and parent.tag in PERMALINK_HEADINGS
        and parent.get("id") is not None
        and list(parent)[-1] is element
        and dict(element.attrib)
        == {"class": "permalink", "href": f"#{parent.get('id')}", "aria-label": permalink_label}
        and element.text == "#"
        and len(element) == 0
    )


def unsafe_constructs(html, *, permalink_label=None):
    """Everything in `html` a browser would build that the allow-list does not permit, as messages."""
    fragment = html5lib.parseFragment(html, namespaceHTMLElements=False)
    parents = {child: parent for parent in fragment.iter() for child in parent}
    problems = []
    for element in fragment.iter():
        if element is fragment:
            continue
        if not isinstance(element.tag, str):  # comments and processing instructions
            problems.append(f"non-element node {element.tag!r}: {element.text!r}")
            continue
        namespace, tag = _split_name(element.tag)
        tag = tag.lower()
        if namespace is not None:
            problems.append(f"foreign element <{tag}> in {namespace}")
        if tag in FORBIDDEN_TAGS:
            problems.append(f"forbidden element <{tag}>")
        elif tag not in ALLOWED_TAGS:
            problems.append(f"element outside the allow-list <{tag}>")
        permalink = tag == "a" and _is_renderer_permalink(element, parents.get(element), permalink_label)
        for qualified, value in element.attrib.items():
            name = _attribute_name(qualified)
            if name.startswith("on"):
                problems.append(f"event handler <{tag} {name}={value!r}>")
            if name == "style":
                problems.append(f"style attribute <{tag} style={value!r}>")
            if name in URL_ATTRIBUTES and _is_dangerous_url(value):
                problems.append(f"script-capable URL <{tag} {name}={value!r}>")
            allowed = (
                (tag in HEADINGS and name == "id" and bool(HEADING_ID.match(value)))
                or (tag == "a" and name == "href")
                or (tag == "abbr" and name == "title")
                or (permalink and name in {"class", "aria-label"})
            )
            if not allowed:
                problems.append(f"attribute outside the allow-list <{tag} {name}={value!r}>")
    return problems


def heading_ids(html):
    fragment = html5lib.parseFragment(html, namespaceHTMLElements=False)
    return [el.get("id") for el in fragment.iter() if el.tag in HEADINGS and el.get("id") is not None]


# The corpus -------------------------------------------------------------------------------


def test_corpus_is_large_well_formed_and_uniquely_named():
    assert len(CORPUS) >= 150
    assert all(set(entry) == {"id", "source", "markdown"} for entry in CORPUS)
    assert all(isinstance(entry[key], str) and entry[key] for entry in CORPUS for key in ("id", "source", "markdown"))
    assert len({entry["id"] for entry in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(
    "html",
    [
        '<img src="x" onerror="alert(1)">',
        '<p onclick="alert(1)">x</p>',
        '<a href="java&#x09;script:alert(1)">x</a>',
        '<a href=" \u200bJAVASCRIPT:alert(1)">x</a>',
        '<a href="vbscript:msgbox(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        '<svg><a xlink:href="https://example.com/">x</a></svg>',
        "<math><mi>x</mi></math>",
        '<p style="color:red">x</p>',
        "<p><!-- a comment -->x</p>",
        "<span>x</span>",
        '<a href="#a" class="permalink" aria-label="Link">#</a>',
        '<h2 id="a">A<a class="permalink" href="#b" aria-label="Link">#</a></h2>',
        '<h2 id="a_b">x</h2>',
        '<p id="a">x</p>',
        '<a href="https://example.com/" title="x">x</a>',
    ],
)
def test_the_check_itself_catches_unsafe_html(html):
    """Guard against a check that passes everything: each of these must be reported."""
    assert unsafe_constructs(html, permalink_label=LABEL)


def test_the_check_accepts_the_renderers_own_permalinks():
    html = render_markdown("## A\n\n### B\n\n[x](https://sigma.video)\n", permalink_label=LABEL).html
    assert html.count('class="permalink"') == 2
    assert unsafe_constructs(html, permalink_label=LABEL) == []


@pytest.mark.parametrize("payload", CORPUS, ids=[entry["id"] for entry in CORPUS])
def test_payload_renders_to_nothing_a_browser_would_execute(payload):
    html = render_markdown(payload["markdown"], permalink_label=LABEL).html
    assert unsafe_constructs(html, permalink_label=LABEL) == []


@pytest.mark.parametrize("payload", CORPUS, ids=[entry["id"] for entry in CORPUS])
def test_payload_taken_as_html_is_neutralised_by_the_sanitiser_alone(payload):
    """Defence in depth: the sanitiser is safe on raw HTML, whatever the Markdown engine lets through."""
    html = sanitize_html(payload["markdown"], permalink_label=LABEL)
    assert unsafe_constructs(html, permalink_label=LABEL) == []


@pytest.mark.parametrize("payload", CORPUS, ids=[entry["id"] for entry in CORPUS])
def test_sanitising_is_idempotent(payload):
    rendered = render_markdown(payload["markdown"]).html  # sanitize_html(Markdown HTML), no permalinks
    assert sanitize_html(rendered) == rendered
    raw = sanitize_html(payload["markdown"])
    assert sanitize_html(raw) == raw


# Random Markdown --------------------------------------------------------------------------

VIETNAMESE = "ăâđêôơưĂÂĐÊÔƠƯáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
COMBINING = "\u0300\u0301\u0302\u0303\u0306\u0309\u031b\u0323"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f"
BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CONTROLS = "\x00\x01\x08\x0b\x0c\x1b\x7f\x85\u2028"
PUNCTUATION = " _-.:/#&;<>\"'`=()[]{}*|!\\\t"

text = st.one_of(
    st.text(
        alphabet=st.sampled_from(
            VIETNAMESE + COMBINING + ZERO_WIDTH + BIDI + CONTROLS + PUNCTUATION + string.ascii_letters + string.digits
        ),
        max_size=12,
    ),
    st.text(max_size=6),  # anything Unicode has, surrogates excepted
)
schemes = st.sampled_from(
    [
        "javascript", "JaVaScRiPt", "vbscript", "data", "livescript", "http", "https", "mailto", "",
        "java\tscript", "java&#x09;script", "&#106;avascript", "jav&#97;script", " javascript",
        "\x01javascript", "java\u200bscript", "java\nscript", "ja&Tab;vascript",
    ]
)  # fmt: skip
urls = st.builds(
    "{}{}{}".format,
    schemes,
    st.sampled_from([":", "&#58;", "&colon;", "&#x3A", "%3A", ""]),
    st.sampled_from(["alert(1)", "//example.com/", "text/html;base64,PHNjcmlwdD4=", "x@example.com", "", "a b"]),
)
attribute_names = st.sampled_from(
    [
        "onclick", "ONMOUSEOVER", "onerror", "style", "href", "src", "id", "class", "name", "formaction",
        "xlink:href", "data", "poster", "background", "aria-label", "title", "srcdoc", "align",
    ]
)  # fmt: skip
attribute_values = st.one_of(urls, text, st.sampled_from(["alert(1)", "csrfmiddlewaretoken", "main", "permalink"]))
attributes = st.one_of(
    st.builds("{}={}".format, attribute_names, attribute_values),
    st.builds('{}="{}"'.format, attribute_names, attribute_values),
    st.sampled_from(["#csrfmiddlewaretoken", "#main", "#toc", "#a_b", ".permalink", "#Ünï", "#"]),
    st.builds("#{}".format, text),
    st.builds(".{}".format, text),
)
attr_lists = st.builds(
    lambda items, close: "{: " + " ".join(items) + close,
    st.lists(attributes, max_size=4),
    st.sampled_from([" }", "}", ""]),
)
raw_html = st.sampled_from(
    [
        "<script>", "</script>", "<script>alert(1)</script>", "<style>", "</style>", "<svg onload=alert(1)>",
        "<svg>", "</svg>", "<math>", "<mtext>", "<mglyph>", "<annotation-xml encoding=text/html>",
        "<img src=x onerror=alert(1)>", "<iframe src=javascript:alert(1)>", '<a href="javascript:alert(1)">',
        "<a href=http://a>", "</a>", "<div onclick=alert(1)>", "</div>", "<!--", "-->", "<!-->", "--!>",
        "<noscript>", "</noscript>", "<template>", "</template>", "<table>", "</table>", "<tr>", "<td>",
        "<td background=javascript:alert(1)>", "<form action=javascript:alert(1)>", "<button formaction=x>",
        "<base href=javascript:alert(1)//>", "<meta http-equiv=refresh content=0;url=javascript:alert(1)>",
        "<![CDATA[", "]]>", '<p title="</noscript><img src=x onerror=alert(1)>">', "<textarea>", "</textarea>",
        "<title>", "</title>", "<xmp>", "<plaintext>", "<select>", "<object data=javascript:alert(1)>",
        "<embed src=javascript:alert(1)>", "<link rel=stylesheet href=x>", '<h2 id="csrfmiddlewaretoken">',
        "<h3 id=main>", "</h2>", '<abbr title="x" onclick=alert(1)>', '<a class=permalink aria-label=x href=#a>',
        "<pre>", "<code class=x>", "<blockquote cite=javascript:alert(1)>", "<?xml x?>", "<!doctype html>",
        "<scr<script>ipt>", "<video poster=javascript:alert(1)>", "<details open ontoggle=alert(1)>",
    ]
)  # fmt: skip
entities = st.sampled_from(
    ["&#106;", "&#x6A;", "&colon;", "&Tab;", "&NewLine;", "&lt;", "&gt;", "&amp;", "&quot;", "&#0;", "&#x110000;",
     "&nbsp;", "&", "&#", "&#x", "&#60;script&#62;", "&lt;script&gt;", "&#8203;", "&#x202e;"]
)  # fmt: skip
list_items = st.builds(
    "{}{}{}{}\n".format,
    st.sampled_from(["", "  ", "    ", "\t", "  \t", "      ", "\t\t"]),
    st.sampled_from(["-", "*", "+", "1.", "2)", "10."]),
    st.sampled_from([" ", "\t", "  "]),
    text,
)
headings = st.builds(
    "{} {}{}\n".format,
    st.sampled_from(["#", "##", "###", "####", "#####", "######", "#######"]),
    text,
    st.one_of(st.just(""), attr_lists.map(" {}".format), st.sampled_from([" {#csrfmiddlewaretoken}", " {#toc}"])),
)
setext_headings = st.builds("{}\n{}\n".format, text, st.sampled_from(["===", "---", "="]))
links = st.one_of(
    st.builds("[{}]({}{})".format, text, urls, st.sampled_from(["", ' "t"', " 'a\" onclick=\"alert(1)'", " (x)"])),
    st.builds("![{}]({})".format, text, urls),
    st.builds("[{}][r]\n\n[r]: {}\n".format, text, urls),
    st.builds("<{}>".format, urls),
    st.builds("[{}]({}){}".format, text, urls, attr_lists),
)
structure = st.sampled_from(
    ["\n", "\n\n", " ", "\t", "    ", "> ", "```\n", "~~~\n", "```html onclick=x\n", "| a | b |\n|:--|--:|\n",
     "| x | y |\n", "---\n", "***\n", "*", "**", "_", "`", "``", "[TOC]", "*[HTML]: ", "*[", "]: ", "{", "}",
     "\\", "\u2028", "\r\n", "\r", "\x02", "\x03", "klzzwxh:0000", "\x02wzxhzdk:0\x03"]
)  # fmt: skip
fragments = st.one_of(text, headings, setext_headings, list_items, links, attr_lists, raw_html, entities, structure)
markdown_documents = st.lists(fragments, max_size=30).map("".join)

# The conftest's autouse fixtures freeze the clock and clear the cache; the renderer touches
# neither, so sharing them across the examples of one test is harmless.
fuzz = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@fuzz
@given(markdown_documents)
def test_random_markdown_never_raises_nor_yields_unsafe_html(source):
    html = render_markdown(source, permalink_label=LABEL).html
    assert unsafe_constructs(html, permalink_label=LABEL) == []
    plain = render_markdown(source).html
    assert sanitize_html(plain) == plain


@fuzz
@given(markdown_documents)
def test_random_markdown_section_ids_are_unique_ascii_and_not_reserved(source):
    ids = render_markdown(source).section_ids
    assert len(ids) == len(set(ids))
    assert all(section_id and section_id.isascii() for section_id in ids)
    assert not set(ids) & RESERVED_IDS


slugs = st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,20}\Z")
id_lists = st.lists(
    st.one_of(slugs, st.sampled_from(sorted(RESERVED_IDS)), text, st.sampled_from(["", "-", "a_b", "Main", "é"])),
    max_size=8,
)


@fuzz
@given(markdown_documents, id_lists)
def test_translation_path_with_random_ids_never_raises_nor_yields_unsafe_html(source, section_ids):
    rendered = render_markdown(source, section_ids=section_ids, permalink_label=LABEL)
    assert unsafe_constructs(rendered.html, permalink_label=LABEL) == []
    assert len(rendered.section_ids) == len(set(rendered.section_ids))
    assert not set(rendered.section_ids) & RESERVED_IDS


@fuzz
@given(
    st.lists(st.builds("## {}\n\n".format, text), min_size=1, max_size=8).map("".join),
    st.lists(slugs.filter(lambda slug: slug not in RESERVED_IDS), unique=True, max_size=8),
)
def test_translation_takes_the_given_anchors_in_order(source, section_ids):
    rendered = render_markdown(source, section_ids=section_ids)
    shared = min(len(section_ids), len(rendered.sections))
    assert rendered.section_ids[:shared] == section_ids[:shared]


# The page's own ids -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("## csrfmiddlewaretoken\n", ["section-csrfmiddlewaretoken"]),
        ("## main\n", ["section-main"]),
        ("## Heading {#csrfmiddlewaretoken}\n", ["section-csrfmiddlewaretoken"]),
        ("## Heading {#toc}\n", ["section-toc"]),
        ("## Heading {: #Main }\n", ["section-main"]),
        ("## Main\n\n## main\n\n## Section main\n", ["section-main", "section-main-2", "section-main-3"]),
    ],
)
def test_headings_named_like_the_page_get_a_prefixed_id(source, expected):
    rendered = render_markdown(source, permalink_label=LABEL)
    assert rendered.section_ids == expected
    assert heading_ids(rendered.html) == expected
    for section_id in expected:
        assert f'href="#{section_id}"' in rendered.html


@pytest.mark.parametrize("name", sorted(RESERVED_IDS))
def test_every_reserved_name_is_prefixed_from_text_and_from_an_explicit_id(name):
    assert render_markdown(f"## {name}\n").section_ids == [f"section-{name}"]
    assert render_markdown(f"## Heading {{#{name}}}\n").section_ids == [f"section-{name}"]


def test_translation_anchors_named_like_the_page_are_prefixed():
    rendered = render_markdown("## A\n\n## B\n", section_ids=["csrfmiddlewaretoken", "toc"])
    assert rendered.section_ids == ["section-csrfmiddlewaretoken", "section-toc"]


def test_a_heading_id_appears_once_even_when_raw_html_repeats_it():
    rendered = render_markdown('## A\n\n<h2 id="a">again</h2>\n', permalink_label=LABEL)
    assert heading_ids(rendered.html) == ["a"]
    assert rendered.html.count('href="#a"') == 1


def test_sanitiser_keeps_only_the_heading_ids_it_is_given():
    html = '<h2 id="a">A</h2><h2 id="csrfmiddlewaretoken">x</h2><h3 id="a">again</h3>'
    assert sanitize_html(html, heading_ids=["a"]) == '<h2 id="a">A</h2><h2>x</h2><h3>again</h3>'
    assert sanitize_html(html) == '<h2 id="a">A</h2><h2 id="csrfmiddlewaretoken">x</h2><h3>again</h3>'


@pytest.mark.parametrize(
    "source",
    ['<h2 id="csrfmiddlewaretoken">x</h2>\n', "text <h3 id=main>y</h3> more\n", '<div><h2 id="toc">x</h2></div>\n'],
)
def test_raw_html_headings_cannot_choose_a_reserved_id(source):
    """Raw HTML is stashed by Python-Markdown, so its ids never meet RESERVED_IDS or `_unique`."""
    assert not set(heading_ids(render_markdown(source).html)) & RESERVED_IDS


@pytest.mark.parametrize("source", ["## snake_case term\n", "## Heading {: #a_b }\n"])
def test_every_section_id_is_on_its_heading(source):
    rendered = render_markdown(source)
    assert heading_ids(rendered.html) == rendered.section_ids


def test_every_id_the_templates_use_is_reserved():
    ids = set()
    for template in TEMPLATES_DIR.rglob("*.html"):
        ids |= set(re.findall(r'\sid="([^"{}]+)"', template.read_text(encoding="utf-8")))
    assert ids
    assert ids - RESERVED_IDS == set()
