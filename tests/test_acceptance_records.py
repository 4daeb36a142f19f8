"""What recording an acceptance and answering a status cost the database, in statements.

The acceptance API is meant to answer a thousand status calls a second; these bounds keep a
change from adding a query to either path unnoticed. Behaviour is tested in test_acceptances.py.
"""

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from legal.acceptance_records import (
    AcceptanceRefused,
    acceptance_status,
    acceptance_statuses,
    counting_acceptances,
    record_acceptance,
)
from legal.models import Acceptance
from legal.product_auth import issue_credential
from legal.publishing import withdraw_version
from tests.conftest import make_version, site_time

pytestmark = pytest.mark.django_db

SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def statements(context):
    """The SQL a block sent, without the savepoints of the test's own transaction."""
    return [q["sql"] for q in context.captured_queries if not q["sql"].startswith(SAVEPOINTS)]


@pytest.fixture
def credential(db):
    return issue_credential(name="Media VOD")[0]


def record(credential, document, account, version=1, **fields):
    return record_acceptance(
        credential=credential, document=document, version_number=version, account=account, language="vi", **fields
    )


def test_recording_a_new_acceptance_reads_the_version_checks_it_is_in_effect_and_inserts(terms, credential):
    """Three statements: no look for an earlier record of the account before the insert."""
    with CaptureQueriesContext(connection) as context:
        acceptance, created = record(credential, terms.document, "acct-1")
    sql = statements(context)
    assert created and acceptance.pk
    assert len(sql) == 3, sql
    assert sql[-1].startswith("INSERT INTO")
    assert not any("legal_acceptance" in s for s in sql[:-1])


def test_a_repeated_submission_still_returns_the_first_record(terms, credential, clock):
    first, _created = record(credential, terms.document, "acct-1")
    again, created = record(credential, terms.document, "acct-1")
    assert (again, created) == (first, False)
    # Even when the version is superseded since: the record is the first one, not a refusal.
    make_version(terms.document, effective_at=site_time(2026, 12, 1))
    clock.move_to(site_time(2026, 12, 2))
    assert record(credential, terms.document, "acct-1") == (first, False)
    with pytest.raises(AcceptanceRefused) as refused:
        record(credential, terms.document, "acct-2")
    assert refused.value.code == "version_superseded"
    assert Acceptance.objects.count() == 1


def test_the_status_of_one_account_is_two_queries(terms, credential):
    record(credential, terms.document, "acct-1")
    with CaptureQueriesContext(connection) as context:
        status = acceptance_status(terms.document, "acct-1")
    assert status.accepted.account == "acct-1"
    assert not status.reacceptance_required
    assert len(statements(context)) == 2


def test_one_account_and_a_batch_count_the_same_acceptance(terms, credential, clock):
    """The single-account query and the batch's window pick the same record."""
    document = terms.document
    record(credential, document, "a")
    record(credential, document, "b")
    make_version(document, effective_at=site_time(2026, 12, 1))
    record(credential, document, "a", version=2)
    withdraw_version(make_version(document, effective_at=site_time(2026, 12, 5)), reason="Mistake.")
    clock.move_to(site_time(2026, 12, 2))
    published = list(document.versions.published())
    for at in (site_time(2026, 11, 30), site_time(2026, 12, 2)):
        batch = counting_acceptances(document, ["a", "b", "c"], at, published=published)
        singles = {
            account: counting_acceptances(document, [account], at, published=published).get(account)
            for account in "abc"
        }
        assert {account: batch.get(account) for account in "abc"} == singles
    assert singles["a"].version_number == 2
    assert singles["b"].version_number == 1
    assert singles["c"] is None
    assert acceptance_statuses(document, ["a"])["a"] == acceptance_status(document, "a")
