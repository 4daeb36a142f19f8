"""What the three outboxes (notices, webhooks, time-stamps) share: backoff and claiming.

Each outbox keeps its own rows and rules; how long to wait after a failure and how a worker
takes a lease on a batch of due rows are written once here. The notices' and the webhooks'
outboxes also share the rest of a sender's round (`Outbox`): holding a batch, skipping
what must not be sent any more, recording a success or a failure on rows the sender still
holds, and releasing the batch.
"""

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F

from . import clock

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


@dataclass(frozen=True)
class Outbox:
    """A sender's round on one outbox whose rows have `status`, `attempts`, `next_attempt_at`,
    `claimed_until`, `claim_token` and `last_error`, and whose QuerySet has `pending()` and `due(at)`.

    Settings are named, not read, so a changed setting holds at the next round.
    """

    model: type[models.Model]
    name: str  # in log lines: "notification", "webhook delivery"
    order: tuple[str, ...]
    related: tuple[str, ...]
    cancel_reason: Callable[[models.Model], str]  # why a row must not be sent any more, or ""
    lease_setting: str
    max_attempts_setting: str
    retry_base_setting: str
    logger: logging.Logger  # the outbox's own, so its log lines keep their name

    def retry_delay(self, attempts):
        """The wait after the `attempts`-th failure (the retry base setting, doubled each time, up to a day)."""
        return backoff(getattr(settings, self.retry_base_setting), attempts)

    def claim(self, batch_size):
        """Take a lease on up to `batch_size` due rows: (claim token, the rows, in order)."""
        now = clock.now()
        token, pks = claim_due(
            self.model.objects.due(now),
            order=self.order,
            batch_size=batch_size,
            lease_until=now + timedelta(seconds=getattr(settings, self.lease_setting)),
        )
        if not pks:
            return token, []
        held = self.model.objects.pending().filter(claim_token=token)
        return token, list(held.select_related(*self.related).order_by(*self.order))

    @contextmanager
    def held(self, batch_size):
        """A claimed batch, (token, rows), whose rows left pending are released on leaving."""
        token, rows = self.claim(batch_size)
        try:
            yield token, rows
        finally:
            if rows:
                self.release(token)

    def ours(self, row, token):
        """`row`, as long as this sender still holds it: a sender whose lease ran out records nothing."""
        return self.model.objects.pending().filter(pk=row.pk, claim_token=token)

    def release(self, token):
        self.model.objects.pending().filter(claim_token=token).update(claimed_until=None, claim_token="")

    def sendable(self, rows, token, *, margin, report) -> Iterator[models.Model]:
        """The rows to send now, in order: rows that must not be sent any more are cancelled on the
        way, and the round stops where the lease would run out within `margin` (a timedelta)."""
        for row in rows:
            if clock.now() + margin >= row.claimed_until:
                break  # the lease would run out mid-send: leave the rest to the next round
            reason = self.cancel_reason(row)
            if reason:
                self.ours(row, token).update(
                    status=self.model.Status.CANCELLED, last_error=reason, claimed_until=None, claim_token=""
                )
                report.cancelled += 1
                continue
            yield row

    def record_done(self, row, token, **fields):
        """`row` was sent: `fields` (its final status and when) and one more attempt."""
        self.ours(row, token).update(
            attempts=F("attempts") + 1, claimed_until=None, claim_token="", last_error="", **fields
        )

    def record_failure(self, row, token, error, report):
        """`row` failed with `error`: retried after a backoff, or given up after the most attempts."""
        attempts = row.attempts + 1
        fields = {"attempts": attempts, "claimed_until": None, "claim_token": "", "last_error": str(error)[:2000]}
        if attempts >= getattr(settings, self.max_attempts_setting):
            fields["status"] = self.model.Status.FAILED
            report.failed += 1
            self.logger.error("Gave up on %s %s after %s attempts: %s", self.name, row.pk, attempts, error)
        else:
            fields["next_attempt_at"] = clock.now() + self.retry_delay(attempts)
            report.retrying += 1
            self.logger.warning(
                "%s %s failed (attempt %s), will retry: %s", self.name.capitalize(), row.pk, attempts, error
            )
        self.ours(row, token).update(**fields)
