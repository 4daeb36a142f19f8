"""Template tags for the reader pages: the same page in every language."""

from django import template
from django.conf import settings
from django.urls import Resolver404, resolve, reverse, translate_url
from django.utils.translation import get_language_info

register = template.Library()


@register.simple_tag(takes_context=True)
def language_alternates(context):
    """[(code, local name, absolute URL)] of the current page in each configured language."""
    request = context.get("request")
    if request is None:  # the 500 page is rendered without a request
        return []
    alternates = []
    for code, _name in settings.LANGUAGES:
        path = _with_language_argument(request.path, code) or translate_url(request.path, code)
        alternates.append((code, get_language_info(code)["name_local"], request.build_absolute_uri(path)))
    return alternates


def _with_language_argument(path, code):
    """The same page in `code` when the language is a URL argument (the admin preview), else None."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if "language" not in match.kwargs:
        return None
    return reverse(match.view_name, args=match.args, kwargs={**match.kwargs, "language": code})
