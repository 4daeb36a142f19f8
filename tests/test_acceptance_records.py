"""What recording an acceptance and answering a status cost the database, in statements.

The acceptance API is meant to answer a thousand status calls a second; these bounds keep a
change from adding a query to either path unnoticed. Behaviour is tested in test_acceptances.py.
"""

import pytest

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from legal.acceptance_records import (
    AcceptanceRefused,
    acceptance_status,
    acceptance_statuses,
    counting_acceptances,
    record_acceptance,
)
from legal.caching import bump_generation
from legal.histories import history_of
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


def test_recording_a_new_acceptance_reads_the_version_and_inserts(terms, credential):
    """Two statements once the process has the document's versions: no look for an earlier record before the insert."""
    history_of(terms.document)
    with CaptureQueriesContext(connection) as context:
        acceptance, created = record(credential, terms.document, "acct-1")
    sql = statements(context)
    assert created and acceptance.pk
    assert len(sql) == 2, sql
    assert "legal_documentversion" in sql[0]
    assert sql[-1].startswith("INSERT INTO")


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


def test_the_status_of_one_account_is_one_query_once_the_versions_are_read(terms, credential):
    record(credential, terms.document, "acct-1")
    with CaptureQueriesContext(connection) as context:
        status = acceptance_status(terms.document, "acct-1")
    assert status.accepted.account == "acct-1"
    assert not status.reacceptance_required
    sql = statements(context)
    assert len(sql) == 1, sql
    assert "legal_acceptance" in sql[0]


def test_a_publish_in_this_process_is_read_by_the_next_status(terms, credential, clock):
    """The save drops the copy inside the publish's transaction, before any generation bump."""
    document = terms.document
    record(credential, document, "acct-1")
    assert acceptance_status(document, "acct-1").scheduled is None
    new = make_version(document, effective_at=site_time(2026, 12, 25), editorial=False)
    with CaptureQueriesContext(connection) as context:
        status = acceptance_status(document, "acct-1")
    assert status.scheduled == new and status.next_required == new
    assert len(statements(context)) == 3  # the document, its versions, the acceptance
    clock.move_to(site_time(2026, 12, 25))
    status = acceptance_status(document, "acct-1")
    assert (status.in_effect, status.reacceptance_required) == (new, True)


def test_a_copy_is_read_again_when_the_generation_changes_or_it_is_old(terms, credential, clock):
    """Another process's publish reaches this one by the generation, or else within PAGE_CACHE_LOCAL_SECONDS."""
    document = terms.document
    first = history_of(document)
    assert history_of(document) is first
    bump_generation()
    second = history_of(document)
    assert second is not first and second.versions == first.versions
    clock.shift(settings.PAGE_CACHE_LOCAL_SECONDS - 1)
    assert history_of(document) is second
    clock.shift(1)
    assert history_of(document) is not second
    third = history_of(document)
    clock.shift(-1)  # a clock set back: not fresh for longer
    assert history_of(document) is not third


def test_without_the_cache_every_call_reads_the_versions(terms, settings):
    """A cache that is down gives a new generation every time: no copy is ever taken as current."""
    settings.CACHES = {
        "default": {"BACKEND": "sigma_terms.cache.FailOpenRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    first = history_of(terms.document)
    assert history_of(terms.document) is not first


def test_one_account_and_a_batch_count_the_same_acceptance(terms, credential, clock):
    """The single-account query and the batch's window pick the same record."""
    document = terms.document
    record(credential, document, "a")
    record(credential, document, "b")
    make_version(document, effective_at=site_time(2026, 12, 1))
    record(credential, document, "a", version=2)
    withdrawn = make_version(document, effective_at=site_time(2026, 12, 5))
    record(credential, document, "b", version=3)  # in advance; it never counts once withdrawn
    withdraw_version(withdrawn, reason="Mistake.")
    clock.move_to(site_time(2026, 12, 2))
    versions = history_of(document)
    for at in (site_time(2026, 11, 30), site_time(2026, 12, 2)):
        batch = counting_acceptances(document, ["a", "b", "c"], at, versions=versions)
        singles = {
            account: counting_acceptances(document, [account], at, versions=versions).get(account) for account in "abc"
        }
        assert {account: batch.get(account) for account in "abc"} == singles
    assert singles["a"].version_number == 2
    assert singles["b"].version_number == 1
    assert singles["c"] is None
    assert acceptance_statuses(document, ["a"])["a"] == acceptance_status(document, "a")
