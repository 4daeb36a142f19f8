"""Bearer tokens of Sigma.video's products: issue, check, revoke.

A secret is 256 random bits (`secrets.token_urlsafe(32)`), shown once and stored only as
its SHA-256. A hash of a random secret needs no slow password hasher: nobody can guess the
secret from it, and checking a token is one lookup on a unique index. Session cookies are
never looked at, so a browser's admin session cannot act as a product.
"""

import hmac
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from . import clock
from .models import ProductCredential, Scope, text_sha256
from .rate_limits import product_over_limit

logger = logging.getLogger("legal.product_auth")

# last_used_at is written at most this often per credential, so a busy product does not
# turn every read into a write.
LAST_USED_RESOLUTION_SECONDS = 60
# Longer headers are refused before hashing (a secret is 43 characters).
MAX_TOKEN_LENGTH = 256


def token_digest(secret):
    return text_sha256(secret)


def new_secret():
    """(secret, its SHA-256): 256 random bits, URL-safe."""
    secret = secrets.token_urlsafe(32)
    return secret, token_digest(secret)


@transaction.atomic
def issue_credential(*, name: str, scopes: list[str] | None = None, user=None) -> tuple[ProductCredential, str]:
    """Create a credential for the product `name`; returns it and its secret (shown once)."""
    scopes = list(Scope.values) if scopes is None else [Scope(scope).value for scope in scopes]
    secret, digest = new_secret()
    credential = ProductCredential.objects.create(name=name, scopes=scopes, token_sha256=digest, created_by=user)
    logger.info("product credential issued for %s (scopes: %s)", name, " ".join(scopes))
    return credential, secret


def revoke_credentials(queryset):
    """Revoke every credential of `queryset` that is not revoked yet; returns how many."""
    names = list(queryset.usable().values_list("name", flat=True))
    count = queryset.usable().update(revoked_at=clock.now())
    for name in names:
        logger.info("product credential revoked for %s", name)
    return count


@dataclass(frozen=True)
class Refusal:
    status: int  # 401: who are you? 403: not allowed; 429: too many
    code: str
    message: str
    retry_after: int | None = None


def bearer_secret(request):
    """The token of an `Authorization: Bearer <secret>` header, or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _space, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip() or len(secret) > MAX_TOKEN_LENGTH:
        return None
    return secret.strip()


def authenticate(request, scope):
    """(credential, None) when the request carries a usable token with `scope`, else (None, Refusal)."""
    secret = bearer_secret(request)
    if secret is None:
        return None, Refusal(401, "unauthenticated", "Send 'Authorization: Bearer <token>' with a product token.")
    digest = token_digest(secret)
    credential = ProductCredential.objects.by_digest(digest)
    if credential is None or not hmac.compare_digest(credential.token_sha256, digest):
        logger.warning("product token refused: unknown token (%s %s)", request.method, request.path)
        return None, Refusal(401, "invalid_token", "The token is not valid.")
    if credential.is_revoked:
        logger.warning(
            "product token refused: %s's credential is revoked (%s %s)", credential.name, request.method, request.path
        )
        return None, Refusal(401, "invalid_token", "The token has been revoked.")
    if not credential.allows(scope):
        logger.warning(
            "product token refused: %s lacks %s (%s %s)", credential.name, scope, request.method, request.path
        )
        return None, Refusal(403, "insufficient_scope", f"The token lacks the scope {scope!r}.")
    wait = product_over_limit(request, credential)
    if wait is not None:
        limit = settings.PRODUCT_RATE_LIMIT
        return None, Refusal(
            429, "rate_limited", f"More than {limit} requests in a minute; try again in {wait} s.", retry_after=wait
        )
    now = clock.now()
    if (
        credential.last_used_at is None
        or (now - credential.last_used_at).total_seconds() >= LAST_USED_RESOLUTION_SECONDS
    ):
        ProductCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
        credential.last_used_at = now
    logger.info("product %s: %s %s", credential.name, request.method, request.path)
    return credential, None
