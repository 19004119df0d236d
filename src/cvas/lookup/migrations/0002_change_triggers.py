"""Log every change to an IP-prefix registration from inside the database (see cvas.lookup.triggers):
set-based imports and COPY are caught as surely as the services' own writes."""

from django.db import migrations

from cvas.lookup import triggers


def up(apps, schema_editor):
    triggers.install(schema_editor.connection)


def down(apps, schema_editor):
    triggers.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("lookup", "0001_change_log_exports"),
        ("registry", "0002_endpoint_overlap_exclusion"),
    ]
    operations = [migrations.RunPython(up, down)]
