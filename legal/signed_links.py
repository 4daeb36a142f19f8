"""Signed links of subscriptions: the confirmation link (expires) and the unsubscribe link (never does).

A link carries a digest of the address, never the address itself, so it does not leak into
logs; Django's signing makes it tamper-proof.
"""

from django.conf import settings
from django.core import signing

from . import clock
from .links import absolute_url
from .models import Subscription, language_codes, text_sha256

CONFIRM_SALT = "legal.subscription.confirm"
UNSUBSCRIBE_SALT = "legal.subscription.unsubscribe"


class InvalidToken(Exception):
    """A confirmation or unsubscribe link that was altered, or is not ours."""


class ExpiredToken(InvalidToken):
    """A confirmation link older than `SUBSCRIPTION_CONFIRM_MAX_AGE`."""


def digest(value):
    return text_sha256(value)


def confirmation_token(subscription, language):
    """A signed, timestamped token naming the subscription, its address and the chosen language.

    It carries a digest of the address, never the address itself, so the link does not
    leak it into logs; the timestamp lets confirming refuse links older than an unsubscribe.
    """
    payload = {
        "s": subscription.pk,
        "e": digest(subscription.email)[:16],
        "l": language,
        "t": clock.now().timestamp(),
    }
    return signing.dumps(payload, salt=CONFIRM_SALT)


def unsubscribe_token(subscription):
    """A signed token without expiry: the authorisation of the one-click unsubscribe link."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(
        {"s": subscription.pk, "e": digest(subscription.email)[:16]}
    )


def _subscription_for(payload, slug=None):
    if not isinstance(payload, dict):
        raise InvalidToken
    subscription = Subscription.objects.select_related("document").filter(pk=payload.get("s")).first()
    if subscription is None or digest(subscription.email)[:16] != payload.get("e"):
        raise InvalidToken
    if slug is not None and subscription.document.slug != slug:
        raise InvalidToken
    return subscription


def read_confirmation(token, slug):
    try:
        payload = signing.loads(token, salt=CONFIRM_SALT, max_age=settings.SUBSCRIPTION_CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise ExpiredToken
    except (signing.BadSignature, ValueError):
        raise InvalidToken
    subscription = _subscription_for(payload, slug)
    if payload.get("l") not in language_codes():
        raise InvalidToken
    return subscription, payload


def check_confirmation(token, *, slug):
    """The subscription a confirmation link is for; raises InvalidToken or ExpiredToken."""
    return read_confirmation(token, slug)[0]


def check_unsubscribe(token):
    """The subscription an unsubscribe link is for; raises InvalidToken."""
    try:
        payload = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        raise InvalidToken
    return _subscription_for(payload)


def confirmation_url(subscription, language):
    return absolute_url(
        language,
        "legal:subscribe-confirm",
        slug=subscription.document.slug,
        token=confirmation_token(subscription, language),
    )


def unsubscribe_url(subscription, language=None):
    return absolute_url(language or subscription.language, "legal:unsubscribe", token=unsubscribe_token(subscription))
