"""Repr-Digest (RFC 9530) on the Markdown downloads: the SHA-256 of the bytes as they are sent.

The digest covers the selected representation, content coding included, so it is computed
outside GZipMiddleware: a gzipped download carries the digest of the gzipped bytes, a plain
one that of the text (which is then the SHA-256 shown on the version page).
"""

import base64
import hashlib


def want_repr_digest(response):
    """Mark `response` to carry Repr-Digest once every middleware has shaped its body."""
    response.repr_digest = True
    return response


class ReprDigestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(response, "repr_digest", False) and response.status_code == 200 and not response.streaming:
            digest = base64.b64encode(hashlib.sha256(response.content).digest()).decode()
            response["Repr-Digest"] = f"sha-256=:{digest}:"
        return response
