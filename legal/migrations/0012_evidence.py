"""The transparency log (leaves, signed tree heads), RFC 3161 time-stamps and PDFs of record.

The trigger SQL that keeps them append-only is frozen here as `legal.log_triggers` wrote
it when this migration was written; the `post_migrate` handler installs the current one.
On the way back the triggers go with the tables.
"""

import django.db.models.deletion
import legal.clock
from django.db import migrations, models

SQL = {'postgresql': ['CREATE OR REPLACE FUNCTION legal_log_append_only() RETURNS trigger AS $$\n'
                '            BEGIN\n'
                "                IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'the transparency log is append-only and "
                "cannot be deleted'; END IF;\n"
                "                IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION 'the transparency log is append-only and "
                "cannot be changed'; END IF;\n"
                "                IF TG_TABLE_NAME = 'legal_logleaf' AND NEW.leaf_index <> (SELECT count(*) FROM "
                'legal_logleaf) THEN\n'
                "                    RAISE EXCEPTION 'the transparency log is append-only: a leaf goes at the next "
                "index';\n"
                '                END IF;\n'
                '                RETURN NEW;\n'
                '            END $$ LANGUAGE plpgsql',
                'CREATE OR REPLACE FUNCTION legal_timestamp_keep_granted() RETURNS trigger AS $$\n'
                '            BEGIN\n'
                "                IF OLD.status = 'granted' THEN RAISE EXCEPTION 'a granted time-stamp is evidence and "
                "cannot be changed or deleted'; END IF;\n"
                "                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n"
                '                RETURN NEW;\n'
                '            END $$ LANGUAGE plpgsql',
                'CREATE OR REPLACE FUNCTION legal_logleaf_refuse_truncate() RETURNS trigger AS $$\n'
                '        BEGIN\n'
                '            IF EXISTS (SELECT 1 FROM legal_logleaf)\n'
                '               AND NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = '
                "TG_RELID), 'MEMBER') THEN\n"
                "                RAISE EXCEPTION 'the transparency log is append-only and cannot be truncated';\n"
                '            END IF;\n'
                '            RETURN NULL;\n'
                '        END $$ LANGUAGE plpgsql',
                'CREATE OR REPLACE FUNCTION legal_treehead_refuse_truncate() RETURNS trigger AS $$\n'
                '        BEGIN\n'
                '            IF EXISTS (SELECT 1 FROM legal_treehead)\n'
                '               AND NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = '
                "TG_RELID), 'MEMBER') THEN\n"
                "                RAISE EXCEPTION 'the transparency log is append-only and cannot be truncated';\n"
                '            END IF;\n'
                '            RETURN NULL;\n'
                '        END $$ LANGUAGE plpgsql',
                'CREATE OR REPLACE FUNCTION legal_timestamp_refuse_truncate() RETURNS trigger AS $$\n'
                '        BEGIN\n'
                '            IF EXISTS (SELECT 1 FROM legal_timestamp)\n'
                '               AND NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = '
                "TG_RELID), 'MEMBER') THEN\n"
                "                RAISE EXCEPTION 'the transparency log is append-only and cannot be truncated';\n"
                '            END IF;\n'
                '            RETURN NULL;\n'
                '        END $$ LANGUAGE plpgsql',
                'CREATE OR REPLACE FUNCTION legal_recordpdf_refuse_truncate() RETURNS trigger AS $$\n'
                '        BEGIN\n'
                '            IF EXISTS (SELECT 1 FROM legal_recordpdf)\n'
                '               AND NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = '
                "TG_RELID), 'MEMBER') THEN\n"
                "                RAISE EXCEPTION 'the transparency log is append-only and cannot be truncated';\n"
                '            END IF;\n'
                '            RETURN NULL;\n'
                '        END $$ LANGUAGE plpgsql',
                'DROP TRIGGER IF EXISTS legal_logleaf_append_only ON legal_logleaf',
                'CREATE TRIGGER legal_logleaf_append_only BEFORE INSERT OR UPDATE OR DELETE ON legal_logleaf\n'
                '            FOR EACH ROW EXECUTE FUNCTION legal_log_append_only()',
                'DROP TRIGGER IF EXISTS legal_treehead_append_only ON legal_treehead',
                'CREATE TRIGGER legal_treehead_append_only BEFORE UPDATE OR DELETE ON legal_treehead\n'
                '            FOR EACH ROW EXECUTE FUNCTION legal_log_append_only()',
                'DROP TRIGGER IF EXISTS legal_timestamp_granted_kept ON legal_timestamp',
                'CREATE TRIGGER legal_timestamp_granted_kept BEFORE UPDATE OR DELETE ON legal_timestamp\n'
                '            FOR EACH ROW EXECUTE FUNCTION legal_timestamp_keep_granted()',
                'DROP TRIGGER IF EXISTS legal_recordpdf_append_only ON legal_recordpdf',
                'CREATE TRIGGER legal_recordpdf_append_only BEFORE UPDATE OR DELETE ON legal_recordpdf\n'
                '            FOR EACH ROW EXECUTE FUNCTION legal_log_append_only()',
                'DROP TRIGGER IF EXISTS legal_recordpdf_no_truncate ON legal_recordpdf',
                'CREATE TRIGGER legal_recordpdf_no_truncate BEFORE TRUNCATE ON legal_recordpdf\n'
                '            FOR EACH STATEMENT EXECUTE FUNCTION legal_recordpdf_refuse_truncate()',
                'DROP TRIGGER IF EXISTS legal_logleaf_no_truncate ON legal_logleaf',
                'CREATE TRIGGER legal_logleaf_no_truncate BEFORE TRUNCATE ON legal_logleaf\n'
                '            FOR EACH STATEMENT EXECUTE FUNCTION legal_logleaf_refuse_truncate()',
                'DROP TRIGGER IF EXISTS legal_treehead_no_truncate ON legal_treehead',
                'CREATE TRIGGER legal_treehead_no_truncate BEFORE TRUNCATE ON legal_treehead\n'
                '            FOR EACH STATEMENT EXECUTE FUNCTION legal_treehead_refuse_truncate()',
                'DROP TRIGGER IF EXISTS legal_timestamp_no_truncate ON legal_timestamp',
                'CREATE TRIGGER legal_timestamp_no_truncate BEFORE TRUNCATE ON legal_timestamp\n'
                '            FOR EACH STATEMENT EXECUTE FUNCTION legal_timestamp_refuse_truncate()'],
 'sqlite': ['DROP TRIGGER IF EXISTS legal_logleaf_next_index',
            'CREATE TRIGGER legal_logleaf_next_index BEFORE INSERT ON legal_logleaf FOR EACH ROW WHEN NEW.leaf_index '
            "<> (SELECT count(*) FROM legal_logleaf) BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only: a "
            "leaf goes at the next index'); END",
            'DROP TRIGGER IF EXISTS legal_logleaf_unchanged',
            'CREATE TRIGGER legal_logleaf_unchanged BEFORE UPDATE ON legal_logleaf FOR EACH ROW BEGIN SELECT '
            "RAISE(ABORT, 'the transparency log is append-only and cannot be changed'); END",
            'DROP TRIGGER IF EXISTS legal_logleaf_undeletable',
            'CREATE TRIGGER legal_logleaf_undeletable BEFORE DELETE ON legal_logleaf FOR EACH ROW BEGIN SELECT '
            "RAISE(ABORT, 'the transparency log is append-only and cannot be deleted'); END",
            'DROP TRIGGER IF EXISTS legal_treehead_unchanged',
            'CREATE TRIGGER legal_treehead_unchanged BEFORE UPDATE ON legal_treehead FOR EACH ROW BEGIN SELECT '
            "RAISE(ABORT, 'the transparency log is append-only and cannot be changed'); END",
            'DROP TRIGGER IF EXISTS legal_treehead_undeletable',
            'CREATE TRIGGER legal_treehead_undeletable BEFORE DELETE ON legal_treehead FOR EACH ROW BEGIN SELECT '
            "RAISE(ABORT, 'the transparency log is append-only and cannot be deleted'); END",
            'DROP TRIGGER IF EXISTS legal_recordpdf_unchanged',
            'CREATE TRIGGER legal_recordpdf_unchanged BEFORE UPDATE ON legal_recordpdf FOR EACH ROW BEGIN SELECT '
            "RAISE(ABORT, 'the transparency log is append-only and cannot be changed'); END",
            'DROP TRIGGER IF EXISTS legal_recordpdf_undeletable',
            'CREATE TRIGGER legal_recordpdf_undeletable BEFORE DELETE ON legal_recordpdf FOR EACH ROW BEGIN SELECT '
            "RAISE(ABORT, 'the transparency log is append-only and cannot be deleted'); END",
            'DROP TRIGGER IF EXISTS legal_timestamp_granted_unchanged',
            'CREATE TRIGGER legal_timestamp_granted_unchanged BEFORE UPDATE ON legal_timestamp FOR EACH ROW WHEN '
            "OLD.status = 'granted' BEGIN SELECT RAISE(ABORT, 'a granted time-stamp is evidence and cannot be changed "
            "or deleted'); END",
            'DROP TRIGGER IF EXISTS legal_timestamp_granted_undeletable',
            'CREATE TRIGGER legal_timestamp_granted_undeletable BEFORE DELETE ON legal_timestamp FOR EACH ROW WHEN '
            "OLD.status = 'granted' BEGIN SELECT RAISE(ABORT, 'a granted time-stamp is evidence and cannot be changed "
            "or deleted'); END"]}
REMOVE = {'postgresql': ['DROP TRIGGER IF EXISTS legal_logleaf_append_only ON legal_logleaf',
                'DROP TRIGGER IF EXISTS legal_logleaf_no_truncate ON legal_logleaf',
                'DROP TRIGGER IF EXISTS legal_treehead_append_only ON legal_treehead',
                'DROP TRIGGER IF EXISTS legal_treehead_no_truncate ON legal_treehead',
                'DROP TRIGGER IF EXISTS legal_timestamp_granted_kept ON legal_timestamp',
                'DROP TRIGGER IF EXISTS legal_timestamp_no_truncate ON legal_timestamp',
                'DROP TRIGGER IF EXISTS legal_recordpdf_append_only ON legal_recordpdf',
                'DROP TRIGGER IF EXISTS legal_recordpdf_no_truncate ON legal_recordpdf',
                'DROP FUNCTION IF EXISTS legal_log_append_only()',
                'DROP FUNCTION IF EXISTS legal_timestamp_keep_granted()',
                'DROP FUNCTION IF EXISTS legal_logleaf_refuse_truncate()',
                'DROP FUNCTION IF EXISTS legal_treehead_refuse_truncate()',
                'DROP FUNCTION IF EXISTS legal_timestamp_refuse_truncate()',
                'DROP FUNCTION IF EXISTS legal_recordpdf_refuse_truncate()'],
 'sqlite': ['DROP TRIGGER IF EXISTS legal_logleaf_next_index',
            'DROP TRIGGER IF EXISTS legal_logleaf_unchanged',
            'DROP TRIGGER IF EXISTS legal_logleaf_undeletable',
            'DROP TRIGGER IF EXISTS legal_treehead_unchanged',
            'DROP TRIGGER IF EXISTS legal_treehead_undeletable',
            'DROP TRIGGER IF EXISTS legal_timestamp_granted_unchanged',
            'DROP TRIGGER IF EXISTS legal_timestamp_granted_undeletable',
            'DROP TRIGGER IF EXISTS legal_recordpdf_unchanged',
            'DROP TRIGGER IF EXISTS legal_recordpdf_undeletable']}


def install(apps, schema_editor):
    for statement in SQL.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def remove(apps, schema_editor):
    for statement in REMOVE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('legal', '0011_webhooks'),
    ]

    operations = [
        migrations.CreateModel(
            name='TreeHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tree_size', models.PositiveBigIntegerField(unique=True, verbose_name='tree size')),
                ('root_hash', models.CharField(max_length=64, verbose_name='root hash')),
                ('timestamp', models.BigIntegerField(verbose_name='time (milliseconds since 1970)')),
                ('key_id', models.CharField(max_length=64, verbose_name='key id')),
                ('signature', models.CharField(max_length=200, verbose_name='signature (base64)')),
                ('created_at', models.DateTimeField(default=legal.clock.now, verbose_name='created at')),
            ],
            options={
                'verbose_name': 'signed tree head',
                'verbose_name_plural': 'signed tree heads',
                'ordering': ['tree_size'],
            },
        ),
        migrations.CreateModel(
            name='LogLeaf',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('leaf_index', models.PositiveBigIntegerField(unique=True, verbose_name='index')),
                ('language', models.CharField(max_length=8, verbose_name='language')),
                ('event', models.CharField(choices=[('published', 'Published'), ('withdrawn', 'Withdrawn')], max_length=16, verbose_name='event')),
                ('entry', models.TextField(verbose_name='entry')),
                ('leaf_hash', models.CharField(max_length=64, verbose_name='leaf hash')),
                ('appended_at', models.DateTimeField(default=legal.clock.now, verbose_name='appended at')),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='log_leaves', to='legal.documentversion', verbose_name='version')),
            ],
            options={
                'verbose_name': 'log entry',
                'verbose_name_plural': 'log entries',
                'ordering': ['leaf_index'],
                'constraints': [models.UniqueConstraint(fields=('version', 'language', 'event'), name='one_log_leaf_per_event')],
            },
        ),
        migrations.CreateModel(
            name='RecordPdf',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(max_length=8, verbose_name='language')),
                ('pdf', models.BinaryField(verbose_name='PDF')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256 of the PDF')),
                ('created_at', models.DateTimeField(default=legal.clock.now, verbose_name='created at')),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='record_pdfs', to='legal.documentversion', verbose_name='version')),
            ],
            options={
                'verbose_name': 'PDF of record',
                'verbose_name_plural': 'PDFs of record',
                'ordering': ['version', 'language'],
                'constraints': [models.UniqueConstraint(fields=('version', 'language'), name='one_record_pdf_per_language')],
            },
        ),
        migrations.CreateModel(
            name='Timestamp',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject', models.CharField(choices=[('text', 'Text of a version'), ('tree_head', 'Signed tree head')], max_length=16, verbose_name='subject')),
                ('language', models.CharField(blank=True, max_length=8, verbose_name='language')),
                ('digest', models.CharField(max_length=64, verbose_name='SHA-256 stamped')),
                ('tsa_url', models.CharField(max_length=500, verbose_name='time-stamping authority')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('granted', 'Granted'), ('failed', 'Failed')], default='pending', max_length=16, verbose_name='status')),
                ('response', models.BinaryField(blank=True, null=True, verbose_name='time-stamp response (DER)')),
                ('gen_time', models.DateTimeField(blank=True, null=True, verbose_name='time stamped')),
                ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                ('next_attempt_at', models.DateTimeField(default=legal.clock.now, verbose_name='next attempt at')),
                ('leased_until', models.DateTimeField(blank=True, null=True, verbose_name='leased until')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
                ('created_at', models.DateTimeField(default=legal.clock.now, verbose_name='created at')),
                ('version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='timestamps', to='legal.documentversion', verbose_name='version')),
                ('tree_head', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='timestamps', to='legal.treehead', verbose_name='tree head')),
            ],
            options={
                'verbose_name': 'time-stamp',
                'verbose_name_plural': 'time-stamps',
                'ordering': ['created_at', 'pk'],
                'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='timestamp_due')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('subject', 'text')), fields=('version', 'language', 'tsa_url'), name='one_text_timestamp'), models.UniqueConstraint(condition=models.Q(('subject', 'tree_head')), fields=('tree_head', 'tsa_url'), name='one_tree_head_timestamp')],
            },
        ),
        migrations.RunPython(install, remove),
    ]
