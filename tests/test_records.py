"""Nothing published is ever lost: database triggers, export, verification, round trips."""

import hashlib
import json
from io import StringIO

import pytest

from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from legal import db_triggers
from legal.publishing import withdraw_version
from tests.conftest import make_version, run_django, site_time

pytestmark = pytest.mark.django_db


def execute(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_triggers_exist_after_all_migrations():
    assert db_triggers.installed(connection) >= set(db_triggers.TRIGGERS[connection.vendor])


@pytest.mark.parametrize(
    "assignment",
    [
        "body_vi = 'defaced'",
        "title_en = 'x'",
        "number = 7",
        "effective_at = '2030-01-01 00:00:00'",
        "body_sha256_en = 'x'",
        "status = 'draft'",
        "summary_vi = 'x'",
        "published_at = NULL",
    ],
)
def test_database_refuses_update_of_frozen_columns(terms, assignment):
    with pytest.raises(DatabaseError, match="legal record"):
        execute(f"UPDATE legal_documentversion SET {assignment} WHERE id = %s", [terms.pk])
    terms.refresh_from_db()
    assert terms.number == 1 and terms.status == "published" and "defaced" not in terms.body_vi


def test_database_refuses_delete_of_published_rows(terms):
    with pytest.raises(DatabaseError, match="legal record"):
        execute("DELETE FROM legal_documentversion")
    assert terms.document.versions.count() == 1


def test_database_allows_rerendering_and_withdrawing(terms):
    execute("UPDATE legal_documentversion SET body_html_vi = '<p>re-rendered</p>' WHERE id = %s", [terms.pk])
    scheduled = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    withdraw_version(scheduled, reason="Published by mistake.")
    scheduled.refresh_from_db()
    assert scheduled.status == "withdrawn"
    with pytest.raises(DatabaseError):
        execute("UPDATE legal_documentversion SET status = 'published' WHERE id = %s", [scheduled.pk])


def test_drafts_stay_free_in_the_database(terms):
    draft = make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0), publish=False)
    execute("UPDATE legal_documentversion SET body_vi = 'new text' WHERE id = %s", [draft.pk])
    execute("DELETE FROM legal_documentversion WHERE id = %s", [draft.pk])


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


def test_verify_versions_passes_and_catches_tampering(terms):
    out = StringIO()
    call_command("verify_versions", stdout=out)
    assert out.getvalue().strip() == "All 2 texts match their stored SHA-256."
    # Someone with database access lifts the triggers and edits the text.
    db_triggers.remove(connection)
    try:
        execute("UPDATE legal_documentversion SET body_en = body_en || ' tampered' WHERE id = %s", [terms.pk])
        err = StringIO()
        with pytest.raises(CommandError, match="1 of 2 texts do not match"):
            call_command("verify_versions", stdout=StringIO(), stderr=err)
        assert "terms-of-service v1 en" in err.getvalue()
    finally:
        db_triggers.install(connection)


def test_dumpdata_loaddata_round_trip_preserves_every_hash(terms, tmp_path):
    make_version(terms.document, effective_at=site_time(2026, 12, 1, 0, 0))
    dump = tmp_path / "dump.json"
    call_command("dumpdata", "legal.document", "legal.documentversion", output=str(dump), indent=1)
    before = sorted(
        (v["fields"]["number"], v["fields"]["body_sha256_vi"], v["fields"]["body_sha256_en"])
        for v in json.loads(dump.read_text())
        if v["model"] == "legal.documentversion"
    )

    def manage(*args):
        result = run_django(["manage.py", *args], DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    manage("migrate", "-v0")
    manage("loaddata", str(dump))
    assert manage("verify_versions").strip() == "All 4 texts match their stored SHA-256."
    manage("dumpdata", "legal.documentversion", "--output", str(tmp_path / "again.json"))
    after = sorted(
        (v["fields"]["number"], v["fields"]["body_sha256_vi"], v["fields"]["body_sha256_en"])
        for v in json.loads((tmp_path / "again.json").read_text())
    )
    assert after == before and len(after) == 2
