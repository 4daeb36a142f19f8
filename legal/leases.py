"""What the three outboxes (notices, webhooks, time-stamps) share: backoff and claiming.

Each outbox keeps its own rows and rules; how long to wait after a failure and how a worker
takes a lease on a batch of due rows are written once here.
"""

import secrets
from datetime import timedelta

from django.db import transaction

DAY_SECONDS = 86_400


def backoff(base_seconds, attempts, *, cap_seconds=DAY_SECONDS):
    """The wait after the `attempts`-th failure: base, 2 × base, 4 × base, ... up to `cap_seconds`."""
    return timedelta(seconds=min(base_seconds * 2 ** (attempts - 1), cap_seconds))


def claim_due(due, *, order, batch_size, lease_until):
    """Lease up to `batch_size` rows of the QuerySet `due` (rows due now): (claim token, their pks).

    `due` is evaluated twice, so it must repeat its "due and unclaimed" condition: on
    PostgreSQL, SKIP LOCKED lets concurrent workers pass over each other's rows; on SQLite
    the IMMEDIATE transaction serialises claims; on both, the UPDATE re-checks the condition,
    so a row is only ever held by one worker. The caller reads its rows by the token (none
    to read when no pk came back).
    """
    token = secrets.token_hex(16)
    with transaction.atomic():
        pks = list(due.order_by(*order).select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch_size])
        if pks:
            due.filter(pk__in=pks).update(claimed_until=lease_until, claim_token=token)
    return token, pks
