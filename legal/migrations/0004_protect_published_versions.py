"""Database triggers: published and withdrawn versions can be neither changed nor deleted.

The SQL is frozen here, as it was when this migration was written: later migrations (and
the `post_migrate` handler in `legal.db_triggers`) install their own.
"""

from django.db import migrations

TABLE = "legal_documentversion"
FROZEN_COLUMNS = [
    "document_id", "number", "effective_at", "change_kind", "published_at", "published_by_id",
    "title", "title_vi", "title_en", "summary", "summary_vi", "summary_en",
    "body", "body_vi", "body_en", "body_sha256", "body_sha256_vi", "body_sha256_en",
]  # fmt: skip
FROZEN_MESSAGE = "published document versions are a legal record and cannot be changed"
DELETE_MESSAGE = "published document versions are a legal record and cannot be deleted"
_STATUS_OK = "(NEW.status = OLD.status OR (OLD.status = 'published' AND NEW.status = 'withdrawn'))"


def statements(vendor, frozen_columns):
    if vendor == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in frozen_columns)
        return [
            f"""CREATE TRIGGER IF NOT EXISTS legal_version_frozen BEFORE UPDATE ON {TABLE}
                FOR EACH ROW WHEN OLD.status <> 'draft' AND ({changed} OR NOT {_STATUS_OK})
                BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE}'); END""",
            f"""CREATE TRIGGER IF NOT EXISTS legal_version_undeletable BEFORE DELETE ON {TABLE}
                FOR EACH ROW WHEN OLD.status <> 'draft'
                BEGIN SELECT RAISE(ABORT, '{DELETE_MESSAGE}'); END""",
        ]
    if vendor == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in frozen_columns)
        return [
            f"""CREATE OR REPLACE FUNCTION legal_protect_version() RETURNS trigger AS $$
                BEGIN
                    IF TG_OP = 'DELETE' THEN
                        IF OLD.status <> 'draft' THEN RAISE EXCEPTION '{DELETE_MESSAGE}'; END IF;
                        RETURN OLD;
                    END IF;
                    IF OLD.status <> 'draft' AND ({changed} OR NOT {_STATUS_OK}) THEN
                        RAISE EXCEPTION '{FROZEN_MESSAGE}';
                    END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql""",
            f"DROP TRIGGER IF EXISTS legal_version_protect ON {TABLE}",
            f"""CREATE TRIGGER legal_version_protect BEFORE UPDATE OR DELETE ON {TABLE}
                FOR EACH ROW EXECUTE FUNCTION legal_protect_version()""",
        ]
    return []


def removal(vendor):
    if vendor == "sqlite":
        return ["DROP TRIGGER IF EXISTS legal_version_frozen", "DROP TRIGGER IF EXISTS legal_version_undeletable"]
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS legal_version_protect ON {TABLE}",
            "DROP FUNCTION IF EXISTS legal_protect_version()",
        ]
    return []


def run(schema_editor, sql):
    for statement in sql:
        schema_editor.execute(statement)


def install(apps, schema_editor):
    run(schema_editor, statements(schema_editor.connection.vendor, FROZEN_COLUMNS))


def remove(apps, schema_editor):
    run(schema_editor, removal(schema_editor.connection.vendor))


class Migration(migrations.Migration):
    dependencies = [("legal", "0003_subscriptions")]

    operations = [migrations.RunPython(install, remove)]
