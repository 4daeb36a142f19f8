"""Email notices: double opt-in subscriptions, the outbox filled when a version is published, its sender.

- Subscribing records a pending `Subscription` and emails a signed link that expires
  (`SUBSCRIPTION_CONFIRM_MAX_AGE`); nothing else is ever sent to an unconfirmed address.
- `queue_notifications()` runs inside `publish_version`'s transaction, so a published version
  always has its outbox rows and a rolled-back publish has none; the unique
  (version, subscription) constraint makes a second queueing a no-op.
- `send_due_notifications()` (the `send_notifications` command) claims due rows with a lease,
  sends them, and records the outcome of each at once; failures are retried with exponential
  backoff. Two senders never hold the same row, and a sent row is never sent again.
- Every email carries a signed unsubscribe link that does not expire, and the RFC 2369 /
  RFC 8058 `List-Unsubscribe` headers for one-click unsubscribing from the mail client.
"""

import hashlib
import logging
import re
import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from . import clock
from .rate_limits import count_attempt
from .subscriptions import Notification, Subscription

logger = logging.getLogger(__name__)

CONFIRM_SALT = "legal.subscription.confirm"
UNSUBSCRIBE_SALT = "legal.subscription.unsubscribe"


class InvalidToken(Exception):
    """A confirmation or unsubscribe link that was altered, or is not ours."""


class ExpiredToken(InvalidToken):
    """A confirmation link older than `SUBSCRIPTION_CONFIRM_MAX_AGE`."""


class ConfirmationNotSent(Exception):
    """The mail server refused or could not be reached; the reader may try again later."""


# Addresses -------------------------------------------------------------------------------


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


def _digest(value):
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


# Rate limits -----------------------------------------------------------------------------


def _over_limit(key, limit):
    """Count one attempt under `key` in the current window; True once the count passes `limit`."""
    return count_attempt(key, settings.SUBSCRIPTION_RATE_LIMIT_WINDOW) > limit


def ip_over_limit(ip):
    return _over_limit(f"subscribe-rate:ip:{_digest(ip or '')}", settings.SUBSCRIPTION_RATE_LIMIT_PER_IP)


def address_over_limit(email):
    return _over_limit(
        f"subscribe-rate:address:{_digest(canonical_mailbox(email))}", settings.SUBSCRIPTION_RATE_LIMIT_PER_ADDRESS
    )


# Signed links ----------------------------------------------------------------------------


def confirmation_token(subscription, language):
    """A signed, timestamped token naming the subscription, its address and the chosen language.

    It carries a digest of the address, never the address itself, so the link does not
    leak it into logs; the timestamp lets confirming refuse links older than an unsubscribe.
    """
    payload = {
        "s": subscription.pk,
        "e": _digest(subscription.email)[:16],
        "l": language,
        "t": clock.now().timestamp(),
    }
    return signing.dumps(payload, salt=CONFIRM_SALT)


def unsubscribe_token(subscription):
    """A signed token without expiry: the authorisation of the one-click unsubscribe link."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(
        {"s": subscription.pk, "e": _digest(subscription.email)[:16]}
    )


def _subscription_for(payload, slug=None):
    if not isinstance(payload, dict):
        raise InvalidToken
    subscription = Subscription.objects.select_related("document").filter(pk=payload.get("s")).first()
    if subscription is None or _digest(subscription.email)[:16] != payload.get("e"):
        raise InvalidToken
    if slug is not None and subscription.document.slug != slug:
        raise InvalidToken
    return subscription


def _read_confirmation(token, slug):
    try:
        payload = signing.loads(token, salt=CONFIRM_SALT, max_age=settings.SUBSCRIPTION_CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise ExpiredToken
    except (signing.BadSignature, ValueError):
        raise InvalidToken
    subscription = _subscription_for(payload, slug)
    if payload.get("l") not in dict(settings.LANGUAGES):
        raise InvalidToken
    return subscription, payload


def check_confirmation(token, *, slug):
    """The subscription a confirmation link is for; raises InvalidToken or ExpiredToken."""
    return _read_confirmation(token, slug)[0]


def check_unsubscribe(token):
    """The subscription an unsubscribe link is for; raises InvalidToken."""
    try:
        payload = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        raise InvalidToken
    return _subscription_for(payload)


# Subscribing, confirming, unsubscribing --------------------------------------------------


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
    message = _confirmation_message(subscription, language)
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
        subscription, payload = _read_confirmation(token, slug)
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


# Emails ----------------------------------------------------------------------------------


def absolute_url(path):
    return settings.SITE_URL + path


def unsubscribe_url(subscription, language=None):
    with translation.override(language or subscription.language):
        return absolute_url(reverse("legal:unsubscribe", kwargs={"token": unsubscribe_token(subscription)}))


def _format_when(moment):
    return date_format(localtime(moment), "DATETIME_FORMAT")


def _site_domain():
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def notice_message_id(notification):
    """The one Message-ID of a notice, the same on every attempt.

    A server that stored a message but never answered makes the sender try again; the copy
    it then sends carries the same Message-ID, so mail systems and readers see one message.
    Derived from the outbox row, which never changes once queued.
    """
    created = int(notification.created_at.timestamp() * 1_000_000)
    return f"<notice.{notification.pk}.{created}@{_site_domain()}>"


def _message(*, subject, template, context, subscription, language, connection=None, message_id=None):
    """A text and HTML email in `language` with the unsubscribe link and headers."""
    unsubscribe = unsubscribe_url(subscription, language)
    context = {**context, "unsubscribe_url": unsubscribe, "language": language}
    with translation.override(language):
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[subscription.email],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Content-Language": language,
            # Our own Message-ID: Django's default asks the resolver for this host's FQDN.
            "Message-ID": message_id or make_msgid(domain=_site_domain()),
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _confirmation_message(subscription, language):
    document = subscription.document
    with translation.override(language):
        title = document.title
        path = reverse(
            "legal:subscribe-confirm",
            kwargs={"slug": document.slug, "token": confirmation_token(subscription, language)},
        )
        subject = _("Confirm your subscription to changes of the %(title)s") % {"title": title}
        expires = _format_when(clock.now() + timedelta(seconds=settings.SUBSCRIPTION_CONFIRM_MAX_AGE))
    context = {"title": title, "confirm_url": absolute_url(path), "expires": expires}
    return _message(
        subject=subject, template="subscription_confirm", context=context, subscription=subscription, language=language
    )


def _reverse_in(language, name, **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


def notice_summary(version, language):
    """The summary of changes a subscriber reading `language` is emailed (the authoritative one if missing)."""
    authoritative = version.document.authoritative_language
    return getattr(version, f"summary_{language}") or getattr(version, f"summary_{authoritative}") or ""


def notice_subject(version, language, *, number=None, effective_at=None):
    """The subject of the notice in `language`; `number`/`effective_at` for a draft about to be published."""
    authoritative = version.document.authoritative_language
    effective_at = version.effective_at if effective_at is None else effective_at
    with translation.override(language):
        title = getattr(version, f"title_{language}") or getattr(version, f"title_{authoritative}")
        return title, _("%(title)s: version %(number)s takes effect on %(date)s") % {
            "title": title,
            "number": number or version.number,
            "date": date_format(localtime(effective_at), "DATE_FORMAT") if effective_at else "—",
        }


def notice_message(notification, *, connection=None):
    """The email about `notification.version` to its subscriber, in the subscriber's language."""
    if notification.kind == Notification.Kind.WITHDRAWN:
        return withdrawal_message(notification, connection=connection)
    version = notification.version
    document = version.document
    subscription = notification.subscription
    language = subscription.language
    previous = version.previous()
    title, subject = notice_subject(version, language)
    with translation.override(language):
        when = _format_when(version.effective_at)
    context = {
        "title": title,
        "version": version,
        "summary": notice_summary(version, language),
        "effective": when,
        "version_url": absolute_url(_reverse_in(language, "legal:version", slug=document.slug, number=version.number)),
        "previous": previous,
        "compare_url": (
            absolute_url(
                _reverse_in(language, "legal:compare", slug=document.slug, a=previous.number, b=version.number)
            )
            if previous
            else ""
        ),
    }
    return _message(
        subject=subject,
        template="version_published",
        context=context,
        subscription=subscription,
        language=language,
        connection=connection,
        message_id=notice_message_id(notification),
    )


def withdrawal_message(notification, *, connection=None):
    """The follow-up email: a version the subscriber was told about will not take effect."""
    version = notification.version
    document = version.document
    subscription = notification.subscription
    language = subscription.language
    current = document.versions.in_effect().first()
    with translation.override(language):
        title = getattr(version, f"title_{language}") or getattr(version, f"title_{document.authoritative_language}")
        subject = _("%(title)s: version %(number)s will not take effect") % {"title": title, "number": version.number}
        context = {
            "title": title,
            "version": version,
            "was_effective": _format_when(version.effective_at),
            "withdrawn": _format_when(version.withdrawn_at),
            "reason": version.withdrawal_reason,
            "reissue": version.withdrawal_reissue_planned,
            "current": current,
            "version_url": absolute_url(
                _reverse_in(language, "legal:version", slug=document.slug, number=version.number)
            ),
            "document_url": absolute_url(_reverse_in(language, "legal:document", slug=document.slug)),
        }
    return _message(
        subject=subject,
        template="version_withdrawn",
        context=context,
        subscription=subscription,
        language=language,
        connection=connection,
    )


# The outbox ------------------------------------------------------------------------------


def queue_notifications(version):
    """Record one pending notice per active subscriber of the version's document.

    Call it inside the publish transaction. Returns the number of subscribers; rows that
    already exist are left as they are.
    """
    now = clock.now()
    subscriptions = Subscription.objects.active().filter(document_id=version.document_id)
    notices = [
        Notification(version=version, subscription_id=pk, created_at=now, next_attempt_at=now)
        for pk in subscriptions.values_list("pk", flat=True)
    ]
    Notification.objects.bulk_create(notices, ignore_conflicts=True, batch_size=500)
    return len(notices)


def queue_withdrawal_notices(version):
    """One follow-up per subscriber who was sent the notice of `version`, now withdrawn.

    Call it inside the withdraw transaction. Subscribers whose notice was not sent yet get
    none: that notice is cancelled by the sender instead. Returns the number queued.
    """
    now = clock.now()
    told = (
        Notification.objects.filter(version=version, kind=Notification.Kind.PUBLISHED, status=Notification.Status.SENT)
        .filter(subscription__in=Subscription.objects.active())
        .values_list("subscription_id", flat=True)
    )
    notices = [
        Notification(
            version=version, subscription_id=pk, kind=Notification.Kind.WITHDRAWN, created_at=now, next_attempt_at=now
        )
        for pk in told
    ]
    Notification.objects.bulk_create(notices, ignore_conflicts=True, batch_size=500)
    return len(notices)


def retry_delay(attempts):
    """Exponential backoff after the `attempts`-th failure: base, 2 × base, 4 × base, ... up to a day."""
    return timedelta(seconds=min(settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** (attempts - 1), 86400))


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0


def _claim(batch_size):
    """Take a lease on up to `batch_size` due notices; returns (claim token, notices).

    On PostgreSQL, SKIP LOCKED lets concurrent senders pass over each other's rows. On
    SQLite the IMMEDIATE transaction serialises the claims. On both, the UPDATE repeats the
    "due and unclaimed" condition, so a row is only ever held by one sender at a time.
    """
    now = clock.now()
    token = secrets.token_hex(16)
    with transaction.atomic():
        due = Notification.objects.due(now).order_by("next_attempt_at", "pk").select_for_update(skip_locked=True)
        pks = list(due.values_list("pk", flat=True)[:batch_size])
        if not pks:
            return token, []
        Notification.objects.filter(pk__in=pks).due(now).update(
            claimed_until=now + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS), claim_token=token
        )
    held = Notification.objects.filter(claim_token=token, status=Notification.Status.PENDING)
    return token, list(held.select_related("subscription", "version__document").order_by("next_attempt_at", "pk"))


def _ours(notice, token):
    return Notification.objects.filter(pk=notice.pk, claim_token=token, status=Notification.Status.PENDING)


def _release(token):
    Notification.objects.filter(claim_token=token, status=Notification.Status.PENDING).update(
        claimed_until=None, claim_token=""
    )


def _record_sent(notice, token, message):
    _ours(notice, token).update(
        status=Notification.Status.SENT,
        sent_at=clock.now(),
        attempts=F("attempts") + 1,
        claimed_until=None,
        claim_token="",
        last_error="",
        message_id=message.extra_headers.get("Message-ID", "")[:255],
    )


def _record_failure(notice, token, error, report):
    attempts = notice.attempts + 1
    fields = {"attempts": attempts, "claimed_until": None, "claim_token": "", "last_error": error[:2000]}
    if attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        fields["status"] = Notification.Status.FAILED
        report.failed += 1
        logger.error("Gave up on notification %s after %s attempts: %s", notice.pk, attempts, error)
    else:
        fields["next_attempt_at"] = clock.now() + retry_delay(attempts)
        report.retrying += 1
        logger.warning("Notification %s failed (attempt %s), will retry: %s", notice.pk, attempts, error)
    _ours(notice, token).update(**fields)


def _cancel_reason(notice):
    if not notice.subscription.is_active:
        return "cancelled: the subscriber unsubscribed before it was sent"
    if notice.kind == Notification.Kind.PUBLISHED and not notice.version.is_published:
        return "cancelled: the version was withdrawn before it was sent"
    return ""


def _describe(exc):
    return f"{type(exc).__name__}: {exc}"


def send_due_notifications(*, batch_size=None):
    """Send every due notice, one batch at a time, until none is left; returns a SendReport."""
    batch_size = batch_size or settings.NOTIFICATION_BATCH_SIZE
    report = SendReport()
    # Stop before a lease could run out in the middle of a slow delivery.
    lease = settings.NOTIFICATION_LEASE_SECONDS
    margin = timedelta(seconds=min(settings.EMAIL_TIMEOUT or 0, lease / 2))
    while True:
        token, notices = _claim(batch_size)
        if not notices:
            return report
        connection = get_connection(fail_silently=False)
        try:
            connection.open()
        except Exception as exc:  # the mail server is down: every claimed notice waits for a retry
            for notice in notices:
                _record_failure(notice, token, _describe(exc), report)
            continue
        try:
            for notice in notices:
                if clock.now() + margin >= notice.claimed_until:
                    break
                reason = _cancel_reason(notice)
                if reason:
                    _ours(notice, token).update(
                        status=Notification.Status.CANCELLED, last_error=reason, claimed_until=None, claim_token=""
                    )
                    report.cancelled += 1
                    continue
                try:
                    message = notice_message(notice, connection=connection)
                    if message.send() != 1:
                        raise ConnectionError("the mail backend accepted no message")
                except Exception as exc:  # recorded and retried with backoff; never stops the batch
                    _record_failure(notice, token, _describe(exc), report)
                    with suppress(Exception):
                        connection.close()  # the next message gets a fresh connection
                else:
                    _record_sent(notice, token, message)
                    report.sent += 1
        finally:
            with suppress(Exception):
                connection.close()
            _release(token)
