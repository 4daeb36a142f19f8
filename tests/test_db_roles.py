"""The site's least-privilege PostgreSQL role: rows yes, DDL and TRUNCATE no; migrations as the owner."""

import os

import dj_database_url
import pytest

from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from legal import db_triggers
from legal.models import Document, DocumentVersion
from tests.conftest import run_django

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles need PostgreSQL (DATABASE_URL=postgres://...)"
)


def url_for(role):
    settings = connection.settings_dict
    return f"postgres://{role}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def owner_sql(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture
def site_role(transactional_db):
    """A login role named after the configured database, given the site's grants; dropped afterwards."""
    name = dj_database_url.parse(os.environ["DATABASE_URL"])["NAME"] + "_site"
    owner_sql(f"DROP ROLE IF EXISTS {name}")
    owner_sql(f"CREATE ROLE {name} LOGIN")
    call_command("grant_site_role", name, stdout=open(os.devnull, "w"))
    yield name
    owner_sql(f"DROP OWNED BY {name}")
    owner_sql(f"DROP ROLE {name}")


@pytest.fixture
def as_site(site_role):
    """Run one statement as the site's role, in its own connection; returns the rows or raises."""
    import psycopg

    settings = connection.settings_dict
    conn = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432, dbname=settings["NAME"],
        user=site_role, autocommit=True,
    )  # fmt: skip

    def run(sql, params=()):
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None

    yield run
    conn.close()


@pytest.fixture
def record(committed_terms):
    """The committed Terms and one ordinary user: what the site's role must not lose."""
    User.objects.create_user("reader")
    return committed_terms


def counts():
    return Document.objects.count(), DocumentVersion.objects.count(), User.objects.count()


@on_postgresql
@pytest.mark.parametrize(
    "sql, error",
    [
        ("TRUNCATE legal_documentversion", "permission denied"),
        ("TRUNCATE auth_user", "permission denied"),
        ("TRUNCATE legal_document CASCADE", "permission denied"),
        ("DELETE FROM legal_documentversion", "legal record"),
        ("UPDATE legal_documentversion SET body_html_vi = 'defaced'", "legal record"),
        ("UPDATE legal_documentversion SET status = 'withdrawn'", "legal record"),
        ("ALTER TABLE legal_documentversion DISABLE TRIGGER ALL", "must be owner"),
        ("DROP TRIGGER legal_version_protect ON legal_documentversion", "must be owner"),
        ("ALTER TABLE legal_documentversion ADD COLUMN note text", "must be owner"),
        ("CREATE TABLE legal_shadow (id integer)", "permission denied for schema"),
        ("SET session_replication_role = replica", "permission denied"),
    ],
)
def test_site_role_cannot_lose_or_change_the_record(record, as_site, sql, error):
    import psycopg

    with pytest.raises(psycopg.Error, match=error):
        as_site(sql)
    assert counts() == (1, 1, 1)
    assert DocumentVersion.objects.get().body_html_vi == record.body_html_vi
    assert db_triggers.installed(connection) == set(db_triggers.TRIGGERS["postgresql"])


@on_postgresql
def test_site_role_reads_writes_and_deletes_drafts(record, as_site):
    assert as_site("SELECT number, status FROM legal_documentversion") == [(1, "published")]
    as_site("UPDATE legal_document SET notice_period_days = 45")
    draft = as_site(
        "INSERT INTO legal_documentversion (document_id, status, change_kind, title, summary, body, body_html, sections, "
        "body_sha256, created_at, updated_at, withdrawal_reason, withdrawal_reissue_planned) "
        "VALUES (%s, 'draft', 'material', '', '', '', '', '[]', '', now(), now(), '', false) RETURNING id",
        [record.document_id],
    )[0][0]
    as_site("DELETE FROM legal_documentversion WHERE id = %s", [draft])
    assert counts() == (1, 1, 1) and Document.objects.get().notice_period_days == 45


@on_postgresql
def test_site_role_publishes_and_withdraws_through_the_service(record, site_role):
    script = (
        "import datetime, django; django.setup()\n"
        "from django.utils import timezone\n"
        "from legal.models import DocumentVersion\n"
        "from legal.publishing import new_draft_from, publish_version, withdraw_version\n"
        "draft = new_draft_from(DocumentVersion.objects.get(number=1))\n"
        "draft.effective_at = timezone.now() + datetime.timedelta(days=40)\n"
        "draft.summary_vi = draft.summary_en = 'Changes'\n"
        "draft.save()\n"
        'print(withdraw_version(publish_version(draft), reason="Mistake.").status)\n'
    )
    result = run_django(["-c", script], DATABASE_URL=url_for(site_role))
    assert (result.returncode, result.stdout.strip()) == (0, "withdrawn"), result.stderr[-2000:]
    assert list(DocumentVersion.objects.order_by("number").values_list("number", "status")) == [
        (1, "published"),
        (2, "withdrawn"),
    ]


@on_postgresql
def test_truncate_trigger_refuses_a_role_granted_truncate(record, as_site, site_role):
    """A careless GRANT ALL still cannot empty the record: the trigger refuses anyone but the owner."""
    import psycopg

    owner_sql(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {site_role}")
    with pytest.raises(psycopg.Error, match="legal record and cannot be truncated"):
        as_site("TRUNCATE legal_documentversion CASCADE")
    with pytest.raises(psycopg.Error, match="legal record and cannot be truncated"):
        as_site("TRUNCATE legal_document CASCADE")
    assert counts() == (1, 1, 1)


@on_postgresql
def test_owner_keeps_truncate(record):
    """The owner runs migrations and the test suite's flushes, which empty tables with TRUNCATE."""
    with transaction.atomic():
        owner_sql("TRUNCATE legal_documentversion CASCADE")
        assert DocumentVersion.objects.count() == 0
        transaction.set_rollback(True)
    assert DocumentVersion.objects.count() == 1


@on_postgresql
def test_flush_as_site_role_deletes_nothing(record, site_role):
    result = run_django(["manage.py", "flush", "--noinput"], DATABASE_URL=url_for(site_role))
    assert result.returncode == 1 and "couldn't be flushed" in result.stderr
    assert counts() == (1, 1, 1)


@on_postgresql
def test_migrate_connects_as_the_owner(record, site_role):
    """With DATABASE_OWNER_URL, migrate (and its post_migrate trigger check) runs as the owner."""
    as_site_only = run_django(["manage.py", "migrate", "--noinput"], DATABASE_URL=url_for(site_role))
    assert as_site_only.returncode == 1 and "permission denied for schema public" in as_site_only.stderr
    owner = connection.settings_dict["USER"] or "postgres"
    result = run_django(
        ["manage.py", "migrate", "--noinput"], DATABASE_URL=url_for(site_role), DATABASE_OWNER_URL=url_for(owner)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "No migrations to apply." in result.stdout
    assert db_triggers.installed(connection) == set(db_triggers.TRIGGERS["postgresql"])


@on_postgresql
def test_grant_site_role_refuses_a_superuser_or_a_missing_role(transactional_db):
    with pytest.raises(CommandError, match="is a superuser"):
        call_command("grant_site_role", connection.settings_dict["USER"] or "postgres")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("grant_site_role", "sigma_no_such_role")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite answer")
@pytest.mark.django_db
def test_grant_site_role_on_sqlite_is_a_clear_error():
    with pytest.raises(CommandError, match="database roles need PostgreSQL"):
        call_command("grant_site_role", "site")
