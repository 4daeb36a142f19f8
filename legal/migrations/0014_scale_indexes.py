from django.db import migrations, models


class Migration(migrations.Migration):
    """Covering indexes for long histories: the admin's list order and the API's Last-Modified."""

    dependencies = [("legal", "0013_review")]

    operations = [
        migrations.AddIndex(
            model_name="documentversion",
            index=models.Index(fields=["document", "number", "created_at", "id"], name="version_list_order"),
        ),
        migrations.AddIndex(
            model_name="documentversion",
            index=models.Index(
                fields=["document", "status", "published_at", "withdrawn_at"], name="version_changes"
            ),
        ),
    ]
