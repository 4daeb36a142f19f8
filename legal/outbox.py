"""The outbox of notices: filled when a version is published or withdrawn, emptied by its sender.

- `queue_notifications()` runs inside `publish_version`'s transaction, so a published version
  always has its outbox rows and a rolled-back publish has none; the unique
  (version, subscription) constraint makes a second queueing a no-op.
- `send_due_notifications()` (the `send_notifications` command) claims due rows with a lease,
  sends them, and records the outcome of each at once; failures are retried with exponential
  backoff. Two senders never hold the same row, and a sent row is never sent again.
"""

import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection

from . import clock
from .emails import notice_message
from .leases import Outbox
from .models import Notification, Subscription

logger = logging.getLogger(__name__)


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


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0


def _cancel_reason(notice):
    if not notice.subscription.is_active:
        return "cancelled: the subscriber unsubscribed before it was sent"
    if notice.kind == Notification.Kind.PUBLISHED and not notice.version.is_published:
        return "cancelled: the version was withdrawn before it was sent"
    return ""


# Claiming, leases, cancelling and retries are the webhooks' too (legal.leases.Outbox). On
# PostgreSQL, SKIP LOCKED lets concurrent senders pass over each other's rows; on SQLite the
# IMMEDIATE transaction serialises the claims; a row is only ever held by one sender.
NOTICES = Outbox(
    model=Notification,
    name="notification",
    order=("next_attempt_at", "pk"),
    related=("subscription", "version__document"),
    cancel_reason=_cancel_reason,
    lease_setting="NOTIFICATION_LEASE_SECONDS",
    max_attempts_setting="NOTIFICATION_MAX_ATTEMPTS",
    retry_base_setting="NOTIFICATION_RETRY_BASE_SECONDS",
    logger=logger,
)


def retry_delay(attempts):
    """Exponential backoff after the `attempts`-th failure: base, 2 × base, 4 × base, ... up to a day."""
    return NOTICES.retry_delay(attempts)


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
        with NOTICES.held(batch_size) as (token, notices):
            if not notices:
                return report
            connection = get_connection(fail_silently=False)
            try:
                connection.open()
            except Exception as exc:  # the mail server is down: every claimed notice waits for a retry
                for notice in notices:
                    NOTICES.record_failure(notice, token, _describe(exc), report)
                continue
            try:
                for notice in NOTICES.sendable(notices, token, margin=margin, report=report):
                    try:
                        message = notice_message(notice, connection=connection)
                        if message.send() != 1:
                            raise ConnectionError("the mail backend accepted no message")
                    except Exception as exc:  # recorded and retried with backoff; never stops the batch
                        NOTICES.record_failure(notice, token, _describe(exc), report)
                        with suppress(Exception):
                            connection.close()  # the next message gets a fresh connection
                    else:
                        NOTICES.record_done(
                            notice,
                            token,
                            status=Notification.Status.SENT,
                            sent_at=clock.now(),
                            message_id=message.extra_headers.get("Message-ID", "")[:255],
                        )
                        report.sent += 1
            finally:
                with suppress(Exception):
                    connection.close()
