"""The transparency log's public JSON endpoints (`/log/...`), for anyone's verifier.

Hashes are lowercase hex, signatures base64, indexes start at 0. Like the document API
these answers are for machines and their error messages are English. Every parameter is
checked against the log's size before any work, so a request costs at most one pass over
the leaf hashes of the log as it is.
"""

import base64
import datetime
import json

from cryptography.hazmat.primitives import serialization

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from . import paging, transparency
from .links import site_url
from .models import LogLeaf, Timestamp, TreeHead


def _json(data, status=200):
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Cache-Control"] = f"public, max-age={settings.LOG_API_MAX_AGE}" if status == 200 else "no-store"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _error(message, status):
    return _json({"error": message}, status=status)


def _integer(request, name, *, minimum, maximum):
    """The query parameter `name` as an int in [minimum, maximum], or an error response."""
    number = paging.whole_number(request.GET.get(name, ""))
    if number is None:
        return None, _error(f"{name} must be a whole number", 400)
    if maximum < minimum:
        return None, _error("the log is empty", 404)
    if not minimum <= number <= maximum:
        return None, _error(f"{name} must be between {minimum} and {maximum}", 400)
    return number, None


# Beyond any log's size; keeps a huge number in a path from overflowing a database integer.
LARGEST = 2**62


def tree_head_json(head):
    stamps = head.timestamps.filter(status=Timestamp.Status.GRANTED).order_by("pk")
    return {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "timestamp": head.timestamp,
        "time": transparency.instant(datetime.datetime.fromtimestamp(head.timestamp / 1000, datetime.UTC)),
        "key_id": head.key_id,
        "signature": head.signature,
        "signature_algorithm": "Ed25519",
        "signed_data": "RFC 9162 TreeHeadDataV2: uint64 timestamp, uint64 tree_size, opaque root_hash<32..255>, "
        "extensions<0..65535> (empty)",
        "time_stamps": [site_url(f"/log/tree-head/{head.tree_size}/{stamp.pk}.tsr") for stamp in stamps],
    }


@require_safe
def tree_head(request):
    """The latest signed tree head, or the one of `?tree_size=N` when the log signed one."""
    if "tree_size" in request.GET:
        size, error = _integer(request, "tree_size", minimum=1, maximum=LogLeaf.objects.count())
        if error:
            return error
        head = TreeHead.objects.filter(tree_size=size).first()
        if head is None:
            return _error("the log signed no tree head of this size", 404)
    else:
        head = TreeHead.objects.order_by("-tree_size").first()
        if head is None:
            if transparency.signing_key() is None:
                return _error("the log has no signing key (LOG_SIGNING_KEY) and signs no tree head", 503)
            return _error("the log is empty", 404)
    return _json(tree_head_json(head))


@require_safe
def tree_head_timestamp(request, tree_size, pk):
    """The RFC 3161 time-stamp response (DER) of a signed tree head."""
    if max(tree_size, pk) > LARGEST:
        return _error("no such time-stamp", 404)
    stamp = get_object_or_404(
        Timestamp, pk=pk, tree_head__tree_size=tree_size, subject=Timestamp.Subject.TREE_HEAD,
        status=Timestamp.Status.GRANTED,
    )  # fmt: skip
    response = HttpResponse(bytes(stamp.response), content_type="application/timestamp-reply")
    response["Content-Disposition"] = f'attachment; filename="tree-head-{tree_size}.tsr"'
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def public_key(request):
    key = transparency.signing_key()
    if key is None:
        return _error("the log has no signing key (LOG_SIGNING_KEY)", 503)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return _json(
        {
            "key_id": transparency.key_id(key),
            "algorithm": "Ed25519",
            "public_key_der": base64.b64encode(transparency.public_key_der(key)).decode(),
            "public_key_pem": pem.decode(),
            "jwk": transparency.public_key_jwk(key),
        }
    )


def leaf_json(leaf):
    return {
        "index": leaf.leaf_index,
        "entry": json.loads(leaf.entry),
        "leaf_input": leaf.entry,
        "leaf_hash": leaf.leaf_hash,
    }


@require_safe
def entry(request, index):
    if index > LARGEST:
        return _error("no entry at this index", 404)
    leaf = LogLeaf.objects.filter(leaf_index=index).first()
    if leaf is None:
        return _error("no entry at this index", 404)
    return _json(leaf_json(leaf))


@require_safe
def inclusion_proof(request):
    size = LogLeaf.objects.count()
    tree_size, error = _integer(request, "tree_size", minimum=1, maximum=size)
    if error:
        return error
    index, error = _integer(request, "index", minimum=0, maximum=tree_size - 1)
    if error:
        return error
    proof = transparency.inclusion_proof(index, tree_size)
    return _json({"index": index, "tree_size": tree_size, "inclusion_path": [node.hex() for node in proof]})


@require_safe
def consistency_proof(request):
    size = LogLeaf.objects.count()
    second, error = _integer(request, "second", minimum=1, maximum=size)
    if error:
        return error
    first, error = _integer(request, "first", minimum=1, maximum=second)
    if error:
        return error
    proof = transparency.consistency_proof(first, second)
    return _json({"first": first, "second": second, "consistency_path": [node.hex() for node in proof]})
