"""The site's one OpenAPI 3.1 document, served as JSON at `/api/openapi.json`.

Two sources, each next to what it describes: `legal/openapi.yaml` (the public document API
and the webhook events) and `legal/openapi_acceptances.py` (the acceptance API, whose
operations need a product's token). Each path and schema is written in one of them only;
this module puts them together and sets `servers` to this site's public address.
"""

import copy
import functools
import pathlib

import yaml

from django.conf import settings
from django.views.decorators.http import require_safe

from . import openapi_acceptances
from .api import json_response

SOURCE = pathlib.Path(__file__).with_name("openapi.yaml")


@functools.cache
def _public_document():
    return yaml.safe_load(SOURCE.read_text(encoding="utf-8"))


def openapi_document():
    """The whole OpenAPI document with `servers` set to this site's public address (SITE_URL)."""
    document = copy.deepcopy(_public_document())
    acceptances = openapi_acceptances.document()
    overlap = set(document["paths"]) & set(acceptances["paths"])
    assert not overlap, f"described twice: {overlap}"
    security = acceptances.get("security", [])
    for path, item in acceptances["paths"].items():
        item = copy.deepcopy(item)
        for method, operation in item.items():
            if method != "parameters":
                operation.setdefault("security", security)
        document["paths"][path] = item
    for kind, entries in acceptances["components"].items():
        document["components"].setdefault(kind, {}).update(copy.deepcopy(entries))
    document["servers"] = [{"url": settings.SITE_URL}]
    return document


@require_safe
def openapi_view(request):
    return json_response(openapi_document(), max_age=settings.OPENAPI_MAX_AGE)
