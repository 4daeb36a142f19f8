"""verify_versions (legal/verification.py) names every way the record can be tampered with, with a non-zero exit."""

from io import StringIO

import pytest

from django.core.management import CommandError, call_command

from legal.publishing import withdraw_version
from tests.conftest import execute, make_version, site_time

pytestmark = pytest.mark.django_db


def verify():
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_versions", stdout=out, stderr=err)
    except CommandError as exc:
        return str(exc), err.getvalue().splitlines()
    return out.getvalue().strip(), []


def test_verify_versions_passes_on_an_honest_record(terms, scheduled):
    withdraw_version(scheduled, reason="Published by mistake.")
    assert verify() == (
        "All 4 texts of 2 versions match their SHA-256 and their rendering; numbers and dates keep the rules.",
        [],
    )


def test_verify_versions_catches_a_tampered_text(terms, without_triggers):
    execute("UPDATE legal_documentversion SET body_en = body_en || ' tampered' WHERE id = %s", [terms.pk])
    summary, lines = verify()
    assert summary == "2 problems in 1 versions"
    assert lines[0].startswith("terms-of-service v1 en: stored ")
    assert lines[1:] == ["terms-of-service v1 body_html_en: differs from the rendering of its text"]


@pytest.mark.parametrize(
    "column, value",
    [
        ("body_html_vi", "replace(body_html_vi, '</p>', ' Sigma may end your account at any time.</p>')"),
        ("sections_en", "'[]'"),
    ],
)
def test_verify_versions_catches_a_tampered_page(terms, without_triggers, column, value):
    """The issue's case: the page changed while the Markdown and its hash stayed as they were."""
    execute(f"UPDATE legal_documentversion SET {column} = {value} WHERE id = %s", [terms.pk])
    assert verify() == (
        "1 problems in 1 versions",
        [f"terms-of-service v1 {column}: differs from the rendering of its text"],
    )


@pytest.mark.parametrize(
    "assignment, line",
    [
        ("number = 3", "terms-of-service: version numbers are [1, 3], not 1 to 2 without gaps"),
        ("published_at = '2026-12-02 00:00:00'", "terms-of-service v2: takes effect before it was published"),
        ("effective_at = '2026-11-01 00:00:00'", "terms-of-service v2: takes effect before it was published"),
        ("status = 'withdrawn'", "terms-of-service v2: withdrawn without a time of withdrawal"),
    ],
)
def test_verify_versions_checks_numbers_and_time(terms, scheduled, without_triggers, assignment, line):
    execute(f"UPDATE legal_documentversion SET {assignment} WHERE id = %s", [scheduled.pk])
    summary, lines = verify()
    assert line in lines and summary.endswith("in 2 versions")


def test_verify_versions_checks_number_order_and_withdrawal_time(terms, scheduled, without_triggers):
    later = make_version(terms.document, effective_at=site_time(2026, 12, 5, 0, 0))
    withdrawn = make_version(terms.document, effective_at=site_time(2026, 12, 9, 0, 0))
    withdraw_version(withdrawn, reason="Published by mistake.")
    execute(
        "UPDATE legal_documentversion SET effective_at = %s WHERE id = %s", [site_time(2026, 11, 30, 0, 0), later.pk]
    )
    execute(
        "UPDATE legal_documentversion SET withdrawn_at = %s WHERE id = %s",
        [site_time(2026, 12, 10, 0, 0), withdrawn.pk],
    )
    lines = verify()[1]
    assert lines[:2] == [
        "terms-of-service v3: takes effect no later than v2, out of number order",
        "terms-of-service v4: withdrawn outside the time between its publication and its effective date",
    ]
    # The public log recorded the rows as published, so it names each changed one too.
    assert lines[2:] == [
        f"log #{index}: entry differs from terms-of-service v{number} in the database"
        for index, number in ((4, 3), (5, 3), (8, 4), (9, 4))
    ]


def test_verify_versions_names_a_translated_section_the_ledger_does_not_confirm(terms, scheduled):
    execute("DELETE FROM legal_sectionconfirmation WHERE version_id = %s AND anchor = ''", [scheduled.pk])
    assert verify() == (
        "1 problems in 2 versions",
        ["terms-of-service v2 en #: translation new, not confirmed against this version's authoritative section"],
    )
