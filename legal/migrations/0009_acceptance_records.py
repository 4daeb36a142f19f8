"""Product credentials and acceptance records; the database keeps acceptances append-only.

The trigger SQL is frozen here as `legal.acceptance_triggers` wrote it when this migration
was written; the `post_migrate` handler installs the current one. On the way back the
triggers go with the table.
"""

import django.db.models.deletion
import legal.clock
from django.conf import settings
from django.db import migrations, models

TABLE = "legal_acceptance"
CHANGE_MESSAGE = "acceptance records are append-only and cannot be changed"
DELETE_MESSAGE = "acceptance records are append-only and cannot be deleted"
TRUNCATE_MESSAGE = "acceptance records are append-only and cannot be truncated"
SQL = {
    "sqlite": [
        f"""CREATE TRIGGER legal_acceptance_unchanged BEFORE UPDATE ON {TABLE} FOR EACH ROW
            BEGIN SELECT RAISE(ABORT, '{CHANGE_MESSAGE}'); END""",
        f"""CREATE TRIGGER legal_acceptance_undeletable BEFORE DELETE ON {TABLE} FOR EACH ROW
            BEGIN SELECT RAISE(ABORT, '{DELETE_MESSAGE}'); END""",
    ],
    "postgresql": [
        f"""CREATE OR REPLACE FUNCTION legal_acceptance_refuse_change() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN RAISE EXCEPTION '{DELETE_MESSAGE}'; END IF;
                RAISE EXCEPTION '{CHANGE_MESSAGE}';
            END $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION legal_acceptance_refuse_truncate() RETURNS trigger AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM {TABLE})
                       AND NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
                    RAISE EXCEPTION '{TRUNCATE_MESSAGE}';
                END IF;
                RETURN NULL;
            END $$ LANGUAGE plpgsql""",
        f"""CREATE TRIGGER legal_acceptance_append_only BEFORE UPDATE OR DELETE ON {TABLE}
            FOR EACH ROW EXECUTE FUNCTION legal_acceptance_refuse_change()""",
        f"""CREATE TRIGGER legal_acceptance_no_truncate BEFORE TRUNCATE ON {TABLE}
            FOR EACH STATEMENT EXECUTE FUNCTION legal_acceptance_refuse_truncate()""",
    ],
}
REMOVE = {
    "sqlite": ["DROP TRIGGER IF EXISTS legal_acceptance_unchanged", "DROP TRIGGER IF EXISTS legal_acceptance_undeletable"],
    "postgresql": [
        f"DROP TRIGGER IF EXISTS legal_acceptance_append_only ON {TABLE}",
        f"DROP TRIGGER IF EXISTS legal_acceptance_no_truncate ON {TABLE}",
        "DROP FUNCTION IF EXISTS legal_acceptance_refuse_change()",
        "DROP FUNCTION IF EXISTS legal_acceptance_refuse_truncate()",
    ],
}


def install(apps, schema_editor):
    for statement in SQL.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def remove(apps, schema_editor):
    for statement in REMOVE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('legal', '0008_record_guards'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ProductCredential',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='The product that uses it, e.g. Media VOD.', max_length=100, unique=True, verbose_name='product')),
                ('scopes', models.JSONField(default=list, verbose_name='scopes')),
                ('token_sha256', models.CharField(editable=False, max_length=64, unique=True, verbose_name='SHA-256 of the secret')),
                ('created_at', models.DateTimeField(default=legal.clock.now, editable=False, verbose_name='created at')),
                ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last used at')),
                ('revoked_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='revoked at')),
                ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
            ],
            options={
                'verbose_name': 'product credential',
                'verbose_name_plural': 'product credentials',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='Acceptance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version_number', models.PositiveIntegerField(verbose_name='version number')),
                ('account', models.CharField(max_length=128, verbose_name='account')),
                ('language', models.CharField(choices=[('vi', 'Vietnamese'), ('en', 'English')], max_length=8, verbose_name='language')),
                ('text_sha256', models.CharField(max_length=64, verbose_name='SHA-256 of the text accepted')),
                ('method', models.CharField(choices=[('clickwrap', 'Clicked to accept'), ('browsewrap', 'Shown while browsing'), ('continued-use', 'Continued use after notice')], max_length=16, verbose_name='how it was accepted')),
                ('accepted_at', models.DateTimeField(verbose_name='accepted at')),
                ('recorded_at', models.DateTimeField(default=legal.clock.now, verbose_name='recorded at')),
                ('product', models.CharField(max_length=100, verbose_name='product')),
                ('metadata', models.JSONField(blank=True, default=dict, verbose_name='metadata')),
                ('document', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='acceptances', to='legal.document', verbose_name='document')),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='acceptances', to='legal.documentversion', verbose_name='version')),
                ('credential', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='acceptances', to='legal.productcredential', verbose_name='recorded by')),
            ],
            options={
                'verbose_name': 'acceptance',
                'verbose_name_plural': 'acceptances',
                'ordering': ['-recorded_at', '-id'],
                'indexes': [models.Index(fields=['document', 'account', 'version_number'], name='acceptance_by_account'), models.Index(fields=['document', 'recorded_at', 'id'], name='acceptance_export')],
                'constraints': [models.UniqueConstraint(fields=('version', 'account'), name='acceptance_once_per_version'), models.CheckConstraint(condition=models.Q(('account', ''), _negated=True), name='acceptance_has_account')],
            },
        ),
        migrations.RunPython(install, remove),
    ]
