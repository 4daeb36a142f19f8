"""Database triggers that refuse to change or delete a published or withdrawn version.

The last line of defence under the model and QuerySet guards: whatever code runs (a raw
UPDATE, a bug, a shell session), the database itself keeps the legal record. Created by
migration 0004 on SQLite and PostgreSQL. SQLite drops triggers when Django rebuilds a
table (AlterField and friends), so any later migration that rebuilds
legal_documentversion must call `install` again; tests/test_records.py checks they exist.
"""

FROZEN_COLUMNS = [
    "document_id", "number", "effective_at", "change_kind", "published_at", "published_by_id",
    "notice_from", "reissue_of_id",
    "title", "title_vi", "title_en", "summary", "summary_vi", "summary_en",
    "body", "body_vi", "body_en", "body_sha256", "body_sha256_vi", "body_sha256_en",
]  # fmt: skip
TABLE = "legal_documentversion"
TRIGGERS = {
    "sqlite": ["legal_version_frozen", "legal_version_undeletable"],
    "postgresql": ["legal_version_protect"],
}
FROZEN_MESSAGE = "published document versions are a legal record and cannot be changed"
DELETE_MESSAGE = "published document versions are a legal record and cannot be deleted"
# The one change of state a published version may undergo: being withdrawn.
_STATUS_OK = "(NEW.status = OLD.status OR (OLD.status = 'published' AND NEW.status = 'withdrawn'))"


def _sqlite():
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN_COLUMNS)
    return [
        f"""CREATE TRIGGER IF NOT EXISTS legal_version_frozen BEFORE UPDATE ON {TABLE}
            FOR EACH ROW WHEN OLD.status <> 'draft' AND ({changed} OR NOT {_STATUS_OK})
            BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE}'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS legal_version_undeletable BEFORE DELETE ON {TABLE}
            FOR EACH ROW WHEN OLD.status <> 'draft'
            BEGIN SELECT RAISE(ABORT, '{DELETE_MESSAGE}'); END""",
    ]


def _postgresql():
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN_COLUMNS)
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


def install(connection):
    statements = {"sqlite": _sqlite, "postgresql": _postgresql}.get(connection.vendor)
    if statements is None:
        return
    with connection.cursor() as cursor:
        for statement in statements():
            cursor.execute(statement)


def remove(connection):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in TRIGGERS["sqlite"]:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS legal_version_protect ON {TABLE}")
            cursor.execute("DROP FUNCTION IF EXISTS legal_protect_version()")


def installed(connection):
    """Names of the protective triggers present in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE])
        else:
            return set()
        return {row[0] for row in cursor.fetchall()}
