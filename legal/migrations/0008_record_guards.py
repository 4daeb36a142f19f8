"""The database refuses what the model refuses: frozen rendering, legal moves only, no side doors.

Installs the triggers described in `legal.db_triggers` as they were when this migration was
written (the SQL is frozen here; the `post_migrate` handler installs the current one). On
the way back it restores the triggers of 0005.
"""

import importlib

from django.db import migrations

TABLE = "legal_documentversion"
MARKER_SETTING = "legal.publishing"
MARKER_TABLE = "legal_record_marker"
TRIGGERS = {
    "sqlite": [
        "legal_version_insert", "legal_version_frozen", "legal_version_state", "legal_version_service",
        "legal_version_undeletable",
    ],
    "postgresql": ["legal_version_protect", "legal_version_no_truncate"],
}  # fmt: skip
FROZEN_MESSAGE = "published document versions are a legal record and cannot be changed"
DELETE_MESSAGE = "published document versions are a legal record and cannot be deleted"
TRUNCATE_MESSAGE = "published document versions are a legal record and cannot be truncated"
STATE_MESSAGE = "document versions are a legal record: a draft may be published, a published version withdrawn"
SERVICE_MESSAGE = "document versions are a legal record: only the publishing service publishes, withdraws or restores"
_LEGAL_MOVE = "((OLD.status = 'draft' AND NEW.status = 'published') OR (OLD.status = 'published' AND NEW.status = 'withdrawn'))"  # fmt: skip
FROZEN = [
    "id", "document_id", "number", "change_kind", "effective_at", "title", "title_vi", "title_en",
    "summary", "summary_vi", "summary_en", "body", "body_vi", "body_en", "body_html", "body_html_vi",
    "body_html_en", "sections", "sections_vi", "sections_en", "body_sha256", "body_sha256_vi",
    "body_sha256_en", "created_at", "published_at", "created_by_id", "updated_by_id", "published_by_id",
    "reissue_of_id", "notice_from",
]  # fmt: skip
WITHDRAWAL = ["withdrawn_at", "withdrawn_by_id", "withdrawal_reason", "withdrawal_reissue_planned"]


def _sqlite(frozen, withdrawal):
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in frozen)
    withdrawn = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in withdrawal)
    unmarked = f"NOT EXISTS (SELECT 1 FROM {MARKER_TABLE})"
    triggers = {
        "legal_version_insert": f"BEFORE INSERT ON {TABLE} FOR EACH ROW WHEN NEW.status <> 'draft' AND {unmarked}",
        "legal_version_frozen": f"""BEFORE UPDATE ON {TABLE} FOR EACH ROW WHEN OLD.status <> 'draft'
            AND ({changed} OR (NEW.status = OLD.status AND ({withdrawn})))""",
        "legal_version_state": f"BEFORE UPDATE ON {TABLE} FOR EACH ROW WHEN NEW.status <> OLD.status AND NOT {_LEGAL_MOVE}",
        "legal_version_service": f"BEFORE UPDATE ON {TABLE} FOR EACH ROW WHEN NEW.status <> OLD.status AND {unmarked}",
        "legal_version_undeletable": f"BEFORE DELETE ON {TABLE} FOR EACH ROW WHEN OLD.status <> 'draft'",
    }  # fmt: skip
    messages = {
        "legal_version_insert": SERVICE_MESSAGE, "legal_version_frozen": FROZEN_MESSAGE,
        "legal_version_state": STATE_MESSAGE, "legal_version_service": SERVICE_MESSAGE,
        "legal_version_undeletable": DELETE_MESSAGE,
    }  # fmt: skip
    statements = [f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1))"]
    for name, when in triggers.items():
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{messages[name]}'); END")
    return statements


def _postgresql(frozen, withdrawal):
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in frozen)
    withdrawn = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in withdrawal)
    marked = f"coalesce(current_setting('{MARKER_SETTING}', true), '') = 'on'"
    return [
        f"""CREATE OR REPLACE FUNCTION legal_protect_version() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    IF OLD.status <> 'draft' THEN RAISE EXCEPTION '{DELETE_MESSAGE}'; END IF;
                    RETURN OLD;
                END IF;
                IF TG_OP = 'INSERT' THEN
                    IF NEW.status <> 'draft' AND NOT {marked} THEN RAISE EXCEPTION '{SERVICE_MESSAGE}'; END IF;
                    RETURN NEW;
                END IF;
                IF OLD.status <> 'draft' AND ({changed} OR (NEW.status = OLD.status AND ({withdrawn}))) THEN
                    RAISE EXCEPTION '{FROZEN_MESSAGE}';
                END IF;
                IF NEW.status <> OLD.status THEN
                    IF NOT {_LEGAL_MOVE} THEN RAISE EXCEPTION '{STATE_MESSAGE}'; END IF;
                    IF NOT {marked} THEN RAISE EXCEPTION '{SERVICE_MESSAGE}'; END IF;
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql""",
        # TRUNCATE skips row triggers. The table's owner (who runs migrations and can drop
        # triggers anyway) keeps it, which the test suite's flushes need; anyone else is
        # refused while the table holds a version that is not a draft.
        f"""CREATE OR REPLACE FUNCTION legal_refuse_truncate() RETURNS trigger AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM {TABLE} WHERE status <> 'draft')
                   AND NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
                    RAISE EXCEPTION '{TRUNCATE_MESSAGE}';
                END IF;
                RETURN NULL;
            END $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS legal_version_protect ON {TABLE}",
        f"""CREATE TRIGGER legal_version_protect BEFORE INSERT OR UPDATE OR DELETE ON {TABLE}
            FOR EACH ROW EXECUTE FUNCTION legal_protect_version()""",
        f"DROP TRIGGER IF EXISTS legal_version_no_truncate ON {TABLE}",
        f"""CREATE TRIGGER legal_version_no_truncate BEFORE TRUNCATE ON {TABLE}
            FOR EACH STATEMENT EXECUTE FUNCTION legal_refuse_truncate()""",
    ]


def statements(vendor):
    generate = {"sqlite": _sqlite, "postgresql": _postgresql}.get(vendor)
    return generate(FROZEN, WITHDRAWAL) if generate else []


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
    m0004.run(schema_editor, m0004.statements(vendor, m0005.FROZEN_COLUMNS))


class Migration(migrations.Migration):
    dependencies = [("legal", "0007_stored_redline")]

    operations = [migrations.RunPython(install, restore_0005)]
