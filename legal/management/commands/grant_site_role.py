"""`manage.py grant_site_role ROLE`: give the site's PostgreSQL role what it needs and no more."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from legal.db_roles import grant_statements, migration_alias, role_problems


class Command(BaseCommand):
    help = (
        "Grant ROLE SELECT, INSERT, UPDATE and DELETE on every table (not TRUNCATE, no DDL), also for "
        "tables later migrations create. Run as the owner of the tables (DATABASE_OWNER_URL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("role")
        parser.add_argument("--database", default=migration_alias(DEFAULT_DB_ALIAS))

    def handle(self, *args, role, database, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError(f"database roles need PostgreSQL; {database!r} is {connection.vendor}")
        problem = role_problems(connection, role)
        if problem:
            raise CommandError(problem)
        with transaction.atomic(using=database), connection.cursor() as cursor:
            for statement in grant_statements(connection, role):
                cursor.execute(statement)
        self.stdout.write(f"Granted {role} the rows of every table; no DDL, no TRUNCATE.")
