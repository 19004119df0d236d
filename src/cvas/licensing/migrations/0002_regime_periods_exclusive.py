"""On PostgreSQL, no two regimes may be in force on the same day (an exclusion constraint).
SQLite relies on the service's check, made inside a write-locked transaction."""

from django.db import migrations

UP = """
ALTER TABLE licensing_regime ADD CONSTRAINT regime_periods_do_not_overlap
  EXCLUDE USING gist (daterange(effective_from, effective_to, '[]') WITH &&);
"""
DOWN = "ALTER TABLE licensing_regime DROP CONSTRAINT IF EXISTS regime_periods_do_not_overlap;"


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UP)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DOWN)


class Migration(migrations.Migration):
    dependencies = [("licensing", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
