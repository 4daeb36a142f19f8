import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Drop the acceptances' single-column indexes on document and version.

    `acceptance_by_account` and `acceptance_export` start with the document, and the unique
    `acceptance_once_per_version` with the version, so these two served no lookup; each only
    made every recorded acceptance write one more index.
    """

    dependencies = [("legal", "0014_scale_indexes")]

    operations = [
        migrations.AlterField(
            model_name="acceptance",
            name="document",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="acceptances",
                to="legal.document",
                verbose_name="document",
            ),
        ),
        migrations.AlterField(
            model_name="acceptance",
            name="version",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="acceptances",
                to="legal.documentversion",
                verbose_name="version",
            ),
        ),
    ]
