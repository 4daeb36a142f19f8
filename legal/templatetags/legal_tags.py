"""Template tags for the reader pages: the same page in every language."""

from django import template
from django.conf import settings
from django.urls import translate_url
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
        path = translate_url(request.path, code)
        alternates.append((code, get_language_info(code)["name_local"], request.build_absolute_uri(path)))
    return alternates
