"""Create the two legal staff groups: editors write drafts, publishers also publish."""

from django.db import migrations

EDITOR_CODENAMES = [
    "add_document", "change_document", "view_document",
    "add_documentversion", "change_documentversion", "view_documentversion",
]  # fmt: skip
PUBLISHER_CODENAMES = EDITOR_CODENAMES + ["publish_documentversion"]
GROUPS = {"Legal editors": EDITOR_CODENAMES, "Legal publishers": PUBLISHER_CODENAMES}


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(content_type__app_label="legal", codename__in=codenames)
        assert permissions.count() == len(codenames), "legal permissions are missing"
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("legal", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
