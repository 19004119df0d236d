"""Database triggers that make the audit trail append-only (installed by migration 0002)."""

from __future__ import annotations

from typing import Any

PG_UP = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = 'audit_auditevent is append-only (' || TG_OP || ' refused)';
END;
$$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
]
SQLITE_UP = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only (DELETE refused)'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
]


def _statements(vendor: str, up: bool) -> list[str]:
    if vendor == "postgresql":
        return PG_UP if up else PG_DOWN
    if vendor == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    return []


def install(execute: Any, vendor: str) -> None:
    for statement in _statements(vendor, True):
        execute(statement)


def remove(execute: Any, vendor: str) -> None:
    for statement in _statements(vendor, False):
        execute(statement)
