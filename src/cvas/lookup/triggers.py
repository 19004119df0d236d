"""Database triggers that log every change to an IP-prefix registration (migration 0002).

PostgreSQL: statement-level triggers with transition tables, so that a set-based import of a
million rows writes its log in one INSERT … SELECT; each row records the writing transaction's id
(`pg_current_xact_id()`), which the feed uses to hand out nothing a still-running transaction
could come before. SQLite: row-level triggers (writers are serialised, so the sequence is commit
order). Only changes to what a lookup answers are logged (not, say, `last_import_id`).
"""

# SQL here is built from this module's constants only; every value goes as a parameter.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

TABLE = "registry_endpointregistration"
LOG = "lookup_registrationchange"
# Columns whose change alters an answer (lookup, RDAP, export or feed).
WATCHED = [
    "kind",
    "status",
    "network",
    "ip_version",
    "prefix_len",
    "range_start",
    "holder_type",
    "holder_name",
    "holder_organisation_id",
    "licence_id",
    "registrant_id",
    "delegated_from_id",
    "status_changed_at",
]

_PG_CHANGED = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in WATCHED)
PG_UP = [
    f"""CREATE OR REPLACE FUNCTION lookup_log_inserts() RETURNS trigger AS $$
BEGIN
  INSERT INTO {LOG} (xid, registration_id, op, at)
  SELECT pg_current_xact_id()::text::bigint, n.id, 'I', now()
  FROM lookup_new n WHERE n.kind = 'prefix' ORDER BY n.id;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION lookup_log_updates() RETURNS trigger AS $$
BEGIN
  INSERT INTO {LOG} (xid, registration_id, op, at)
  SELECT pg_current_xact_id()::text::bigint, n.id, 'U', now()
  FROM lookup_new n JOIN lookup_old o ON o.id = n.id
  WHERE (n.kind = 'prefix' OR o.kind = 'prefix') AND ({_PG_CHANGED})
  ORDER BY n.id;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
    f"""CREATE TRIGGER lookup_log_inserts AFTER INSERT ON {TABLE}
  REFERENCING NEW TABLE AS lookup_new
  FOR EACH STATEMENT EXECUTE FUNCTION lookup_log_inserts()""",
    f"""CREATE TRIGGER lookup_log_updates AFTER UPDATE ON {TABLE}
  REFERENCING OLD TABLE AS lookup_old NEW TABLE AS lookup_new
  FOR EACH STATEMENT EXECUTE FUNCTION lookup_log_updates()""",
]
PG_DOWN = [
    f"DROP TRIGGER IF EXISTS lookup_log_inserts ON {TABLE}",
    f"DROP TRIGGER IF EXISTS lookup_log_updates ON {TABLE}",
    "DROP FUNCTION IF EXISTS lookup_log_inserts()",
    "DROP FUNCTION IF EXISTS lookup_log_updates()",
]

_SQLITE_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in WATCHED)
_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
SQLITE_UP = [
    f"""CREATE TRIGGER IF NOT EXISTS lookup_log_inserts AFTER INSERT ON {TABLE}
  FOR EACH ROW WHEN NEW.kind = 'prefix'
  BEGIN INSERT INTO {LOG} (xid, registration_id, op, at) VALUES (0, NEW.id, 'I', {_SQLITE_NOW}); END""",
    f"""CREATE TRIGGER IF NOT EXISTS lookup_log_updates AFTER UPDATE ON {TABLE}
  FOR EACH ROW WHEN (NEW.kind = 'prefix' OR OLD.kind = 'prefix') AND ({_SQLITE_CHANGED})
  BEGIN INSERT INTO {LOG} (xid, registration_id, op, at) VALUES (0, NEW.id, 'U', {_SQLITE_NOW}); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS lookup_log_inserts",
    "DROP TRIGGER IF EXISTS lookup_log_updates",
]


def _statements(vendor: str, up: bool) -> list[str]:
    if vendor == "postgresql":
        return PG_UP if up else PG_DOWN
    if vendor == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    return []


def install(connection: Any) -> None:
    # Through the raw cursor: the SQLite trigger's strftime format must reach SQLite as written.
    with connection.cursor() as cur:
        for statement in _statements(connection.vendor, True):
            cur.execute(statement)


def remove(connection: Any) -> None:
    with connection.cursor() as cur:
        for statement in _statements(connection.vendor, False):
            cur.execute(statement)
