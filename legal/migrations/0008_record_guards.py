"""The database refuses what the model refuses: frozen rendering, legal moves only, no side doors.

Installs the triggers described in `legal.db_triggers` as they were when this migration was
written (the SQL is written out here; the `post_migrate` handler installs the current one). On
the way back it restores the triggers of 0005.
"""

import importlib

from django.db import migrations

TABLE = "legal_documentversion"
MARKER_TABLE = "legal_record_marker"
TRIGGERS = {
    "sqlite": [
        "legal_version_insert", "legal_version_frozen", "legal_version_state", "legal_version_service",
        "legal_version_undeletable",
    ],
    "postgresql": ["legal_version_protect", "legal_version_no_truncate"],
}  # fmt: skip
# The SQL as this migration installed it, written out so that no later edit of
# `legal.db_triggers` changes what this migration does.
SQL = {
    "sqlite": [
        "CREATE TABLE IF NOT EXISTS legal_record_marker (id INTEGER PRIMARY KEY CHECK (id = 1))",
        "DROP TRIGGER IF EXISTS legal_version_insert",
        "CREATE TRIGGER legal_version_insert BEFORE INSERT ON legal_documentversion FOR EACH ROW WHEN NEW.status <> 'draft' AND NOT EXISTS (SELECT 1 FROM legal_record_marker) BEGIN SELECT RAISE(ABORT, 'document versions are a legal record: only the publishing service publishes, withdraws or restores'); END",
        "DROP TRIGGER IF EXISTS legal_version_frozen",
        """CREATE TRIGGER legal_version_frozen BEFORE UPDATE ON legal_documentversion FOR EACH ROW WHEN OLD.status <> 'draft'
            AND (NEW.id IS NOT OLD.id OR NEW.document_id IS NOT OLD.document_id OR NEW.number IS NOT OLD.number OR NEW.change_kind IS NOT OLD.change_kind OR NEW.effective_at IS NOT OLD.effective_at OR NEW.title IS NOT OLD.title OR NEW.title_vi IS NOT OLD.title_vi OR NEW.title_en IS NOT OLD.title_en OR NEW.summary IS NOT OLD.summary OR NEW.summary_vi IS NOT OLD.summary_vi OR NEW.summary_en IS NOT OLD.summary_en OR NEW.body IS NOT OLD.body OR NEW.body_vi IS NOT OLD.body_vi OR NEW.body_en IS NOT OLD.body_en OR NEW.body_html IS NOT OLD.body_html OR NEW.body_html_vi IS NOT OLD.body_html_vi OR NEW.body_html_en IS NOT OLD.body_html_en OR NEW.sections IS NOT OLD.sections OR NEW.sections_vi IS NOT OLD.sections_vi OR NEW.sections_en IS NOT OLD.sections_en OR NEW.body_sha256 IS NOT OLD.body_sha256 OR NEW.body_sha256_vi IS NOT OLD.body_sha256_vi OR NEW.body_sha256_en IS NOT OLD.body_sha256_en OR NEW.created_at IS NOT OLD.created_at OR NEW.published_at IS NOT OLD.published_at OR NEW.created_by_id IS NOT OLD.created_by_id OR NEW.updated_by_id IS NOT OLD.updated_by_id OR NEW.published_by_id IS NOT OLD.published_by_id OR NEW.reissue_of_id IS NOT OLD.reissue_of_id OR NEW.notice_from IS NOT OLD.notice_from OR (NEW.status = OLD.status AND (NEW.withdrawn_at IS NOT OLD.withdrawn_at OR NEW.withdrawn_by_id IS NOT OLD.withdrawn_by_id OR NEW.withdrawal_reason IS NOT OLD.withdrawal_reason OR NEW.withdrawal_reissue_planned IS NOT OLD.withdrawal_reissue_planned))) BEGIN SELECT RAISE(ABORT, 'published document versions are a legal record and cannot be changed'); END""",
        "DROP TRIGGER IF EXISTS legal_version_state",
        "CREATE TRIGGER legal_version_state BEFORE UPDATE ON legal_documentversion FOR EACH ROW WHEN NEW.status <> OLD.status AND NOT ((OLD.status = 'draft' AND NEW.status = 'published') OR (OLD.status = 'published' AND NEW.status = 'withdrawn')) BEGIN SELECT RAISE(ABORT, 'document versions are a legal record: a draft may be published, a published version withdrawn'); END",
        "DROP TRIGGER IF EXISTS legal_version_service",
        "CREATE TRIGGER legal_version_service BEFORE UPDATE ON legal_documentversion FOR EACH ROW WHEN NEW.status <> OLD.status AND NOT EXISTS (SELECT 1 FROM legal_record_marker) BEGIN SELECT RAISE(ABORT, 'document versions are a legal record: only the publishing service publishes, withdraws or restores'); END",
        "DROP TRIGGER IF EXISTS legal_version_undeletable",
        "CREATE TRIGGER legal_version_undeletable BEFORE DELETE ON legal_documentversion FOR EACH ROW WHEN OLD.status <> 'draft' BEGIN SELECT RAISE(ABORT, 'published document versions are a legal record and cannot be deleted'); END",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION legal_protect_version() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    IF OLD.status <> 'draft' THEN RAISE EXCEPTION 'published document versions are a legal record and cannot be deleted'; END IF;
                    RETURN OLD;
                END IF;
                IF TG_OP = 'INSERT' THEN
                    IF NEW.status <> 'draft' AND NOT coalesce(current_setting('legal.publishing', true), '') = 'on' THEN RAISE EXCEPTION 'document versions are a legal record: only the publishing service publishes, withdraws or restores'; END IF;
                    RETURN NEW;
                END IF;
                IF OLD.status <> 'draft' AND (NEW.id IS DISTINCT FROM OLD.id OR NEW.document_id IS DISTINCT FROM OLD.document_id OR NEW.number IS DISTINCT FROM OLD.number OR NEW.change_kind IS DISTINCT FROM OLD.change_kind OR NEW.effective_at IS DISTINCT FROM OLD.effective_at OR NEW.title IS DISTINCT FROM OLD.title OR NEW.title_vi IS DISTINCT FROM OLD.title_vi OR NEW.title_en IS DISTINCT FROM OLD.title_en OR NEW.summary IS DISTINCT FROM OLD.summary OR NEW.summary_vi IS DISTINCT FROM OLD.summary_vi OR NEW.summary_en IS DISTINCT FROM OLD.summary_en OR NEW.body IS DISTINCT FROM OLD.body OR NEW.body_vi IS DISTINCT FROM OLD.body_vi OR NEW.body_en IS DISTINCT FROM OLD.body_en OR NEW.body_html IS DISTINCT FROM OLD.body_html OR NEW.body_html_vi IS DISTINCT FROM OLD.body_html_vi OR NEW.body_html_en IS DISTINCT FROM OLD.body_html_en OR NEW.sections IS DISTINCT FROM OLD.sections OR NEW.sections_vi IS DISTINCT FROM OLD.sections_vi OR NEW.sections_en IS DISTINCT FROM OLD.sections_en OR NEW.body_sha256 IS DISTINCT FROM OLD.body_sha256 OR NEW.body_sha256_vi IS DISTINCT FROM OLD.body_sha256_vi OR NEW.body_sha256_en IS DISTINCT FROM OLD.body_sha256_en OR NEW.created_at IS DISTINCT FROM OLD.created_at OR NEW.published_at IS DISTINCT FROM OLD.published_at OR NEW.created_by_id IS DISTINCT FROM OLD.created_by_id OR NEW.updated_by_id IS DISTINCT FROM OLD.updated_by_id OR NEW.published_by_id IS DISTINCT FROM OLD.published_by_id OR NEW.reissue_of_id IS DISTINCT FROM OLD.reissue_of_id OR NEW.notice_from IS DISTINCT FROM OLD.notice_from OR (NEW.status = OLD.status AND (NEW.withdrawn_at IS DISTINCT FROM OLD.withdrawn_at OR NEW.withdrawn_by_id IS DISTINCT FROM OLD.withdrawn_by_id OR NEW.withdrawal_reason IS DISTINCT FROM OLD.withdrawal_reason OR NEW.withdrawal_reissue_planned IS DISTINCT FROM OLD.withdrawal_reissue_planned))) THEN
                    RAISE EXCEPTION 'published document versions are a legal record and cannot be changed';
                END IF;
                IF NEW.status <> OLD.status THEN
                    IF NOT ((OLD.status = 'draft' AND NEW.status = 'published') OR (OLD.status = 'published' AND NEW.status = 'withdrawn')) THEN RAISE EXCEPTION 'document versions are a legal record: a draft may be published, a published version withdrawn'; END IF;
                    IF NOT coalesce(current_setting('legal.publishing', true), '') = 'on' THEN RAISE EXCEPTION 'document versions are a legal record: only the publishing service publishes, withdraws or restores'; END IF;
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql""",
        """CREATE OR REPLACE FUNCTION legal_refuse_truncate() RETURNS trigger AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM legal_documentversion WHERE status <> 'draft')
                   AND NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
                    RAISE EXCEPTION 'published document versions are a legal record and cannot be truncated';
                END IF;
                RETURN NULL;
            END $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS legal_version_protect ON legal_documentversion",
        """CREATE TRIGGER legal_version_protect BEFORE INSERT OR UPDATE OR DELETE ON legal_documentversion
            FOR EACH ROW EXECUTE FUNCTION legal_protect_version()""",
        "DROP TRIGGER IF EXISTS legal_version_no_truncate ON legal_documentversion",
        """CREATE TRIGGER legal_version_no_truncate BEFORE TRUNCATE ON legal_documentversion
            FOR EACH STATEMENT EXECUTE FUNCTION legal_refuse_truncate()""",
    ],
}


def statements(vendor):
    return list(SQL.get(vendor, []))


def install(apps, schema_editor):
    for statement in statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def restore_0005(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in TRIGGERS["sqlite"]:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")
    elif vendor == "postgresql":
        for name in TRIGGERS["postgresql"]:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}")
        schema_editor.execute("DROP FUNCTION IF EXISTS legal_refuse_truncate()")
    m0004 = importlib.import_module("legal.migrations.0004_protect_published_versions")
    m0005 = importlib.import_module("legal.migrations.0005_version_lineage_and_withdrawal")
    m0004.run(schema_editor, m0005.SQL.get(vendor, []))


class Migration(migrations.Migration):
    dependencies = [("legal", "0007_stored_redline")]

    operations = [migrations.RunPython(install, restore_0005)]
