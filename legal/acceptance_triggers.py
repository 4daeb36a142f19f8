"""Database triggers that make acceptance records append-only, on SQLite and PostgreSQL.

An acceptance is evidence: once written it is never updated or deleted, whatever code runs
(a raw statement, a QuerySet `update()`, a shell session). On PostgreSQL a TRUNCATE is
refused too while the table holds records, except for the role that owns the table
(migrations and the test suite's flushes), as for document versions (`legal.db_triggers`).

The migration that created the table froze its own copy of this SQL; a `post_migrate`
handler installs the current one after every `migrate`, since SQLite drops a table's
triggers whenever Django rebuilds it.
"""

from django.db import DEFAULT_DB_ALIAS, connections

from . import db_triggers

TABLE = "legal_acceptance"
INSTALLED_BY = ("legal", "0009_acceptance_records")
TRIGGERS = {
    "sqlite": ["legal_acceptance_unchanged", "legal_acceptance_undeletable"],
    "postgresql": ["legal_acceptance_append_only", "legal_acceptance_no_truncate"],
}
CHANGE_MESSAGE = "acceptance records are append-only and cannot be changed"
DELETE_MESSAGE = "acceptance records are append-only and cannot be deleted"
TRUNCATE_MESSAGE = "acceptance records are append-only and cannot be truncated"


def statements(vendor):
    """The SQL that installs the triggers on `vendor`, or [] where there are none."""
    if vendor == "sqlite":
        return db_triggers.sqlite_refusals(
            {
                "legal_acceptance_unchanged": (f"BEFORE UPDATE ON {TABLE} FOR EACH ROW", CHANGE_MESSAGE),
                "legal_acceptance_undeletable": (f"BEFORE DELETE ON {TABLE} FOR EACH ROW", DELETE_MESSAGE),
            }
        )
    if vendor == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION legal_acceptance_refuse_change() RETURNS trigger AS $$
                BEGIN
                    IF TG_OP = 'DELETE' THEN RAISE EXCEPTION '{DELETE_MESSAGE}'; END IF;
                    RAISE EXCEPTION '{CHANGE_MESSAGE}';
                END $$ LANGUAGE plpgsql""",
            db_triggers.refuse_truncate("legal_acceptance_refuse_truncate", TABLE, TRUNCATE_MESSAGE),
            f"DROP TRIGGER IF EXISTS legal_acceptance_append_only ON {TABLE}",
            f"""CREATE TRIGGER legal_acceptance_append_only BEFORE UPDATE OR DELETE ON {TABLE}
                FOR EACH ROW EXECUTE FUNCTION legal_acceptance_refuse_change()""",
            f"DROP TRIGGER IF EXISTS legal_acceptance_no_truncate ON {TABLE}",
            f"""CREATE TRIGGER legal_acceptance_no_truncate BEFORE TRUNCATE ON {TABLE}
                FOR EACH STATEMENT EXECUTE FUNCTION legal_acceptance_refuse_truncate()""",
        ]
    return []


def removal_statements(vendor):
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS["sqlite"]]
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {name} ON {TABLE}" for name in TRIGGERS["postgresql"]] + [
            "DROP FUNCTION IF EXISTS legal_acceptance_refuse_change()",
            "DROP FUNCTION IF EXISTS legal_acceptance_refuse_truncate()",
        ]
    return []


def install(connection):
    db_triggers.execute(connection, statements(connection.vendor))


def remove(connection):
    db_triggers.execute(connection, removal_statements(connection.vendor))


def installed(connection):
    """Names of the append-only triggers present in the database."""
    return db_triggers.triggers_on(connection, TABLE)


def reinstall_after_migrate(sender, *, using=DEFAULT_DB_ALIAS, **kwargs):
    """`post_migrate` handler: put the triggers back once the table's migration is applied."""
    connection = connections[using]
    if db_triggers.applied(connection, INSTALLED_BY):
        install(connection)
