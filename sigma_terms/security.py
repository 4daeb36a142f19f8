"""Project-wide security plumbing: client addresses, request ids and response headers."""

import contextvars
import logging
import re
import uuid

from csp.middleware import CSPMiddleware

from django.conf import settings

_request_id = contextvars.ContextVar("request_id", default="-")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request):
    """The client's address: REMOTE_ADDR, or the trusted proxy header when one is configured.

    With DJANGO_CLIENT_IP_HEADER (e.g. X-Forwarded-For) the address is taken from the
    right of that header, skipping DJANGO_TRUSTED_PROXY_COUNT - 1 further proxies; entries
    further left are written by the client and cannot be trusted.
    """
    header = settings.CLIENT_IP_HEADER
    if header:
        values = [v.strip() for v in request.META.get(header, "").split(",") if v.strip()]
        if len(values) >= settings.TRUSTED_PROXY_COUNT:
            return values[-settings.TRUSTED_PROXY_COUNT]
    return request.META.get("REMOTE_ADDR", "")


def axes_client_ip(request, *args, **kwargs):
    """django-axes' AXES_CLIENT_IP_CALLABLE."""
    return client_ip(request)


class RequestIdMiddleware:
    """Give every request an id (kept from a well-formed X-Request-ID), logged and echoed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request.id
        return response


class RequestIdFilter(logging.Filter):
    """Add `request_id` and `path` to every log record."""

    def filter(self, record):
        record.request_id = _request_id.get()
        request = getattr(record, "request", None)
        record.path = getattr(request, "path", "-") if request is not None else "-"
        return True


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class SiteCSPMiddleware(CSPMiddleware):
    """The strict policy everywhere; the admin alone may use inline style attributes.

    Django's admin templates and the jQuery UI tabs write `style="..."` attributes, which
    a policy without 'unsafe-inline' for styles blocks. Scripts stay strict there too.
    """

    def process_response(self, request, response):
        if request.path.startswith(f"/{settings.ADMIN_URL}") and not hasattr(response, "_csp_update"):
            response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return super().process_response(request, response)
