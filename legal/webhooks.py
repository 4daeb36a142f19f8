"""Webhooks for Sigma.video's products: signing secrets, signatures, and which addresses may receive.

- Signing follows the Standard Webhooks specification: `webhook-id`, `webhook-timestamp`,
  and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
- Address policy: see `url_problem()` and `refused_address()`.
- The endpoints, deliveries and attempts are models in `legal.models.webhooks`; queueing
  and sending live in `legal.webhook_delivery`.
"""

import base64
import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

SECRET_PREFIX = "whsec_"
# Host names that only ever mean this machine or its private network.
PRIVATE_NAMES = ("localhost", "localhost.localdomain")
PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan")


def new_secret():
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id():
    return "msg_" + secrets.token_urlsafe(18)


def sign(secret, message_id, timestamp, body):
    """The `webhook-signature` value of `body` (bytes) sent as `message_id` at `timestamp` (int seconds)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


# Which addresses may receive -----------------------------------------------------------


def private_targets_allowed():
    """Loopback, private and plain-http targets: for tests and DEBUG only (WEBHOOK_ALLOW_PRIVATE_TARGETS)."""
    return settings.WEBHOOK_ALLOW_PRIVATE_TARGETS


def refused_address(address):
    """True when `address` (an IP address string) is not a public Internet address.

    Loopback, private ranges, link-local (cloud metadata at 169.254.169.254), carrier-grade
    NAT, multicast, reserved and unspecified addresses, and IPv6 forms of IPv4 ones
    (`::ffff:127.0.0.1`) are all refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS is set.
    """
    if private_targets_allowed():
        return False
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None:
            ip = inner
    return not ip.is_global or ip.is_multicast


def url_problem(url):
    """Why `url` cannot be a webhook endpoint (a translated sentence), or None.

    HTTPS only, no user name or password in it, and no host that names this machine or a
    private network: a literal address must be public, and names such as `localhost` or
    `*.internal` are refused. A name is resolved again before every delivery and refused
    if it resolves to a private address (webhook_delivery.py), so DNS cannot smuggle one in.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _("Enter a valid URL.")
    allowed = private_targets_allowed()
    if parts.scheme != "https" and not (allowed and parts.scheme == "http"):
        return _("Webhook endpoints must use HTTPS.")
    if parts.username or parts.password:
        return _("Put no user name or password in the address; each event is signed with the endpoint's secret.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host or (port is not None and not 0 < port < 65536):
        return _("Enter a valid URL.")
    if allowed:
        return None
    if host in PRIVATE_NAMES or host.endswith(PRIVATE_SUFFIXES):
        return _("This address names this machine or a private network; endpoints must be public.")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return None
    if refused_address(str(literal)):
        return _("This address names this machine or a private network; endpoints must be public.")
    return None
