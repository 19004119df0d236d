"""On PostgreSQL, no two returns of one licence may cover the same day (an exclusion constraint; a
range of the licence id stands in for equality, so no extension is needed). On both databases a
trigger refuses any UPDATE of a return version: an amendment is a new version. The cost model's
parameters are stored with their defaults and sources."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

PG_UP = [
    """ALTER TABLE compliance_return ADD CONSTRAINT return_periods_do_not_overlap
  EXCLUDE USING gist (int8range(licence_id, licence_id, '[]') WITH &&,
                      daterange(period_start, period_end, '[]') WITH &&)""",
    """CREATE OR REPLACE FUNCTION compliance_version_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = 'compliance_returnversion rows are never changed: file an amendment';
END;
$$ LANGUAGE plpgsql""",
    """CREATE TRIGGER compliance_version_no_update BEFORE UPDATE ON compliance_returnversion
  FOR EACH ROW EXECUTE FUNCTION compliance_version_immutable()""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS compliance_version_no_update ON compliance_returnversion",
    "DROP FUNCTION IF EXISTS compliance_version_immutable()",
    "ALTER TABLE compliance_return DROP CONSTRAINT IF EXISTS return_periods_do_not_overlap",
]
SQLITE_UP = [
    """CREATE TRIGGER IF NOT EXISTS compliance_version_no_update BEFORE UPDATE ON compliance_returnversion
       BEGIN SELECT RAISE(ABORT, 'compliance_returnversion rows are never changed: file an amendment'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS compliance_version_no_update"]

SEED = (
    "News report, 24 Feb 2025: PTA launches a licensing framework for VPN services "
    "(quoting PTA data: 'approximately $10,000 per minute for every 1Tbps increase in data usage'; "
    "'international bandwidth consumption is charged at $1 per MB in foreign exchange')"
)
DEFAULTS = [
    ("price_per_mb_usd", Decimal("1"), "USD per MB", SEED, False, dt.date(2025, 2, 24)),
    (
        "price_per_tbps_minute_usd",
        Decimal("10000"),
        "USD per Tbps-minute",
        SEED,
        False,
        dt.date(2025, 2, 24),
    ),
    (
        "usd_to_pkr",
        Decimal("281"),
        "PKR per USD",
        "Assumption: an approximate interbank rate around 13 Nov 2025, not from the seeds; "
        "set the State Bank of Pakistan's published rate and its date.",
        True,
        dt.date(2025, 11, 13),
    ),
]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in PG_UP if vendor == "postgresql" else SQLITE_UP if vendor == "sqlite" else []:
        schema_editor.execute(statement)
    CostParameter = apps.get_model("compliance", "CostParameter")
    for key, value, unit, source, assumption, as_of in DEFAULTS:
        CostParameter.objects.get_or_create(
            key=key,
            defaults={
                "value": value,
                "unit": unit,
                "source": source,
                "is_assumption": assumption,
                "as_of": as_of,
                "updated_by_label": "migration",
            },
        )


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in (
        PG_DOWN if vendor == "postgresql" else SQLITE_DOWN if vendor == "sqlite" else []
    ):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_returns_reminders_violations_costs")]
    operations = [migrations.RunPython(up, down)]
