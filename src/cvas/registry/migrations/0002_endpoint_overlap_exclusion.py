"""On PostgreSQL, two active prefixes of different delegation families may not overlap: a GiST
exclusion constraint over (network::cidr, family). The prefix comes first so that the index is
organised by address (with the family first, every check scanned most of the index). Deferrable,
so that an import can rearrange prefixes in its transaction and be checked once at its end.
SQLite relies on the services' checks, made inside a write-locked (IMMEDIATE) transaction."""

from django.db import migrations

UP = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """ALTER TABLE registry_endpointregistration ADD CONSTRAINT endpoint_no_overlap
  EXCLUDE USING gist ((network::cidr) inet_ops WITH &&, family WITH <>)
  WHERE (status = 'active' AND kind = 'prefix')
  DEFERRABLE INITIALLY IMMEDIATE""",
]
DOWN = ["ALTER TABLE registry_endpointregistration DROP CONSTRAINT IF EXISTS endpoint_no_overlap"]


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in UP:
            schema_editor.execute(statement)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_subscribers_endpoints_portal_imports")]
    operations = [migrations.RunPython(up, down)]
