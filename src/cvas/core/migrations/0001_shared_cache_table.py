"""The database cache's table (rate-limit counters and sign-in lockouts shared by every worker), so
that `cvas migrate` is all a deployment needs. Made whichever cache is configured, so that moving
between Redis and the database needs no extra step."""

from django.db import migrations

TABLE = "cvas_cache"


def create(apps, schema_editor):
    from django.core.management.commands.createcachetable import Command

    command = Command()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = []
    operations = [migrations.RunPython(create, drop, elidable=False)]
