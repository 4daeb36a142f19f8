"""Nothing published is ever lost (legal/db_triggers.py): the database triggers, and export, backup and restore under them.

verify_versions is in test_verification.py.
"""

import hashlib
import importlib
import json
import shutil
from io import StringIO
from pathlib import Path

import pytest

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models.signals import post_migrate
from django.utils import translation

from legal import db_triggers
from legal.importing import load_bundled_terms
from legal.models import Document, DocumentVersion, ProtectedVersionError
from legal.publishing import publish_version, withdraw_version
from tests.conftest import execute, make_version, run_django, site_time

pytestmark = pytest.mark.django_db
EXPECTED_TRIGGERS = set(db_triggers.TRIGGERS[connection.vendor])


def copy_row_sql(number, effective):
    """INSERT ... SELECT of a copy of one version with another number and effective date."""
    names = [f.column for f in DocumentVersion._meta.concrete_fields if f.column != "id"]
    values = [{"number": "%s", "effective_at": "%s"}.get(name, name) for name in names]
    sql = f"INSERT INTO legal_documentversion ({', '.join(names)}) SELECT {', '.join(values)} FROM legal_documentversion WHERE id = %s"
    return sql, [number, effective]


def test_triggers_exist_after_all_migrations():
    assert db_triggers.installed(connection) == EXPECTED_TRIGGERS


def test_live_trigger_sql_is_what_the_latest_trigger_migration_froze():
    """Changing the triggers needs a migration that freezes the new SQL."""
    frozen = importlib.import_module(f"legal.migrations.{db_triggers.INSTALLED_BY[1]}")
    assert db_triggers.statements(connection.vendor) == frozen.statements(connection.vendor)


# Frozen columns ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "assignment",
    [
        "body_vi = 'defaced'",
        "title_en = 'x'",
        "number = 7",
        "effective_at = '2030-01-01 00:00:00'",
        "body_sha256_en = 'x'",
        "summary_vi = 'x'",
        "published_at = NULL",
        "body_html_vi = '<p>defaced</p>'",
        "body_html_en = '<p>defaced</p>'",
        "body_html = '<p>defaced</p>'",
        "sections_en = '[]'",
        "sections = '[]'",
        "created_at = '2020-01-01 00:00:00'",
        "withdrawal_reason = 'no reason'",
        "withdrawn_at = '2026-11-24 00:00:00'",
    ],
)
def test_database_refuses_update_of_frozen_columns(terms, assignment):
    with pytest.raises(DatabaseError, match="legal record"):
        execute(f"UPDATE legal_documentversion SET {assignment} WHERE id = %s", [terms.pk])
    stored = DocumentVersion.objects.get(pk=terms.pk)
    assert (stored.number, stored.status, stored.body_html_vi) == (1, "published", terms.body_html_vi)


def test_model_refuses_changing_the_rendered_html(terms):
    terms.body_html_vi = "<p>defaced</p>"
    with pytest.raises(ProtectedVersionError):
        terms.save(update_fields=["body_html_vi"])
    with pytest.raises(ProtectedVersionError):
        DocumentVersion.objects.filter(pk=terms.pk).update(sections_en=[])
    assert DocumentVersion.objects.get(pk=terms.pk).sections_en == terms.sections_en


def test_database_refuses_delete_of_published_rows(terms):
    with pytest.raises(DatabaseError, match="legal record"):
        execute("DELETE FROM legal_documentversion")
    assert terms.document.versions.count() == 1


def test_drafts_stay_free_in_the_database(terms):
    draft = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0), publish=False)
    execute("UPDATE legal_documentversion SET body_vi = 'new text', body_html_vi = '' WHERE id = %s", [draft.pk])
    execute("DELETE FROM legal_sectionconfirmation WHERE version_id = %s", [draft.pk])  # its translation ledger
    execute("DELETE FROM legal_documentversion WHERE id = %s", [draft.pk])
    assert not DocumentVersion.objects.filter(pk=draft.pk).exists()


# Changes of state ----------------------------------------------------------------------


def test_withdrawing_through_the_service_sets_the_withdrawal_columns(scheduled):
    user = User.objects.create_user("publisher")
    withdrawn = withdraw_version(scheduled, user=user, reason="Published by mistake.")
    stored = DocumentVersion.objects.get(pk=scheduled.pk)
    assert (stored.status, stored.withdrawn_by, stored.withdrawn_at) == ("withdrawn", user, withdrawn.withdrawn_at)


@pytest.mark.parametrize(
    "start, target",
    [("published", "draft"), ("published", "withdrawn"), ("withdrawn", "published"), ("withdrawn", "draft")],
)
def test_database_refuses_changes_of_state_outside_the_service(scheduled, start, target):
    if start == "withdrawn":
        withdraw_version(scheduled, reason="Published by mistake.")
    with pytest.raises(DatabaseError, match="legal record"):
        execute(f"UPDATE legal_documentversion SET status = '{target}' WHERE id = %s", [scheduled.pk])
    assert DocumentVersion.objects.get(pk=scheduled.pk).status == start


def test_model_save_of_the_status_cannot_withdraw_a_version_in_effect(terms):
    """The issue's side door: save(update_fields=["status"]) on the version in effect."""
    terms.status = "withdrawn"
    with pytest.raises(DatabaseError, match="legal record"):
        with transaction.atomic():
            terms.save(update_fields=["status"])
    assert DocumentVersion.objects.get(pk=terms.pk).status == "published"


@pytest.mark.parametrize("start, target", [("published", "draft"), ("withdrawn", "published"), ("draft", "withdrawn")])
def test_even_the_service_mark_allows_only_the_two_moves(terms, scheduled, start, target):
    version = scheduled
    if start == "withdrawn":
        withdraw_version(scheduled, reason="Published by mistake.")
    elif start == "draft":
        version = make_version(terms.document, effective_at=site_time(2027, 1, 1, 0, 0), publish=False)
    with pytest.raises(DatabaseError, match="legal record"):
        with db_triggers.publishing(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE legal_documentversion SET status = '{target}' WHERE id = %s", [version.pk])
    assert DocumentVersion.objects.get(pk=version.pk).status == start


def test_database_refuses_publishing_a_draft_outside_the_service(terms):
    draft = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0), publish=False)
    with pytest.raises(DatabaseError, match="legal record"):
        execute(
            "UPDATE legal_documentversion SET status = 'published', number = 2, published_at = effective_at WHERE id = %s",
            [draft.pk],
        )
    assert DocumentVersion.objects.get(pk=draft.pk).status == "draft"


# Inserts -------------------------------------------------------------------------------


def backdated_copy(version):
    copy = DocumentVersion.objects.get(pk=version.pk)
    copy.pk = copy.id = None
    copy.number, copy.effective_at = 2, site_time(2026, 1, 1, 0, 0)
    return copy


def test_backdated_copy_cannot_be_saved_or_bulk_created(terms):
    with pytest.raises(DatabaseError, match="legal record"):
        with transaction.atomic():
            backdated_copy(terms).save()
    with pytest.raises(DatabaseError, match="legal record"):
        with transaction.atomic():
            DocumentVersion.objects.bulk_create([backdated_copy(terms)])
    assert DocumentVersion.objects.count() == 1


def test_raw_insert_of_a_published_row_is_refused(terms):
    sql, params = copy_row_sql(2, site_time(2026, 1, 1, 0, 0))
    with pytest.raises(DatabaseError, match="legal record"):
        execute(sql, [*params, terms.pk])
    assert DocumentVersion.objects.count() == 1


def test_loaddata_of_a_published_row_is_refused(terms, tmp_path):
    row = {
        "model": "legal.documentversion",
        "pk": terms.pk + 100,
        "fields": {
            "document": terms.document_id,
            "number": 2,
            "status": "published",
            "effective_at": "2026-01-01T00:00:00+07:00",
            "published_at": "2026-01-01T00:00:00+07:00",
            "title_vi": "Backdated",
            "body_vi": "## Backdated\n",
        },
    }
    fixture = tmp_path / "backdated.json"
    fixture.write_text(json.dumps([row]))
    with pytest.raises(DatabaseError, match="legal record"):
        call_command("loaddata", str(fixture), verbosity=0)
    assert DocumentVersion.objects.count() == 1


def test_the_mark_never_outlives_the_service(terms):
    """After a publish, or a failure inside the mark, inserts are refused again."""
    make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    with pytest.raises(RuntimeError):
        with db_triggers.publishing():
            raise RuntimeError("a bug in the middle of publishing")
    assert db_triggers.marker_left_set() is False
    with pytest.raises(DatabaseError, match="legal record"):
        with transaction.atomic():
            backdated_copy(terms).save()


def test_publishing_inside_a_callers_transaction_leaves_no_mark(terms):
    with transaction.atomic():
        draft = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0), publish=False)
        publish_version(draft)
        assert db_triggers.marker_left_set() is False
        with pytest.raises(DatabaseError, match="legal record"):
            with transaction.atomic():
                backdated_copy(terms).save()


# Flush ---------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "sqlite", reason="on PostgreSQL flush is TRUNCATE: tests/test_db_roles.py")
def test_flush_keeps_the_record_and_everything_else(terms):
    User.objects.create_user("reader")
    with pytest.raises(CommandError, match="couldn't be flushed"):
        call_command("flush", interactive=False, verbosity=0)
    assert (Document.objects.count(), DocumentVersion.objects.count(), User.objects.count()) == (1, 1, 1)


# Triggers after migrations -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_triggers_come_back_after_a_real_alter_field_migration(tmp_path, settings, monkeypatch):
    """A migration that rebuilds the table drops the triggers on SQLite; migrate's post_migrate restores them."""
    load_bundled_terms()
    leaf = MigrationLoader(connection).graph.leaf_nodes("legal")[0][1]
    package = tmp_path / "altered_legal_migrations"
    shutil.copytree(Path(importlib.import_module("legal.migrations").__file__).parent, package)
    (package / "9999_alter_title.py").write_text(
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('legal', '{leaf}')]\n"
        "    operations = [migrations.AlterField('documentversion', 'title_vi',"
        " models.CharField(blank=True, max_length=201, null=True, verbose_name='title'))]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.MIGRATION_MODULES = {"legal": "altered_legal_migrations"}
    # migrate with the handler legal/apps.py connects: forward and back, each a table rebuild on SQLite.
    call_command("migrate", "legal", "9999_alter_title", verbosity=0)
    assert db_triggers.installed(connection) == EXPECTED_TRIGGERS
    call_command("migrate", "legal", leaf, verbosity=0)
    assert db_triggers.installed(connection) == EXPECTED_TRIGGERS
    with pytest.raises(DatabaseError, match="legal record"):
        execute("UPDATE legal_documentversion SET body_html_vi = 'x'")
    # Without the handler the same migration loses them (SQLite; PostgreSQL alters in place).
    handler = {"sender": apps.get_app_config("legal"), "dispatch_uid": "legal.db_triggers.reinstall"}
    assert post_migrate.disconnect(**handler)
    try:
        call_command("migrate", "legal", "9999_alter_title", verbosity=0)
        lost = EXPECTED_TRIGGERS - db_triggers.installed(connection)
        assert lost == (EXPECTED_TRIGGERS if connection.vendor == "sqlite" else set())
    finally:
        post_migrate.connect(db_triggers.reinstall_after_migrate, **handler)
        call_command("migrate", "legal", leaf, verbosity=0)
    assert DocumentVersion.objects.get().number == 1


@pytest.mark.django_db(transaction=True)
def test_trigger_migrations_reverse_to_their_predecessors(transactional_db):
    """Migrating back restores each older trigger set (and drops columns the triggers name); forward again, all return."""
    load_bundled_terms()
    leaf = MigrationLoader(connection).graph.leaf_nodes("legal")[0][1]
    try:
        call_command("migrate", "legal", "0005", verbosity=0)
        names_0004 = {
            "sqlite": {"legal_version_frozen", "legal_version_undeletable"},
            "postgresql": {"legal_version_protect"},
        }
        assert db_triggers.installed(connection) == names_0004[connection.vendor]
        call_command("migrate", "legal", "0003", verbosity=0)
        assert db_triggers.installed(connection) == set()
    finally:
        call_command("migrate", "legal", leaf, verbosity=0)
    assert db_triggers.installed(connection) == EXPECTED_TRIGGERS
    with pytest.raises(DatabaseError, match="legal record"):
        execute("DELETE FROM legal_documentversion")


# Export, backup and restore ------------------------------------------------------------


def test_export_writes_every_text_and_a_manifest_with_hashes(terms, tmp_path):
    make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    out = StringIO()
    call_command("export_versions", str(tmp_path / "export"), stdout=out)
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest) == 4 and "Exported 4 texts" in out.getvalue()
    for entry in manifest:
        data = (tmp_path / "export" / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert (tmp_path / "export" / "terms-of-service" / "v1.vi.md").read_text(encoding="utf-8") == terms.body_vi


def test_export_to_a_file_path_is_a_clear_error(terms, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("export_versions", str(tmp_path / "file"))


def test_restore_refuses_a_database_that_holds_documents(terms, tmp_path):
    backup = tmp_path / "backup.json"
    call_command("dumpdata", "legal.document", "legal.documentversion", output=str(backup))
    with pytest.raises(CommandError, match="already holds 1 documents and 1 versions"):
        call_command("restore_versions", str(backup))
    with pytest.raises(CommandError, match="missing.json: No such file"):
        call_command("restore_versions", str(tmp_path / "missing.json"))


def test_backup_and_restore_into_an_empty_database_round_trips(terms, tmp_path):
    """dumpdata, then restore_versions into a fresh database: loaddata alone is refused."""
    withdraw_version(make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0)), reason="Mistake.")
    make_version(terms.document, effective_at=site_time(2026, 12, 2, 0, 0))
    backup = tmp_path / "backup.json"
    # modeltranslation's untranslated columns read in the active language; dump in the default one, as manage.py does.
    with translation.override(settings.LANGUAGE_CODE):
        call_command("dumpdata", "legal.document", "legal.documentversion", output=str(backup), indent=1)

    def manage(*args, ok=True):
        result = run_django(["manage.py", *args], DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        assert (result.returncode == 0) == ok, result.stderr[-2000:]
        return result

    manage("migrate", "-v0")
    refused = manage("loaddata", str(backup), ok=False)
    assert "legal record" in refused.stderr
    restored = manage("restore_versions", str(backup))
    digest = hashlib.sha256(backup.read_bytes()).hexdigest()
    line = f"Restored 3 versions of 1 documents from {backup} (SHA-256 {digest})."
    assert restored.stdout.strip() == line
    assert f"WARNING legal.records [request - -] {line}" in restored.stderr  # logged
    verified = manage("verify_versions")
    assert verified.stdout.strip().startswith("All 6 texts of 3 versions match")
    again = manage("restore_versions", str(backup), ok=False)
    assert again.stderr.strip().endswith(
        "already holds 1 documents and 3 versions; restore only into a freshly migrated database"
    )
    manage("dumpdata", "legal.documentversion", "--output", str(tmp_path / "again.json"))
    before = json.loads(backup.read_text())
    after = json.loads((tmp_path / "again.json").read_text())
    assert [row for row in before if row["model"] == "legal.documentversion"] == after
    # A backup from before the translation ledger starts in step, each section confirmed at publication.
    ledger = json.loads(manage("dumpdata", "legal.sectionconfirmation").stdout)
    assert {(row["fields"]["method"], row["fields"]["version"]) for row in ledger} == {
        ("initial", pk) for pk in DocumentVersion.objects.listed().values_list("pk", flat=True)
    }


def test_a_backup_with_the_translation_ledger_restores_it_as_it_was(terms, tmp_path):
    make_version(terms.document, body_vi=terms.body_vi + "\nThêm.\n", effective_at=site_time(2026, 12, 2, 0, 0))
    backup = tmp_path / "backup.json"
    with translation.override(settings.LANGUAGE_CODE):
        call_command(
            "dumpdata", "legal.document", "legal.documentversion", "legal.sectionconfirmation", output=str(backup)
        )
    fresh = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    assert run_django(["manage.py", "migrate", "-v0"], **fresh).returncode == 0
    restored = run_django(["manage.py", "restore_versions", str(backup)], **fresh)
    assert restored.returncode == 0, restored.stderr[-2000:]
    ledger = json.loads(run_django(["manage.py", "dumpdata", "legal.sectionconfirmation"], **fresh).stdout)
    assert ledger == [row for row in json.loads(backup.read_text()) if row["model"] == "legal.sectionconfirmation"]
    assert {row["fields"]["method"] for row in ledger} == {"command", "confirmed"}  # load_terms, make_version
