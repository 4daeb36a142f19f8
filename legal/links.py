"""Absolute addresses on SITE_URL, in a given language: for emails and the API, which
answer the same whatever host was asked (or have no request at all)."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation


def site_url(path: str) -> str:
    """`path` (from the root, with its query string) on the site's public address."""
    return settings.SITE_URL + path


def absolute_url(language: str, name: str, **kwargs) -> str:
    """The absolute address of the URL pattern `name` in `language` (`/vi/...`, `/en/...`)."""
    with translation.override(language):
        return site_url(reverse(name, kwargs=kwargs))
