"""The site's least-privilege PostgreSQL role, and the owner connection that migrations use.

The running site needs to read and write rows, nothing more. Without ownership of the tables
a role cannot change the schema, lift or drop the triggers (`legal.db_triggers`), TRUNCATE
(not granted), or set `session_replication_role`; the triggers refuse its DELETE of a
published version. `DATABASE_OWNER_URL` names the owner, and `migrate` connects with it.
"""

from django.conf import settings

OWNER_ALIAS = "owner"  # defined in settings when DATABASE_OWNER_URL is set


def migration_alias(default):
    """The database alias `migrate` uses unless told otherwise: the owner's, when configured."""
    return OWNER_ALIAS if OWNER_ALIAS in settings.DATABASES else default


def grant_statements(connection, role):
    """SQL that lets `role` use every table of the current schema, now and after later migrations."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = (quote(name) for name in cursor.fetchone())
    role = quote(role)
    rows, sequences = "SELECT, INSERT, UPDATE, DELETE", "USAGE, SELECT, UPDATE"
    return [
        f"GRANT CONNECT ON DATABASE {database} TO {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM {role}",
        f"GRANT {rows} ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT {sequences} ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        # Tables and sequences the owner creates in later migrations get the same grants.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {rows} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {sequences} ON SEQUENCES TO {role}",
    ]


def role_problems(connection, role):
    """Why `role` cannot serve as the site's least-privilege role, if it cannot."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, pg_has_role(%s, (SELECT relowner FROM pg_class WHERE oid = 'legal_documentversion'::regclass), 'MEMBER') "
            "FROM pg_roles WHERE rolname = %s",
            [role, role],
        )
        row = cursor.fetchone()
    if row is None:
        return f"role {role!r} does not exist; create it first (CREATE ROLE {role} LOGIN PASSWORD '...')"
    if row[0]:
        return f"role {role!r} is a superuser, which bypasses every grant"
    if row[1]:
        return f"role {role!r} owns the tables (or is a member of their owner); the site needs a role of its own"
    return None
