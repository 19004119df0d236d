"""Reading the registry for the index: every active prefix (streamed into columns), the current
state of given registrations, and the change log since a poll position.

A poll position is (the highest sequence number seen, the transactions that were still running
when it was read). Sequence numbers are taken in time order, so a change we have not seen either
has a higher number or was written by one of those transactions (PostgreSQL; on SQLite writers
are serialised and the number alone suffices). Asking for `seq > max OR xid IN (running)` in the
same snapshot that yields the next position therefore never misses a change, however late its
transaction commits, and needs no waiting for older transactions to finish.
"""

# SQL here is built from this module's constants only; every value goes as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from cvas.lookup.index import INDIVIDUAL, Columns, ColumnsBuilder, Holder, Record

TABLE = "registry_endpointregistration"
LOG = "lookup_registrationchange"


@dataclass(frozen=True)
class PollState:
    max_seq: int = 0
    running: tuple[int, ...] = ()  # PostgreSQL transaction ids in progress at that snapshot


def _since_sql() -> str:
    if connection.vendor == "postgresql":
        return "CAST(EXTRACT(EPOCH FROM status_changed_at) AS bigint)"
    return "CAST(unixepoch(status_changed_at) AS INTEGER)"


def _select() -> str:
    return (
        "SELECT id, handle, ip_version, prefix_len, range_start, holder_type, holder_name, "
        f"holder_organisation_id, licence_id, {_since_sql()}, status, kind FROM {TABLE}"
    )


def _holder(holder_type: str, name: str, org: int | None) -> Holder:
    if holder_type == "organisation":
        return Holder("organisation", name or "", org)
    return INDIVIDUAL


def record_from_row(row: tuple) -> Record:  # type: ignore[type-arg]
    reg_id, handle, version, plen, start, holder_type, name, org, licence, since = row[:10]
    return Record(
        registration_id=int(reg_id),
        handle=str(handle),
        version=int(version),
        network=int.from_bytes(bytes(start), "big"),
        prefix_len=int(plen),
        holder=_holder(holder_type, name, org),
        licence_id=None if licence is None else int(licence),
        since=int(since or 0),
    )


def stream_active(batch: int = 20_000) -> Iterator[tuple]:  # type: ignore[type-arg]
    """Every active prefix registration's row, streamed (a server-side cursor on PostgreSQL)."""
    sql = f"{_select()} WHERE status = 'active' AND kind = 'prefix'"
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql)
            while rows := cursor.fetchmany(batch):
                yield from rows
        return
    # A server-side cursor lives in a transaction (read-only here: it takes no lock).
    with transaction.atomic():
        cursor = connection.connection.cursor(name="cvas_lookup_load")  # type: ignore[union-attr]
        cursor.itersize = batch
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            cursor.close()


def load_columns() -> Columns:
    """Every active prefix registration, as index columns."""
    b = ColumnsBuilder()
    holder_ix = b.holder_index
    add = b.add_raw
    for (
        reg_id,
        handle,
        version,
        plen,
        start,
        holder_type,
        name,
        org,
        licence,
        since,
        *_,
    ) in stream_active():
        holder = (
            0
            if holder_type != "organisation"
            else holder_ix(Holder("organisation", name or "", org))
        )
        add(
            int(reg_id),
            int(version),
            int(plen),
            int.from_bytes(bytes(start), "big"),
            holder,
            -1 if licence is None else int(licence),
            int(since or 0),
            handle.encode(),
        )
    return b.build()


def current_records(ids: Iterable[int]) -> dict[int, Record | None]:
    """The state of these registrations now: a record if active, None otherwise."""
    wanted = sorted(set(ids))
    out: dict[int, Record | None] = dict.fromkeys(wanted)
    with connection.cursor() as cur:
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(f"{_select()} WHERE id IN ({marks})", chunk)
            for row in cur.fetchall():
                if row[10] == "active" and row[11] == "prefix":
                    out[int(row[0])] = record_from_row(row)
    return out


def poll_state_now() -> PollState:
    """Where the change log stands now (read before the registrations it will be applied to)."""
    state, _ = changes_since(None)
    return state


def changes_since(state: PollState | None) -> tuple[PollState, list[int]]:
    """The registrations changed since `state` (None: only the new position), and the position
    that covers them, from one snapshot."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            running = list(state.running) if state else []
            after = state.max_seq if state else None
            cur.execute(
                "WITH snap AS (SELECT pg_current_snapshot() AS s) "
                "SELECT (SELECT COALESCE(array_agg(x::text::bigint), '{}') "
                "        FROM snap, pg_snapshot_xip(snap.s) x), "
                f"       (SELECT COALESCE(MAX(seq), 0) FROM {LOG}), "
                f"       (SELECT COALESCE(array_agg(registration_id), '{{}}') FROM {LOG} "
                "         WHERE %s::bigint IS NOT NULL AND (seq > %s OR xid = ANY(%s::bigint[])))",
                [after, after, running],
            )
            xip, max_seq, ids = cur.fetchone()
            top = max(int(max_seq), state.max_seq if state else 0)
            new = PollState(max_seq=top, running=tuple(sorted(int(x) for x in xip)))
            return new, [int(i) for i in ids]
        if state is None:
            cur.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {LOG}")
            return PollState(max_seq=int(cur.fetchone()[0])), []
        cur.execute(
            f"SELECT seq, registration_id FROM {LOG} WHERE seq > %s ORDER BY seq", [state.max_seq]
        )
        rows = cur.fetchall()
    if not rows:
        return state, []
    return PollState(max_seq=int(rows[-1][0])), [int(r[1]) for r in rows]


def log_floor_seq() -> int:
    """The lowest sequence number still in the change log (0 when it is empty)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MIN(seq), 0) FROM {LOG}")
        return int(cur.fetchone()[0])


def to_datetime(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
