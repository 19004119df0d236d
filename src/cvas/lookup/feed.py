"""The change feed: every prefix registration created, changed or ended since a cursor, in an order
that never hands out a change before one that could still appear ahead of it.

A cursor is a position `XID-SEQ` in the change log, ordered by (xid, seq). On SQLite every xid is
0 and writers are serialised, so the order is the sequence, which is commit order. On PostgreSQL
a transaction can commit after a later-numbered one, so the feed only hands out changes written by
transactions older than the oldest one still running (`xid < pg_snapshot_xmin(...)`): no change
can ever be written below such a position, so a change whose transaction commits late is never
skipped; it waits, with everything after it, until its transaction has finished.

Each item carries the registration's state *now* (not a copy from the time of the change), so a
copy kept by applying items in order ends equal to the registry whichever of two concurrent
changes to one registration is handed out first. A cursor older than the pruned part of the log
has expired (410): start again from the full export, which names the cursor it is current to.
"""

# SQL here is built from this module's constants only; every value goes as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import connection

from cvas.core.errors import DomainError, InvalidInput
from cvas.lookup.loader import LOG, TABLE, record_from_row
from cvas.lookup.models import FeedFloor
from cvas.lookup.runtime import _licences

CURSOR = re.compile(r"^(\d{1,19})-(\d{1,19})$")
PAGE_LIMIT = 1000


class CursorExpired(DomainError):
    status = 410
    code = "cursor_expired"


@dataclass(frozen=True, order=True)
class Position:
    xid: int
    seq: int

    def __str__(self) -> str:
        return f"{self.xid}-{self.seq}"

    @classmethod
    def parse(cls, text: str, field: str = "since") -> Position:
        m = CURSOR.match((text or "").strip())
        if m is None:
            raise InvalidInput(
                f"{field}: a cursor looks like 1234-5678 (from an export or a previous page)",
                details=[{"field": field, "reason": "not a cursor"}],
            )
        return cls(int(m.group(1)), int(m.group(2)))


START = Position(0, 0)


def _settled(column: str) -> str:
    """SQL: the change was written by a transaction older than every one still running (or by
    the reader's own transaction, which sees its own changes; a request reading the feed has
    none)."""
    return (
        f"({column} < pg_snapshot_xmin(pg_current_snapshot())::text::bigint "
        f"OR {column} = pg_current_xact_id_if_assigned()::text::bigint)"
    )


def head() -> Position:
    """The position of the last change the feed can hand out now: an export whose data is read
    after this is current to it."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                f"SELECT xid, seq FROM {LOG} WHERE {_settled('xid')} ORDER BY xid DESC, seq DESC LIMIT 1"
            )
        else:
            cur.execute(f"SELECT xid, seq FROM {LOG} ORDER BY xid DESC, seq DESC LIMIT 1")
        row = cur.fetchone()
    if row is not None:
        return Position(int(row[0]), int(row[1]))
    return floor()


def floor() -> Position:
    f = FeedFloor.objects.order_by("-xid", "-seq").first()
    return Position(f.xid, f.seq) if f else START


def _latest_json_export() -> dict[str, Any] | None:
    from cvas.lookup.models import ExportFile

    e = ExportFile.objects.filter(format="json").order_by("-generated_at", "-pk").first()
    if e is None:
        return None
    return {
        "url": "/api/v1/exports/json",
        "cursor": e.cursor,
        "generated_at": e.generated_at.isoformat(),
    }


def page(since: Position, *, limit: int = PAGE_LIMIT) -> dict[str, Any]:
    """Changes after `since`, at most `limit`, with the cursor to ask from next."""
    low = floor()
    if since < low:
        export = _latest_json_export()
        raise CursorExpired(
            f"Cursor {since} has expired: the change log before {low} has been pruned. Load the "
            "full export (GET /api/v1/exports/json, or csv) and follow the feed from its cursor.",
            details=[
                {
                    "field": "since",
                    "reason": "expired",
                    "full_export": export["url"] if export else "/api/v1/exports/json",
                    "export_cursor": export["cursor"] if export else None,
                }
            ],
        )
    limit = max(1, min(limit, PAGE_LIMIT))
    pg = connection.vendor == "postgresql"
    visible = f" AND {_settled('c.xid')}" if pg else ""
    sql = (
        "SELECT c.xid, c.seq, c.op, c.at, r.id, r.handle, r.ip_version, r.prefix_len, r.range_start, "
        "r.holder_type, r.holder_name, r.holder_organisation_id, r.licence_id, "
        + (
            "CAST(EXTRACT(EPOCH FROM r.status_changed_at) AS bigint)"
            if pg
            else "CAST(unixepoch(r.status_changed_at) AS INTEGER)"
        )
        + f", r.status, r.kind FROM {LOG} c JOIN {TABLE} r ON r.id = c.registration_id "
        f"WHERE (c.xid > %s OR (c.xid = %s AND c.seq > %s)){visible} "
        "ORDER BY c.xid, c.seq LIMIT %s"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [since.xid, since.xid, since.seq, limit + 1])
        rows = cur.fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    licences = _licences()
    from cvas.lookup.index import FULL
    from cvas.lookup.selectors import View, answer

    view = View(mask=FULL, operator=True)
    items = []
    for xid, seq, op, at, *reg in rows:
        status, kind = reg[10], reg[11]
        active = status == "active" and kind == "prefix"
        if active:
            event = "created" if op == "I" else "changed"
        else:
            event = "ended" if status == "ended" else "not_active"
        when = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at))
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        item: dict[str, Any] = {
            "cursor": str(Position(int(xid), int(seq))),
            "handle": reg[1],
            "event": event,
            "status": status,
            "at": when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "registration": answer(record_from_row(tuple(reg)), view, licences) if active else None,
        }
        items.append(item)
    last = Position(int(rows[-1][0]), int(rows[-1][1])) if rows else since
    return {"since": str(since), "next": str(last), "more": more, "items": items}
