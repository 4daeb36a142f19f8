"""`manage.py migrate`, connecting as the tables' owner when DATABASE_OWNER_URL is set.

The site's own role may not change the schema or the triggers (see `legal.db_roles`), so
migrations run as the owner without anyone having to remember `--database owner`.
"""

from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS

from legal.db_roles import migration_alias


class Command(migrate.Command):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database=migration_alias(DEFAULT_DB_ALIAS))
