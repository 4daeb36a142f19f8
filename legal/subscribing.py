"""Subscribing to a document's changes: double opt-in, confirming, unsubscribing.

- Subscribing records a pending `Subscription` and emails a signed link that expires
  (`SUBSCRIPTION_CONFIRM_MAX_AGE`, legal/signed_links.py); nothing else is ever sent to an
  unconfirmed address.
- Confirming and unsubscribing take those signed links; repeating either changes nothing.
"""

import logging
import re

from django.db import transaction

from . import clock
from .emails import confirmation_message
from .models import Subscription
from .signed_links import InvalidToken, check_unsubscribe, read_confirmation

logger = logging.getLogger(__name__)


class ConfirmationNotSent(Exception):
    """The mail server refused or could not be reached; the reader may try again later."""


def normalise_email(email):
    # Mail providers treat the local part case-insensitively in practice; one spelling per
    # address keeps "subscribe twice" from creating two subscriptions.
    return email.strip().lower()


def canonical_mailbox(email):
    """The mailbox an address delivers to, for counting requests: '"A.B+news"@Example.COM' -> 'a.b@example.com'.

    Lowercased, a quoted local part unquoted, and the `+tag` that mail providers deliver to
    the same mailbox removed, so the spellings of one mailbox share one rate limit.
    Subscriptions themselves keep the address as typed (normalise_email).
    """
    local, _at, domain = email.strip().rpartition("@")
    if len(local) >= 2 and local.startswith('"') and local.endswith('"'):
        local = re.sub(r"\\(.)", r"\1", local[1:-1])
    local = local.split("+", 1)[0]
    return f"{local}@{domain.rstrip('.')}".lower()


def request_subscription(*, document, email, language):
    """Record (or find) the subscription and email it a confirmation link.

    Harmless to repeat: the same address and document always map to one row, and a
    confirmed subscription stays confirmed until its owner unsubscribes. The caller shows
    the same answer whatever the address's state, so the form reveals nobody's subscriptions.
    """
    subscription, _created = Subscription.objects.get_or_create(
        document=document, email=normalise_email(email), defaults={"language": language}
    )
    Subscription.objects.filter(pk=subscription.pk).update(confirmation_sent_at=clock.now())
    message = confirmation_message(subscription, language)
    try:
        message.send()
    except Exception as exc:  # any failure of the mail server; the subscription stays pending
        logger.warning("Could not send the confirmation email for subscription %s: %s", subscription.pk, exc)
        raise ConfirmationNotSent from exc
    return subscription


def confirm_subscription(token, *, slug):
    """Confirm the subscription of a valid link, in the language chosen when it was requested.

    Confirming twice changes nothing. A link issued before its owner unsubscribed is refused,
    so an old email cannot undo an unsubscribe.
    """
    with transaction.atomic():
        subscription, payload = read_confirmation(token, slug)
        subscription = Subscription.objects.select_for_update().select_related("document").get(pk=subscription.pk)
        if subscription.unsubscribed_at is not None and payload.get("t", 0) < subscription.unsubscribed_at.timestamp():
            raise InvalidToken
        if subscription.is_active and subscription.language == payload["l"]:
            return subscription
        subscription.language = payload["l"]
        subscription.confirmed_at = subscription.confirmed_at if subscription.is_active else clock.now()
        subscription.unsubscribed_at = None
        subscription.save(update_fields=["language", "confirmed_at", "unsubscribed_at"])
    return subscription


def unsubscribe(token):
    """Stop all notices to the subscription of a valid link; unsubscribing twice changes nothing."""
    subscription = check_unsubscribe(token)
    Subscription.objects.filter(pk=subscription.pk, unsubscribed_at__isnull=True).update(unsubscribed_at=clock.now())
    subscription.refresh_from_db()
    return subscription
