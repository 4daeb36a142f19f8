"""The section ledger of translations; every version already published starts in step.

Each published (or withdrawn) version gets, for every translation and every section of its
authoritative text, a confirmation at its publication by whoever published it. A draft
made from a version inherits that version's rows, as new drafts do from now on. Sections
are read with `legal.section_ledger.read_section_texts`, a pure function of the stored
title and HTML.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from legal.section_ledger import read_section_texts

FIELDS = ("authoritative_sha256", "authoritative_text", "method", "reason", "confirmed_at", "confirmed_by_id")


def start_in_step(apps, schema_editor):
    Version = apps.get_model("legal", "DocumentVersion")
    Confirmation = apps.get_model("legal", "SectionConfirmation")
    languages = [code for code, _name in settings.LANGUAGES]
    rows = {}
    for version in Version.objects.exclude(status="draft").select_related("document").iterator(chunk_size=100):
        authoritative = version.document.authoritative_language
        sections = read_section_texts(
            getattr(version, f"title_{authoritative}"), getattr(version, f"body_html_{authoritative}")
        )
        rows[version.pk] = [
            Confirmation(
                version_id=version.pk, language=code, anchor=section.anchor,
                authoritative_sha256=section.sha256, authoritative_text=section.text, method="initial",
                reason="", confirmed_at=version.published_at, confirmed_by_id=version.published_by_id,
            )
            for code in languages if code != authoritative
            for section in sections
        ]  # fmt: skip
    for draft in Version.objects.filter(status="draft", based_on__in=list(rows)).iterator(chunk_size=100):
        rows[draft.pk] = [
            Confirmation(version_id=draft.pk, language=row.language, anchor=row.anchor,
                         **{field: getattr(row, field) for field in FIELDS})
            for row in rows[draft.based_on_id]
        ]  # fmt: skip
    Confirmation.objects.bulk_create([row for version_rows in rows.values() for row in version_rows], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('legal', '0009_acceptance_records'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SectionConfirmation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(choices=[('vi', 'Vietnamese'), ('en', 'English')], max_length=8, verbose_name='language')),
                ('anchor', models.CharField(blank=True, max_length=100, verbose_name='section anchor')),
                ('authoritative_sha256', models.CharField(max_length=64, verbose_name='SHA-256 of the authoritative section')),
                ('authoritative_text', models.TextField(verbose_name='authoritative section as confirmed')),
                ('method', models.CharField(choices=[('confirmed', 'Confirmed against the authoritative text'), ('not_affected', 'The authoritative change does not affect the translation'), ('command', 'Confirmed by import_version'), ('initial', 'In step when it was published, before the ledger began')], max_length=16, verbose_name='how')),
                ('reason', models.TextField(blank=True, verbose_name='reason')),
                ('confirmed_at', models.DateTimeField(verbose_name='confirmed at')),
                ('confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='confirmed by')),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='section_confirmations', to='legal.documentversion', verbose_name='version')),
            ],
            options={
                'verbose_name': 'section confirmation',
                'verbose_name_plural': 'section confirmations',
                'constraints': [models.UniqueConstraint(fields=('version', 'language', 'anchor'), name='one_confirmation_per_section')],
            },
        ),
        migrations.RunPython(start_in_step, migrations.RunPython.noop),
    ]
