"""Make the audit trail append-only in the database itself: UPDATE and DELETE on events are refused.

The hash chain detects tampering by anyone who gets past this (a superuser can drop a trigger);
the trigger stops the application, or a careless operator, from editing history in the first place.
"""

from django.db import migrations

from cvas.audit import triggers


def up(apps, schema_editor):
    triggers.install(schema_editor.execute, schema_editor.connection.vendor)


def down(apps, schema_editor):
    triggers.remove(schema_editor.execute, schema_editor.connection.vendor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
