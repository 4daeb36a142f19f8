"""The HTML sanitiser: the one module that knows about bleach.

bleach is archived (6.4.0 is its last release), so it stays behind this module: swapping
it for another sanitiser is a change to this file alone. It cleans rendered HTML, never
Markdown source.
"""

import re

import bleach
from bleach.html5lib_shim import Filter

# The HTML heading tags: the renderer, the sanitiser and the redline all read headings by these.
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Headings that get a "link to this section" anchor.
PERMALINK_TAGS = frozenset({"h2", "h3", "h4"})
ALLOWED_TAGS = HEADING_TAGS | frozenset(
    {
        "p", "br", "hr",
        "ul", "ol", "li",
        "table", "thead", "tbody", "tr", "th", "td",
        "a", "strong", "b", "em", "i",
        "code", "pre", "blockquote", "abbr",
    }
)  # fmt: skip
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# Heading ids are the only author-influenced attribute besides link targets and
# abbreviation titles; they must be plain slugs the renderer itself produced.
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


def _attribute_policy(heading_ids):
    """The per-call attribute allow-list; it remembers the ids it has let through.

    An id is kept at most once per fragment, and, when the renderer names the ids it
    assigned, only if it is one of them: raw HTML in the Markdown (`<h2 id="main">`)
    never passes through the renderer's reserved-name and uniqueness rules, so its ids
    must not reach the page.
    """
    allowed_ids = None if heading_ids is None else frozenset(heading_ids)
    seen_ids = set()

    def allow(tag, name, value):
        if tag in HEADING_TAGS:
            if name != "id" or not ID_PATTERN.match(value) or value in seen_ids:
                return False
            if allowed_ids is not None and value not in allowed_ids:
                return False
            seen_ids.add(value)
            return True
        if tag == "a":
            return name == "href"
        if tag == "abbr":
            return name == "title"
        return False

    return allow


class _HeadingPermalinks(Filter):
    """Append a "link to this section" anchor to every h2-h4 that has an id.

    Runs inside bleach after sanitising, so the only input it sees is already clean
    and the anchor it writes is ours, not the author's.
    """

    label = ""

    def __iter__(self):
        heading_id = None
        for token in super().__iter__():
            if token["type"] == "StartTag" and token["name"] in PERMALINK_TAGS:
                heading_id = dict(token["data"]).get((None, "id"))
            elif token["type"] == "EndTag" and token["name"] in PERMALINK_TAGS and heading_id:
                data = {(None, "class"): "permalink", (None, "href"): f"#{heading_id}"}
                if self.label:
                    data[(None, "aria-label")] = self.label
                yield {"type": "StartTag", "name": "a", "data": data}
                yield {"type": "Characters", "data": "#"}
                yield {"type": "EndTag", "name": "a", "data": {}}
                heading_id = None
            yield token


def sanitize_html(html, *, permalink_label=None, heading_ids=None):
    """Return `html` with everything outside the allow-list removed.

    With `permalink_label`, each h2-h4 also gets a "link to this section" anchor carrying
    that accessible name. Without it the function is idempotent on its own output.
    `heading_ids`, when given, are the only heading ids kept (the renderer passes the ids
    it assigned); any heading id appears at most once either way.
    A new Cleaner per call: bleach's Cleaner is not thread-safe (it raised
    IndexError under gunicorn's gthread workers).
    """
    filters = []
    if permalink_label is not None:
        filters.append(type("HeadingPermalinks", (_HeadingPermalinks,), {"label": permalink_label}))
    cleaner = bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_attribute_policy(heading_ids),
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=filters,
    )
    return cleaner.clean(html)
