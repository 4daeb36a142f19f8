"""The sender's round that the notices' and the webhooks' outboxes share (legal.leases.Outbox)."""

import datetime
from dataclasses import dataclass

import pytest

from legal.models import Notification, Subscription
from legal.outbox import NOTICES
from tests.conftest import START, make_version, site_time

pytestmark = pytest.mark.django_db


@dataclass
class Report:
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0


@pytest.fixture
def notices(terms):
    """Three confirmed readers, so a publish queues three notices."""
    for n in range(3):
        Subscription.objects.create(document=terms.document, email=f"r{n}@example.com", language="en",
                                    confirmed_at=START)  # fmt: skip
    make_version(terms.document, effective_at=site_time(2026, 12, 1))
    assert Notification.objects.pending().count() == 3


def test_a_round_stops_where_the_lease_would_run_out_and_releases_the_rest(notices, clock, settings):
    """Nothing is sent on a lease that ends within the margin; leaving the batch frees the rows at once."""
    settings.NOTIFICATION_LEASE_SECONDS = 300
    with NOTICES.held(10) as (token, rows):
        assert len(rows) == 3
        clock.move_to(START + datetime.timedelta(seconds=250))
        assert list(NOTICES.sendable(rows, token, margin=datetime.timedelta(seconds=60), report=Report())) == []
        assert list(NOTICES.sendable(rows, token, margin=datetime.timedelta(seconds=40), report=Report())) == rows
        assert Notification.objects.filter(claim_token=token).count() == 3
    assert Notification.objects.filter(claim_token="", claimed_until=None).pending().count() == 3


def test_a_round_cancels_what_must_not_be_sent_and_holds_nothing_after_its_lease(notices, clock):
    """An unsubscribed reader's notice is cancelled, not sent; a sender whose lease ran out records nothing."""
    Subscription.objects.filter(email="r1@example.com").update(unsubscribed_at=START)
    report = Report()
    token, rows = NOTICES.claim(10)
    sendable = list(NOTICES.sendable(rows, token, margin=datetime.timedelta(0), report=report))
    assert [row.subscription.email for row in sendable] == ["r0@example.com", "r2@example.com"]
    assert report.cancelled == 1
    cancelled = Notification.objects.get(subscription__email="r1@example.com")
    assert (cancelled.status, cancelled.last_error) == (
        Notification.Status.CANCELLED,
        "cancelled: the subscriber unsubscribed before it was sent",
    )
    clock.move_to(START + datetime.timedelta(seconds=301))
    again, taken = NOTICES.claim(10)
    assert {row.pk for row in taken} == {row.pk for row in sendable}
    NOTICES.record_failure(sendable[0], token, "too late", report)  # the old token holds nothing now
    assert (report.retrying, Notification.objects.get(pk=sendable[0].pk).attempts) == (1, 0)
