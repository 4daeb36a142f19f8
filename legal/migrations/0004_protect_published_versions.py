"""Database triggers: published and withdrawn versions can be neither changed nor deleted.

The SQL is written out here as this migration installed it, so no later edit of the app's
code changes what this migration does. Later migrations (and the `post_migrate` handler in
`legal.db_triggers`) install their own.
"""

from django.db import migrations

SQL = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS legal_version_frozen BEFORE UPDATE ON legal_documentversion
                FOR EACH ROW WHEN OLD.status <> 'draft' AND (NEW.document_id IS NOT OLD.document_id OR NEW.number IS NOT OLD.number OR NEW.effective_at IS NOT OLD.effective_at OR NEW.change_kind IS NOT OLD.change_kind OR NEW.published_at IS NOT OLD.published_at OR NEW.published_by_id IS NOT OLD.published_by_id OR NEW.title IS NOT OLD.title OR NEW.title_vi IS NOT OLD.title_vi OR NEW.title_en IS NOT OLD.title_en OR NEW.summary IS NOT OLD.summary OR NEW.summary_vi IS NOT OLD.summary_vi OR NEW.summary_en IS NOT OLD.summary_en OR NEW.body IS NOT OLD.body OR NEW.body_vi IS NOT OLD.body_vi OR NEW.body_en IS NOT OLD.body_en OR NEW.body_sha256 IS NOT OLD.body_sha256 OR NEW.body_sha256_vi IS NOT OLD.body_sha256_vi OR NEW.body_sha256_en IS NOT OLD.body_sha256_en OR NOT (NEW.status = OLD.status OR (OLD.status = 'published' AND NEW.status = 'withdrawn')))
                BEGIN SELECT RAISE(ABORT, 'published document versions are a legal record and cannot be changed'); END""",
        """CREATE TRIGGER IF NOT EXISTS legal_version_undeletable BEFORE DELETE ON legal_documentversion
                FOR EACH ROW WHEN OLD.status <> 'draft'
                BEGIN SELECT RAISE(ABORT, 'published document versions are a legal record and cannot be deleted'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION legal_protect_version() RETURNS trigger AS $$
                BEGIN
                    IF TG_OP = 'DELETE' THEN
                        IF OLD.status <> 'draft' THEN RAISE EXCEPTION 'published document versions are a legal record and cannot be deleted'; END IF;
                        RETURN OLD;
                    END IF;
                    IF OLD.status <> 'draft' AND (NEW.document_id IS DISTINCT FROM OLD.document_id OR NEW.number IS DISTINCT FROM OLD.number OR NEW.effective_at IS DISTINCT FROM OLD.effective_at OR NEW.change_kind IS DISTINCT FROM OLD.change_kind OR NEW.published_at IS DISTINCT FROM OLD.published_at OR NEW.published_by_id IS DISTINCT FROM OLD.published_by_id OR NEW.title IS DISTINCT FROM OLD.title OR NEW.title_vi IS DISTINCT FROM OLD.title_vi OR NEW.title_en IS DISTINCT FROM OLD.title_en OR NEW.summary IS DISTINCT FROM OLD.summary OR NEW.summary_vi IS DISTINCT FROM OLD.summary_vi OR NEW.summary_en IS DISTINCT FROM OLD.summary_en OR NEW.body IS DISTINCT FROM OLD.body OR NEW.body_vi IS DISTINCT FROM OLD.body_vi OR NEW.body_en IS DISTINCT FROM OLD.body_en OR NEW.body_sha256 IS DISTINCT FROM OLD.body_sha256 OR NEW.body_sha256_vi IS DISTINCT FROM OLD.body_sha256_vi OR NEW.body_sha256_en IS DISTINCT FROM OLD.body_sha256_en OR NOT (NEW.status = OLD.status OR (OLD.status = 'published' AND NEW.status = 'withdrawn'))) THEN
                        RAISE EXCEPTION 'published document versions are a legal record and cannot be changed';
                    END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS legal_version_protect ON legal_documentversion",
        """CREATE TRIGGER legal_version_protect BEFORE UPDATE OR DELETE ON legal_documentversion
                FOR EACH ROW EXECUTE FUNCTION legal_protect_version()""",
    ],
}
REMOVE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS legal_version_frozen",
        "DROP TRIGGER IF EXISTS legal_version_undeletable",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS legal_version_protect ON legal_documentversion",
        "DROP FUNCTION IF EXISTS legal_protect_version()",
    ],
}


def run(schema_editor, sql):
    for statement in sql:
        schema_editor.execute(statement)


def install(apps, schema_editor):
    run(schema_editor, SQL.get(schema_editor.connection.vendor, []))


def remove(apps, schema_editor):
    run(schema_editor, REMOVE.get(schema_editor.connection.vendor, []))


class Migration(migrations.Migration):
    dependencies = [("legal", "0003_subscriptions")]

    operations = [migrations.RunPython(install, remove)]
