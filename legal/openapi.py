"""The OpenAPI 3.1 description of the API and the webhook events (`legal/openapi.yaml`), served as JSON."""

import copy
import functools
import pathlib

import yaml

from django.conf import settings
from django.views.decorators.http import require_safe

from .api import json_response

SOURCE = pathlib.Path(__file__).with_name("openapi.yaml")


@functools.cache
def _document():
    return yaml.safe_load(SOURCE.read_text(encoding="utf-8"))


def openapi_document():
    """The OpenAPI document with `servers` set to this site's public address (SITE_URL)."""
    document = copy.deepcopy(_document())
    document["servers"] = [{"url": settings.SITE_URL}]
    return document


@require_safe
def openapi_view(request):
    return json_response(openapi_document(), max_age=settings.OPENAPI_MAX_AGE)
