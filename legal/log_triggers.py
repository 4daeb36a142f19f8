"""Database triggers that keep the transparency log append-only, on SQLite and PostgreSQL.

Whatever code runs (a raw statement, a QuerySet `update()`, a shell session):

- a leaf or a signed tree head is never updated or deleted;
- a leaf is inserted only at the next index (the log's size), so no gap or rewrite of
  history can be slipped in;
- a granted time-stamp never changes and is never deleted (pending ones are the worker's
  outbox and change as it works); nor does a PDF of record;
- on PostgreSQL a TRUNCATE is refused while the table holds rows, except for the role that
  owns the table (migrations and the test suite's flushes), as in `legal.db_triggers`.

The migration that created the tables froze its own copy of this SQL; a `post_migrate`
handler installs the current one after every `migrate`, since SQLite drops a table's
triggers whenever Django rebuilds it.
"""

from django.db import DEFAULT_DB_ALIAS, connections

from .db_triggers import applied, execute, refuse_truncate, sqlite_refusals, triggers_on

LEAVES = "legal_logleaf"
HEADS = "legal_treehead"
STAMPS = "legal_timestamp"
PDFS = "legal_recordpdf"
INSTALLED_BY = ("legal", "0012_evidence")
TRIGGERS = {
    "sqlite": [
        "legal_logleaf_next_index", "legal_logleaf_unchanged", "legal_logleaf_undeletable",
        "legal_treehead_unchanged", "legal_treehead_undeletable",
        "legal_timestamp_granted_unchanged", "legal_timestamp_granted_undeletable",
        "legal_recordpdf_unchanged", "legal_recordpdf_undeletable",
    ],
    "postgresql": [
        "legal_logleaf_append_only", "legal_logleaf_no_truncate",
        "legal_treehead_append_only", "legal_treehead_no_truncate",
        "legal_timestamp_granted_kept", "legal_timestamp_no_truncate",
        "legal_recordpdf_append_only", "legal_recordpdf_no_truncate",
    ],
}  # fmt: skip
CHANGE_MESSAGE = "the transparency log is append-only and cannot be changed"
DELETE_MESSAGE = "the transparency log is append-only and cannot be deleted"
INDEX_MESSAGE = "the transparency log is append-only: a leaf goes at the next index"
TRUNCATE_MESSAGE = "the transparency log is append-only and cannot be truncated"
STAMP_MESSAGE = "a granted time-stamp is evidence and cannot be changed or deleted"


def _sqlite():
    triggers = {
        "legal_logleaf_next_index": (
            f"BEFORE INSERT ON {LEAVES} FOR EACH ROW WHEN NEW.leaf_index <> (SELECT count(*) FROM {LEAVES})",
            INDEX_MESSAGE,
        ),
        "legal_logleaf_unchanged": (f"BEFORE UPDATE ON {LEAVES} FOR EACH ROW", CHANGE_MESSAGE),
        "legal_logleaf_undeletable": (f"BEFORE DELETE ON {LEAVES} FOR EACH ROW", DELETE_MESSAGE),
        "legal_treehead_unchanged": (f"BEFORE UPDATE ON {HEADS} FOR EACH ROW", CHANGE_MESSAGE),
        "legal_treehead_undeletable": (f"BEFORE DELETE ON {HEADS} FOR EACH ROW", DELETE_MESSAGE),
        "legal_recordpdf_unchanged": (f"BEFORE UPDATE ON {PDFS} FOR EACH ROW", CHANGE_MESSAGE),
        "legal_recordpdf_undeletable": (f"BEFORE DELETE ON {PDFS} FOR EACH ROW", DELETE_MESSAGE),
        "legal_timestamp_granted_unchanged": (
            f"BEFORE UPDATE ON {STAMPS} FOR EACH ROW WHEN OLD.status = 'granted'",
            STAMP_MESSAGE,
        ),
        "legal_timestamp_granted_undeletable": (
            f"BEFORE DELETE ON {STAMPS} FOR EACH ROW WHEN OLD.status = 'granted'",
            STAMP_MESSAGE,
        ),
    }
    return sqlite_refusals(triggers)


def _refuse_truncate(function, table):
    return refuse_truncate(function, table, TRUNCATE_MESSAGE)


def _postgresql():
    return [
        f"""CREATE OR REPLACE FUNCTION legal_log_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN RAISE EXCEPTION '{DELETE_MESSAGE}'; END IF;
                IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION '{CHANGE_MESSAGE}'; END IF;
                IF TG_TABLE_NAME = '{LEAVES}' AND NEW.leaf_index <> (SELECT count(*) FROM {LEAVES}) THEN
                    RAISE EXCEPTION '{INDEX_MESSAGE}';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION legal_timestamp_keep_granted() RETURNS trigger AS $$
            BEGIN
                IF OLD.status = 'granted' THEN RAISE EXCEPTION '{STAMP_MESSAGE}'; END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql""",
        _refuse_truncate("legal_logleaf_refuse_truncate", LEAVES),
        _refuse_truncate("legal_treehead_refuse_truncate", HEADS),
        _refuse_truncate("legal_timestamp_refuse_truncate", STAMPS),
        _refuse_truncate("legal_recordpdf_refuse_truncate", PDFS),
        f"DROP TRIGGER IF EXISTS legal_logleaf_append_only ON {LEAVES}",
        f"""CREATE TRIGGER legal_logleaf_append_only BEFORE INSERT OR UPDATE OR DELETE ON {LEAVES}
            FOR EACH ROW EXECUTE FUNCTION legal_log_append_only()""",
        f"DROP TRIGGER IF EXISTS legal_treehead_append_only ON {HEADS}",
        f"""CREATE TRIGGER legal_treehead_append_only BEFORE UPDATE OR DELETE ON {HEADS}
            FOR EACH ROW EXECUTE FUNCTION legal_log_append_only()""",
        f"DROP TRIGGER IF EXISTS legal_timestamp_granted_kept ON {STAMPS}",
        f"""CREATE TRIGGER legal_timestamp_granted_kept BEFORE UPDATE OR DELETE ON {STAMPS}
            FOR EACH ROW EXECUTE FUNCTION legal_timestamp_keep_granted()""",
        f"DROP TRIGGER IF EXISTS legal_recordpdf_append_only ON {PDFS}",
        f"""CREATE TRIGGER legal_recordpdf_append_only BEFORE UPDATE OR DELETE ON {PDFS}
            FOR EACH ROW EXECUTE FUNCTION legal_log_append_only()""",
        f"DROP TRIGGER IF EXISTS legal_recordpdf_no_truncate ON {PDFS}",
        f"""CREATE TRIGGER legal_recordpdf_no_truncate BEFORE TRUNCATE ON {PDFS}
            FOR EACH STATEMENT EXECUTE FUNCTION legal_recordpdf_refuse_truncate()""",
        f"DROP TRIGGER IF EXISTS legal_logleaf_no_truncate ON {LEAVES}",
        f"""CREATE TRIGGER legal_logleaf_no_truncate BEFORE TRUNCATE ON {LEAVES}
            FOR EACH STATEMENT EXECUTE FUNCTION legal_logleaf_refuse_truncate()""",
        f"DROP TRIGGER IF EXISTS legal_treehead_no_truncate ON {HEADS}",
        f"""CREATE TRIGGER legal_treehead_no_truncate BEFORE TRUNCATE ON {HEADS}
            FOR EACH STATEMENT EXECUTE FUNCTION legal_treehead_refuse_truncate()""",
        f"DROP TRIGGER IF EXISTS legal_timestamp_no_truncate ON {STAMPS}",
        f"""CREATE TRIGGER legal_timestamp_no_truncate BEFORE TRUNCATE ON {STAMPS}
            FOR EACH STATEMENT EXECUTE FUNCTION legal_timestamp_refuse_truncate()""",
    ]


def statements(vendor):
    """The SQL that installs the triggers on `vendor`, or [] where there are none."""
    generate = {"sqlite": _sqlite, "postgresql": _postgresql}.get(vendor)
    return generate() if generate else []


def removal_statements(vendor):
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS["sqlite"]]
    if vendor == "postgresql":
        tables = {"logleaf": LEAVES, "treehead": HEADS, "timestamp": STAMPS, "recordpdf": PDFS}
        drops = [f"DROP TRIGGER IF EXISTS {name} ON {tables[name.split('_')[1]]}" for name in TRIGGERS["postgresql"]]
        functions = [
            "legal_log_append_only", "legal_timestamp_keep_granted", "legal_logleaf_refuse_truncate",
            "legal_treehead_refuse_truncate", "legal_timestamp_refuse_truncate", "legal_recordpdf_refuse_truncate",
        ]  # fmt: skip
        return drops + [f"DROP FUNCTION IF EXISTS {name}()" for name in functions]
    return []


def install(connection):
    execute(connection, statements(connection.vendor))


def remove(connection):
    execute(connection, removal_statements(connection.vendor))


def installed(connection):
    """Names of the log's triggers present in the database."""
    return triggers_on(connection, LEAVES, HEADS, STAMPS, PDFS)


def reinstall_after_migrate(sender, *, using=DEFAULT_DB_ALIAS, **kwargs):
    """`post_migrate` handler: put the triggers back once the tables' migration is applied."""
    connection = connections[using]
    if applied(connection, INSTALLED_BY):
        install(connection)
