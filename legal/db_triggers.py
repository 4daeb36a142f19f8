"""Database triggers that keep the legal record: the database refuses what the model refuses.

The last line of defence under the model and QuerySet guards, whatever code runs (a raw
statement, `bulk_create`, `loaddata`, a shell session), on SQLite and PostgreSQL:

- a version that left the draft state never changes, its rendered HTML and sections
  included, except that withdrawing it sets the withdrawal columns;
- the only changes of state are draft → published and published → withdrawn, and only
  inside a transaction marked by `publishing()` (the publishing service, `restore_versions`);
- a row that is not a draft is inserted only inside such a transaction, so a backdated copy
  cannot be slipped into the record;
- a published or withdrawn row is never deleted, and on PostgreSQL never truncated except by
  the role that owns the table (migrations and the test suite's flushes).

The publishing service's rules of time (effective dates, notice periods) need its clock, so
they stay in `legal.publishing`; `verify_versions` checks them afterwards. The marker is a
guard against mistakes, not a secret: code that can run SQL as the site can set it too.
What the site's database role cannot do at all (DDL, TRUNCATE, lifting the triggers) is
set by `legal.db_roles`.

`install` replaces the triggers with the definitions below. A `post_migrate` handler runs it
after every `migrate`, because SQLite drops a table's triggers whenever Django rebuilds the
table (AlterField and friends). Migrations freeze their own copy of the SQL.
"""

from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

TABLE = "legal_documentversion"
# The migration that froze the triggers below; before it is applied, its predecessors' stay.
INSTALLED_BY = ("legal", "0008_record_guards")
# PostgreSQL: a transaction-local setting. SQLite has none, so a one-row table whose row is
# written and deleted inside the marked transaction: SQLite has one writer at a time and
# the row is never committed, so no other connection can see or use it.
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


# The builders the record's, the log's and the acceptances' triggers share ------------------


def sqlite_refusals(triggers):
    """SQLite: (re)create each trigger of `triggers`, {name: (its timing and condition, the message it aborts with)}."""
    statements = []
    for name, (when, message) in triggers.items():
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{message}'); END")
    return statements


def refuse_truncate(function, table, message):
    """PostgreSQL: the trigger function that refuses a TRUNCATE of `table` while it holds rows.

    TRUNCATE skips row triggers. The table's owner (who runs migrations and can drop
    triggers anyway) keeps it, which the test suite's flushes need.
    """
    return f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM {table})
               AND NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
                RAISE EXCEPTION '{message}';
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql"""


def execute(connection, sql):
    """Run each statement of `sql` on `connection` (installing or removing a set of triggers)."""
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def triggers_on(connection, *tables):
    """Names of the triggers on `tables` (none on a database without triggers of ours)."""
    marks = ", ".join(["%s"] * len(tables))
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})", tables)
        elif connection.vendor == "postgresql":
            regclasses = ", ".join(["%s::regclass"] * len(tables))
            cursor.execute(
                f"SELECT tgname FROM pg_trigger WHERE tgrelid IN ({regclasses}) AND NOT tgisinternal", tables
            )
        else:
            return set()
        return {row[0] for row in cursor.fetchall()}


def applied(connection, migration):
    """Whether `migration` (app label, name) is applied on `connection`: `post_migrate` handlers
    install a set of triggers only once the migration that made them is."""
    return migration in MigrationRecorder(connection).applied_migrations()


# The legal record's triggers -----------------------------------------------------------


def columns():
    """(frozen, withdrawal) columns of the version table: the model's `frozen_field_names()`
    and `WITHDRAWAL_FIELDS` (the status has triggers of its own)."""
    from .models import WITHDRAWAL_FIELDS, DocumentVersion, frozen_field_names

    fields = DocumentVersion._meta
    withdrawal = [fields.get_field(name).column for name in WITHDRAWAL_FIELDS if name != "status"]
    return [fields.get_field(name).column for name in frozen_field_names()], withdrawal


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
    return [
        f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1))",
        *sqlite_refusals({name: (when, messages[name]) for name, when in triggers.items()}),
    ]


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
    """The SQL that installs the triggers on `vendor`, or [] where there are none."""
    generate = {"sqlite": _sqlite, "postgresql": _postgresql}.get(vendor)
    return generate(*columns()) if generate else []


def install(connection):
    execute(connection, statements(connection.vendor))


def removal_statements(vendor):
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS["sqlite"]]
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {name} ON {TABLE}" for name in TRIGGERS["postgresql"]] + [
            "DROP FUNCTION IF EXISTS legal_protect_version()",
            "DROP FUNCTION IF EXISTS legal_refuse_truncate()",
        ]
    return []


def remove(connection):
    execute(connection, removal_statements(connection.vendor))


def installed(connection):
    """Names of the protective triggers present in the database."""
    return triggers_on(connection, TABLE)


def reinstall_after_migrate(sender, *, using=DEFAULT_DB_ALIAS, **kwargs):
    """`post_migrate` handler: put the triggers back after every migrate.

    A table rebuilt by a migration has lost them on SQLite. A database migrated back to
    before `INSTALLED_BY` keeps what its migrations left; so does one whose table lacks a
    column the triggers name (a later migration removed it and must say what to freeze).
    """
    connection = connections[using]
    if not applied(connection, INSTALLED_BY):
        return
    with connection.cursor() as cursor:
        present = {column.name for column in connection.introspection.get_table_description(cursor, TABLE)}
    frozen, withdrawal = columns()
    if {*frozen, *withdrawal, "status"} <= present:
        install(connection)


# The marker ----------------------------------------------------------------------------


def _marked(cursor, vendor):
    if vendor == "postgresql":
        cursor.execute("SELECT coalesce(current_setting(%s, true), '') = 'on'", [MARKER_SETTING])
    else:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {MARKER_TABLE})")
    return bool(cursor.fetchone()[0])


def _mark(cursor, vendor, on):
    if vendor == "postgresql":
        cursor.execute("SELECT set_config(%s, %s, true)", [MARKER_SETTING, "on" if on else ""])
    elif on:
        cursor.execute(f"INSERT INTO {MARKER_TABLE} (id) VALUES (1)")
    else:
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")


@contextmanager
def publishing(using=DEFAULT_DB_ALIAS):
    """Mark the enclosed writes as the publishing service's, inside a transaction.

    The mark lives in the database transaction (or savepoint) this opens: it is cleared on
    the way out, and a rollback takes it away with everything else, so it never outlives
    the block, even when the block runs inside a caller's transaction.
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor not in TRIGGERS:
            yield
            return
        with connection.cursor() as cursor:
            if _marked(cursor, connection.vendor):  # nested: the outer block clears it
                yield
                return
            _mark(cursor, connection.vendor, True)
        yield
        with connection.cursor() as cursor:
            _mark(cursor, connection.vendor, False)


def marker_left_set(using=DEFAULT_DB_ALIAS):
    """True when a mark is visible outside `publishing()`, which should never happen."""
    connection = connections[using]
    if connection.vendor not in TRIGGERS:
        return False
    with connection.cursor() as cursor:
        return _marked(cursor, connection.vendor)
