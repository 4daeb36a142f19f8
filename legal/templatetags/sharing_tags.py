"""Template filters for link previews (Open Graph) of the reader pages."""

from django import template

register = template.Library()

# Open Graph names locales language_TERRITORY; the site's languages are those of Vietnam's readers.
OPEN_GRAPH_LOCALES = {"vi": "vi_VN", "en": "en_US"}


@register.filter
def og_locale(language_code):
    """The Open Graph locale of a language code: "vi" gives "vi_VN"."""
    return OPEN_GRAPH_LOCALES.get(language_code, language_code)
