"""Database triggers: published and withdrawn versions can be neither changed nor deleted."""

from django.db import migrations


def install(apps, schema_editor):
    from legal import db_triggers

    db_triggers.install(schema_editor.connection)


def remove(apps, schema_editor):
    from legal import db_triggers

    db_triggers.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("legal", "0003_subscriptions")]

    operations = [migrations.RunPython(install, remove)]
