"""Project-wide security plumbing: client addresses, request ids and response headers."""

import contextvars
import functools
import ipaddress
import logging
import re
import uuid

from csp.middleware import CSPMiddleware

from django.conf import settings

logger = logging.getLogger(__name__)

_request_id = contextvars.ContextVar("request_id", default="-")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request):
    """The client's address: REMOTE_ADDR, or the proxy header when it comes from a trusted proxy.

    With DJANGO_CLIENT_IP_HEADER (e.g. X-Forwarded-For) the address is taken from the right
    of that header, skipping DJANGO_TRUSTED_PROXY_COUNT - 1 further proxies; entries further
    left are written by the client and cannot be trusted. The header counts only on requests
    whose REMOTE_ADDR is one of DJANGO_TRUSTED_PROXIES: anyone who reaches the app directly
    could write it, and a new address per attempt would dodge the login lock-out. A header
    that is ignored is logged.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    header = settings.CLIENT_IP_HEADER
    if not header:
        return remote
    forwarded = request.META.get(header, "")
    if not _is_trusted_proxy(remote):
        if forwarded:
            logger.warning("Ignored %s from %s, which is not a trusted proxy (DJANGO_TRUSTED_PROXIES).", header, remote)
        return remote
    values = [value.strip() for value in forwarded.split(",") if value.strip()]
    count = settings.TRUSTED_PROXY_COUNT
    address = values[-count] if len(values) >= count else ""
    if not _parse_address(address):
        logger.warning(
            "Ignored %s %r from the proxy %s: expected at least %s address(es) (DJANGO_TRUSTED_PROXY_COUNT).",
            header,
            forwarded[:200],
            remote,
            count,
        )
        return remote
    return address


def _parse_address(value):
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


@functools.lru_cache(maxsize=8)
def _proxy_networks(proxies):
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_trusted_proxy(remote):
    address = _parse_address(remote)
    return address is not None and any(
        address in network for network in _proxy_networks(tuple(settings.TRUSTED_PROXIES))
    )


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
        request = getattr(record, "request", None)
        # django.request logs a 4xx/5xx after the middleware chain has returned, when the
        # context variable is already reset: the request the record carries knows its id.
        record.request_id = getattr(request, "id", None) or _request_id.get()
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
