"""Bulk import of subscribers or endpoint registrations from CSV: streamed, checked, all-or-nothing.

How it runs, in one transaction:
1. The file is read as a stream (csv over a text stream, constant memory); every row is checked
   by the same field rules as a single record (cvas.registry.validation), and good rows go into a
   temporary staging table: through COPY on PostgreSQL, executemany in batches on SQLite.
2. Set-based checks against the staging table and the register: duplicate refs, unknown
   subscribers and parents, delegation inside its parent, mobile numbers already taken.
3. Set-based writes: INSERT … SELECT for new rows, UPDATE … FROM for changed ones (rows whose
   keyed content digest and status match are left alone: sending a file again changes nothing).
4. Overlaps: on PostgreSQL the deferred exclusion constraint is checked at the end; on SQLite
   (and to explain a refusal on PostgreSQL) the touched prefixes are probed, or for a large file
   all active prefixes are swept once in address order.
Any bad row anywhere rolls the whole transaction back, and the first 1,000 bad rows (line,
column, reason) and their total are kept on the import. A process killed part-way leaves the
database as it was, since nothing is committed before the end; its run, left "running", is found
and marked failed by `cvas tick` and when `cvas worker` starts (cvas.registry.liveness,
services.import_recover_interrupted).
"""

# SQL here is built only from this module's table-name constants; every value goes as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import heapq
import io
import logging
import time
from collections.abc import Callable, Iterator
from typing import IO, Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from cvas.audit.services import audit_record
from cvas.core import pii
from cvas.core.actors import Actor
from cvas.core.errors import DomainError
from cvas.core.timeutil import pk_today
from cvas.licensing.choices import LicenceStatus
from cvas.registry import liveness, overlap, validation
from cvas.registry.choices import (
    EndpointKind,
    EndpointStatus,
    HolderType,
    ImportKind,
    ImportStatus,
    RowAction,
    SubscriberStatus,
)
from cvas.registry.models import EndpointRegistration, ImportRun
from cvas.registry.validation import RowError

logger = logging.getLogger("cvas.registry.imports")

MAX_ERRORS = 1000
BATCH = 5000
PROBE_LIMIT = 2000  # touched prefixes up to which each is probed; beyond, one sweep of all
STAGE = "registry_import_stage"
ENDPOINTS = "registry_endpointregistration"
SUBSCRIBERS = "registry_subscriber"
EVENTS = "registry_endpointevent"

REQUIRED: dict[str, list[str]] = {
    ImportKind.ENDPOINTS: ["ref", "holder_name", "holder_type"],
    ImportKind.SUBSCRIBERS: ["ref", "subscriber_type", "category", "name", "start_date"],
}
ONE_OF: dict[str, tuple[str, str]] = {
    ImportKind.ENDPOINTS: ("prefix", "msisdn"),
    ImportKind.SUBSCRIBERS: ("cnic", "ntn"),
}


class Refused(Exception):
    """The file has bad rows: roll everything back."""


class Errors:
    """The first MAX_ERRORS bad rows by line (whichever check found them), and the total."""

    def __init__(self) -> None:
        self.heap: list[tuple[int, int, str, str]] = []  # (-line, -order, column, reason)
        self.count = 0

    def add(self, line: int, column: str, reason: str) -> None:
        self.count += 1
        item = (-line, -self.count, column, reason)
        if len(self.heap) < MAX_ERRORS:
            heapq.heappush(self.heap, item)
        elif item > self.heap[0]:
            heapq.heapreplace(self.heap, item)

    def sorted(self) -> list[dict[str, Any]]:
        return [
            {"line": -line, "column": column, "reason": reason}
            for line, _, column, reason in sorted(self.heap, reverse=True)
        ]


class HashingReader(io.RawIOBase):
    """Passes a binary stream through, keeping its SHA-256 and the bytes read so far."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.raw.read(len(buffer))
        if not chunk:
            return 0
        n = len(chunk)
        buffer[:n] = chunk
        self.sha.update(chunk)
        self.bytes += n
        return n


def _types() -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {"int": "integer", "big": "bigint", "text": "text", "blob": "bytea", "date": "date"}
    return {"int": "INTEGER", "big": "INTEGER", "text": "TEXT", "blob": "BLOB", "date": "TEXT"}


# The staging columns written while reading the file (the rest are filled in by SQL).
ENDPOINT_LOAD = [
    ("line", "int"),
    ("ref", "text"),
    ("action", "text"),
    ("kind", "text"),
    ("network", "text"),
    ("ip_version", "int"),
    ("prefix_len", "int"),
    ("range_start", "blob"),
    ("range_end", "blob"),
    ("msisdn_encrypted", "blob"),
    ("msisdn_hmac", "blob"),
    ("holder_type", "text"),
    ("holder_name", "text"),
    ("holder_name_encrypted", "blob"),
    ("subscriber_ref", "text"),
    ("delegated_from", "text"),
    ("handle", "text"),
    ("family", "text"),
    ("content_hash", "blob"),
]
ENDPOINT_FILLED = [
    ("existing_id", "big"),
    ("existing_status", "text"),
    ("subscriber_id", "big"),
    ("parent_line", "int"),
    ("parent_id", "big"),
]
SUBSCRIBER_LOAD = [
    ("line", "int"),
    ("ref", "text"),
    ("action", "text"),
    ("subscriber_type", "text"),
    ("category", "text"),
    ("name", "text"),
    ("name_encrypted", "blob"),
    ("name_hmac", "blob"),
    ("identity_kind", "text"),
    ("identity_encrypted", "blob"),
    ("identity_hmac", "blob"),
    ("start_date", "date"),
    ("end_date", "date"),
    ("status", "text"),
    ("regime_id", "big"),
    ("content_hash", "blob"),
]
SUBSCRIBER_FILLED = [
    ("existing_id", "big"),
    ("existing_status", "text"),
    ("existing_start", "date"),
]
PG_COPY_TYPES = {
    "int": "int4",
    "big": "int8",
    "text": "text",
    "blob": "bytea",
    "date": "date",
}


class Stage:
    """The temporary staging table and how rows get into it."""

    def __init__(self, load: list[tuple[str, str]], filled: list[tuple[str, str]]) -> None:
        self.load = load
        self.filled = filled
        self.pg = connection.vendor == "postgresql"
        types = _types()
        cols = ", ".join(f"{name} {types[kind]}" for name, kind in [*load, *filled])
        suffix = " ON COMMIT DROP" if self.pg else ""
        self.cursor = connection.cursor()
        self.cursor.execute(f"DROP TABLE IF EXISTS {'' if self.pg else 'temp.'}{STAGE}")
        self.cursor.execute(f"CREATE TEMP TABLE {STAGE} ({cols}){suffix}")
        self.buffer: list[tuple[Any, ...]] = []
        self.rows = 0
        self._copy: Any = None
        self._copy_cm: Any = None
        if self.pg:
            names = ", ".join(name for name, _ in load)
            self._copy_cm = self.cursor.cursor.copy(
                f"COPY {STAGE} ({names}) FROM STDIN (FORMAT BINARY)"
            )
            self._copy = self._copy_cm.__enter__()
            self._copy.set_types([PG_COPY_TYPES[kind] for _, kind in load])
        else:
            marks = ", ".join("%s" for _ in load)
            self.insert = f"INSERT INTO {STAGE} ({', '.join(n for n, _ in load)}) VALUES ({marks})"

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows += 1
        if self._copy is not None:
            self._copy.write_row(row)
            return
        self.buffer.append(row)
        if len(self.buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.cursor.executemany(self.insert, self.buffer)
            self.buffer.clear()

    def close_load(self) -> None:
        if self._copy_cm is not None:
            self._copy_cm.__exit__(None, None, None)
            self._copy_cm = self._copy = None
        self.flush()
        self.cursor.execute(f"CREATE INDEX {STAGE}_ref ON {STAGE} (ref)")
        self.cursor.execute(f"CREATE INDEX {STAGE}_line ON {STAGE} (line)")
        if self.pg:
            self.cursor.execute(f"ANALYZE {STAGE}")

    def drop(self) -> None:
        if not self.pg:
            self.cursor.execute(f"DROP TABLE IF EXISTS temp.{STAGE}")

    def execute(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> int:
        self.cursor.execute(sql, params)
        return int(self.cursor.rowcount or 0)

    def fetch(
        self, sql: str, params: list[Any] | tuple[Any, ...] = ()
    ) -> Iterator[tuple[Any, ...]]:
        self.cursor.execute(sql, params)
        while True:
            rows = self.cursor.fetchmany(1000)
            if not rows:
                return
            yield from rows


class NotUtf8(ValueError):
    def __init__(self, line: int) -> None:
        super().__init__(f"line {line} is not UTF-8")
        self.line = line


def utf8_lines(binary: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, decoded one by one (so a bad byte is reported on its own line),
    without a leading byte-order mark; line ends are kept for the csv module (LF or CRLF)."""
    for number, raw in enumerate(binary, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise NotUtf8(number) from None
        yield text.removeprefix("\ufeff") if number == 1 else text


def read_rows(
    text: Iterator[str], kind: str, errors: Errors, progress: Callable[[int], None] | None
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by column name) for every record; header problems are errors on line 1."""
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        errors.add(1, "-", "the file is empty: a header line is required")
        return
    except NotUtf8 as exc:
        errors.add(exc.line, "-", "not UTF-8 text")
        return
    except csv.Error as exc:
        errors.add(1, "-", f"unreadable header: {_why(exc)}")
        return
    columns = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED[kind] if c not in columns]
    options = ONE_OF[kind]
    if not any(o in columns for o in options):
        missing.append(" or ".join(options))
    dupes = sorted({c for c in columns if c and columns.count(c) > 1})
    if missing:
        errors.add(1, "-", f"missing column(s): {', '.join(missing)}")
    if dupes:
        errors.add(1, "-", f"column(s) named twice: {', '.join(dupes)}")
    if missing or dupes:
        return
    width = len(columns)
    last = reader.line_num
    count = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except NotUtf8 as exc:
            errors.add(exc.line, "-", "not UTF-8 text")
            return
        except csv.Error as exc:
            errors.add(last + 1, "-", _why(exc))
            return
        line = last + 1
        last = reader.line_num
        count += 1
        if progress is not None and count % 10_000 == 0:
            progress(count)
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if len(record) != width:
            errors.add(line, "-", f"{len(record)} fields where the header has {width}")
            continue
        yield line, dict(zip(columns, record, strict=True))


def _why(exc: Exception) -> str:
    return f"not valid CSV ({exc})"


def execute(*, run: ImportRun, stream: IO[bytes], progress: Any = None) -> ImportRun:
    """Run an import; the outcome is saved on `run` (succeeded, refused or failed). While it
    runs, the run names this process (and on PostgreSQL holds its lock), so that if the process
    is killed the run can be found interrupted (cvas.registry.liveness). The row errors and the
    message are kept for whoever reads the run later, so they are written in English whatever
    language the caller's request was in (the field rules' reasons are translatable)."""
    liveness.claim(run)
    try:
        run.status = ImportStatus.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at", "host", "pid", "process_start"])
        with translation.override("en"):
            return _execute(run, stream, progress)
    finally:
        liveness.release(run)


def _execute(run: ImportRun, stream: IO[bytes], progress: Any) -> ImportRun:
    errors = Errors()
    hashing = HashingReader(stream)
    text = utf8_lines(io.BufferedReader(hashing, buffer_size=1 << 16))
    job = EndpointJob if run.kind == ImportKind.ENDPOINTS else SubscriberJob
    status = ImportStatus.FAILED
    message = ""
    try:
        with transaction.atomic():
            worker = job(run=run, errors=errors)
            tick = (lambda rows: progress(rows, hashing.bytes)) if progress is not None else None
            clock = time.perf_counter()
            worker.load(read_rows(text, run.kind, errors, tick))
            # Read what remains (after a refused header) so that the checksum covers the file.
            while hashing.read(1 << 20):
                pass
            run.sha256 = hashing.sha.hexdigest()
            run.size = hashing.bytes
            phases = {"read": time.perf_counter() - clock}
            worker.check()
            phases["check"] = time.perf_counter() - clock - sum(phases.values())
            if errors.count:
                raise Refused
            worker.apply()
            phases["apply"] = time.perf_counter() - clock - sum(phases.values())
            logger.info(
                "import %s: %s rows; %s",
                run.pk,
                run.rows,
                ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()),
            )
            if errors.count:
                raise Refused
            worker.stage.drop()
            previous = (
                ImportRun.objects.filter(
                    licence_id=run.licence_id,
                    kind=run.kind,
                    sha256=run.sha256,
                    status=ImportStatus.SUCCEEDED,
                )
                .exclude(pk=run.pk)
                .order_by("-finished_at")
                .first()
            )
            run.same_as = previous
            changed = run.created + run.updated + run.ended
            if changed == 0:
                message = "Nothing changed: every row already matches the register" + (
                    f" (the same file as import #{previous.pk})." if previous else "."
                )
            else:
                message = (
                    f"{run.rows:,} rows: {run.created:,} created, {run.updated:,} updated, "
                    f"{run.ended:,} ended, {run.unchanged:,} unchanged."
                )
            actor = Actor(
                label=run.actor_label,
                user=run.requested_by,
                via=run.via or "command",
            )
            audit_record(
                actor=actor,
                action=f"import.{run.kind}",
                obj=run,
                after={
                    "licence": run.licence_id,
                    "kind": run.kind,
                    "file_sha256": run.sha256,
                    "bytes": run.size,
                    "replace": run.replace,
                    "rows": run.rows,
                    "created": run.created,
                    "updated": run.updated,
                    "ended": run.ended,
                    "unchanged": run.unchanged,
                    "same_as": previous.pk if previous else None,
                },
            )
            status = ImportStatus.SUCCEEDED
    except Refused:
        status = ImportStatus.REFUSED
        message = (
            f"Refused: {errors.count:,} bad row(s); nothing was changed. "
            + (f"The first {MAX_ERRORS:,} are listed." if errors.count > MAX_ERRORS else "")
        ).strip()
        run.created = run.updated = run.ended = run.unchanged = 0
    except DomainError as exc:
        status = ImportStatus.REFUSED
        message = f"Refused: {exc.message} Nothing was changed."
        run.created = run.updated = run.ended = run.unchanged = 0
    except Exception:
        logger.exception("import %s failed", run.pk)
        status = ImportStatus.FAILED
        message = "The import failed on our side and was rolled back; nothing was changed."
        run.created = run.updated = run.ended = run.unchanged = 0
    run.status = status
    run.message = message
    run.errors = errors.sorted()
    run.error_count = errors.count
    run.finished_at = timezone.now()
    if status != ImportStatus.SUCCEEDED:
        run.same_as = None
    run.save()
    return run


class Job:
    load_columns: list[tuple[str, str]]
    filled_columns: list[tuple[str, str]]

    def __init__(self, *, run: ImportRun, errors: Errors) -> None:
        self.run = run
        self.errors = errors
        self.licence = run.licence
        self.today = pk_today()
        self.now = timezone.now()
        self.db_now = connection.ops.adapt_datetimefield_value(self.now)
        self.stage = Stage(self.load_columns, self.filled_columns)

    def load(self, rows: Iterator[tuple[int, dict[str, str]]]) -> None:
        count = 0
        for line, row in rows:
            count += 1
            try:
                values = self.row(line, row)
            except RowError as exc:
                self.errors.add(line, exc.field, exc.reason)
                continue
            self.stage.add(values)
        self.run.rows = count
        self.stage.close_load()

    def row(self, line: int, row: dict[str, str]) -> tuple[Any, ...]:
        raise NotImplementedError

    def check(self) -> None:
        raise NotImplementedError

    def apply(self) -> None:
        raise NotImplementedError

    def _licence_open(self) -> None:
        if self.licence.status != LicenceStatus.ACTIVE:
            upserts = next(
                self.stage.fetch(f"SELECT COUNT(*) FROM {STAGE} WHERE action = 'upsert'")
            )[0]
            if upserts:
                from cvas.core.errors import Conflict

                raise Conflict(
                    f"Licence {self.licence.display_number} is "
                    f"{self.licence.get_status_display().lower()}: it may only end records.",
                    code="licence_not_active",
                )

    def duplicates(self, column: str = "ref") -> None:
        for line, ref, first in self.stage.fetch(
            f"SELECT s.line, s.ref, d.first FROM {STAGE} s JOIN "
            f"(SELECT ref, MIN(line) AS first FROM {STAGE} GROUP BY ref HAVING COUNT(*) > 1) d "
            "ON d.ref = s.ref WHERE s.line > d.first ORDER BY s.line"
        ):
            self.errors.add(line, column, f"ref {ref} is also on line {first}")

    def date(self, value: dt.date | None) -> Any:
        return connection.ops.adapt_datefield_value(value)


class EndpointJob(Job):
    load_columns = ENDPOINT_LOAD
    filled_columns = ENDPOINT_FILLED

    def row(self, line: int, row: dict[str, str]) -> tuple[Any, ...]:
        d = validation.clean_endpoint(row)
        if d.action == RowAction.END:
            return (line, d.ref, d.action, *([None] * 16))
        name, name_cipher = (
            ("", pii.encrypt(d.holder_name, purpose=validation.P_NAME))
            if d.holder_type == HolderType.INDIVIDUAL
            else (d.holder_name, None)
        )
        msisdn_cipher = msisdn_hmac = None
        if d.msisdn is not None:
            msisdn_cipher = pii.encrypt(d.msisdn, purpose=validation.P_MSISDN)
            msisdn_hmac = validation.msisdn_hash(d.msisdn)
        handle = validation.new_handle()
        return (
            line,
            d.ref,
            d.action,
            d.kind,
            d.network,
            d.ip_version,
            d.prefix_len,
            d.range_start,
            d.range_end,
            msisdn_cipher,
            msisdn_hmac,
            d.holder_type,
            name,
            name_cipher,
            d.subscriber_ref,
            d.delegated_from,
            handle,
            handle if d.delegated_from is None else None,
            d.content_hash(),
        )

    def check(self) -> None:
        s, lic = self.stage, self.licence.pk
        self._licence_open()
        self.duplicates()
        # What the register already holds under each ref; an existing row keeps its handle.
        s.execute(
            f"UPDATE {STAGE} SET existing_id = r.id, existing_status = r.status, handle = r.handle, "
            f"family = CASE WHEN {STAGE}.delegated_from IS NULL THEN r.handle ELSE NULL END "
            f"FROM {ENDPOINTS} r WHERE r.licence_id = %s AND r.ref = {STAGE}.ref",
            [lic],
        )
        for line, ref in s.fetch(
            f"SELECT line, ref FROM {STAGE} WHERE action = 'end' AND existing_id IS NULL"
        ):
            self.errors.add(line, "ref", f"no registration {ref} of this licence to end")
        s.execute(
            f"UPDATE {STAGE} SET subscriber_id = x.id FROM {SUBSCRIBERS} x "
            f"WHERE x.licence_id = %s AND x.ref = {STAGE}.subscriber_ref",
            [lic],
        )
        for line, ref in s.fetch(
            f"SELECT line, subscriber_ref FROM {STAGE} WHERE subscriber_ref IS NOT NULL "
            "AND subscriber_id IS NULL ORDER BY line"
        ):
            self.errors.add(line, "subscriber_ref", f"no subscriber {ref} of this licence")
        self._delegations()
        self._children_stay_inside()
        self._numbers()

    def _delegations(self) -> None:
        s, lic = self.stage, self.licence.pk
        if not next(s.fetch(f"SELECT COUNT(*) FROM {STAGE} WHERE delegated_from IS NOT NULL"))[0]:
            return
        s.execute(
            f"UPDATE {STAGE} SET parent_line = p.line FROM {STAGE} p "
            f"WHERE {STAGE}.delegated_from IS NOT NULL AND p.ref = {STAGE}.delegated_from"
        )
        s.execute(
            f"UPDATE {STAGE} SET parent_id = r.id, family = r.family FROM {ENDPOINTS} r "
            f"WHERE {STAGE}.delegated_from IS NOT NULL AND {STAGE}.parent_line IS NULL "
            f"AND r.licence_id = %s AND r.ref = {STAGE}.delegated_from",
            [lic],
        )
        s.execute(
            f"UPDATE {STAGE} SET parent_id = r.id, family = r.family FROM {ENDPOINTS} r "
            f"WHERE {STAGE}.delegated_from LIKE 'EP-%%' AND {STAGE}.parent_id IS NULL "
            f"AND {STAGE}.parent_line IS NULL AND r.handle = {STAGE}.delegated_from"
        )
        for line, parent in s.fetch(
            f"SELECT line, delegated_from FROM {STAGE} WHERE delegated_from IS NOT NULL "
            "AND parent_line IS NULL AND parent_id IS NULL ORDER BY line"
        ):
            self.errors.add(line, "delegated_from", f"no registration {parent}")
        # A parent already registered must be an active prefix containing the child, and stay so.
        for line, network, parent, pnet, ok_kind, ok_status, inside, licence_id in s.fetch(
            f"SELECT c.line, c.network, r.handle, r.network, r.kind = 'prefix', "
            "r.status = 'active', (c.ip_version = r.ip_version AND c.range_start >= r.range_start "
            f"AND c.range_end <= r.range_end), r.licence_id FROM {STAGE} c "
            f"JOIN {ENDPOINTS} r ON r.id = c.parent_id ORDER BY c.line"
        ):
            if not ok_kind or not ok_status:
                self.errors.add(line, "delegated_from", f"{parent} is not an active prefix")
            elif not inside:
                self.errors.add(
                    line, "delegated_from", f"{network} is not inside {pnet} ({parent})"
                )
            elif self.run.replace and licence_id == lic:
                self.errors.add(
                    line,
                    "delegated_from",
                    f"{parent} is not named in this file, so --replace would end it",
                )
        for line, network, pref, pnet, ok in s.fetch(
            f"SELECT c.line, c.network, p.ref, p.network, (p.kind = 'prefix' AND "
            "p.action = 'upsert' AND c.ip_version = p.ip_version AND "
            "c.range_start >= p.range_start AND c.range_end <= p.range_end) "
            f"FROM {STAGE} c JOIN {STAGE} p ON p.line = c.parent_line ORDER BY c.line"
        ):
            if not ok:
                self.errors.add(
                    line,
                    "delegated_from",
                    f"{network} is not inside {pnet or 'an ended or non-prefix row'} ({pref})",
                )
        # Families flow down chains of in-file delegations.
        for _ in range(64):
            if not s.execute(
                f"UPDATE {STAGE} SET family = p.family FROM {STAGE} p "
                f"WHERE {STAGE}.parent_line = p.line AND {STAGE}.family IS NULL "
                "AND p.family IS NOT NULL"
            ):
                break
        for (line,) in s.fetch(
            f"SELECT line FROM {STAGE} WHERE action = 'upsert' AND family IS NULL "
            "AND parent_line IS NOT NULL ORDER BY line"
        ):
            self.errors.add(line, "delegated_from", "a circular chain of delegations")

    def _children_stay_inside(self) -> None:
        """A registration that moves must still contain the active ones delegated from it."""
        for line, handle, network in self.stage.fetch(
            f"SELECT x.line, c.handle, c.network FROM {STAGE} x JOIN {ENDPOINTS} c "
            "ON c.delegated_from_id = x.existing_id AND c.status = 'active' "
            "WHERE x.action = 'upsert' AND NOT (c.ip_version = x.ip_version AND "
            "c.range_start >= x.range_start AND c.range_end <= x.range_end) AND NOT EXISTS "
            f"(SELECT 1 FROM {STAGE} y WHERE y.ref = c.ref AND c.licence_id = %s) ORDER BY x.line",
            [self.licence.pk],
        ):
            self.errors.add(
                line, "prefix", f"{network} ({handle}) is delegated from it and would be outside"
            )

    def _numbers(self) -> None:
        s, lic = self.stage, self.licence.pk
        if not next(s.fetch(f"SELECT COUNT(*) FROM {STAGE} WHERE kind = 'msisdn'"))[0]:
            return
        for line, first in s.fetch(
            f"SELECT s.line, d.first FROM {STAGE} s JOIN (SELECT msisdn_hmac, MIN(line) AS first "
            f"FROM {STAGE} WHERE kind = 'msisdn' AND action = 'upsert' GROUP BY msisdn_hmac "
            "HAVING COUNT(*) > 1) d ON d.msisdn_hmac = s.msisdn_hmac "
            "WHERE s.kind = 'msisdn' AND s.line > d.first ORDER BY s.line"
        ):
            self.errors.add(line, "msisdn", f"the same number is on line {first}")
        for line, handle, holder_type, holder in s.fetch(
            f"SELECT c.line, r.handle, r.holder_type, r.holder_name FROM {STAGE} c "
            f"JOIN {ENDPOINTS} r ON r.msisdn_hmac = c.msisdn_hmac AND r.status = 'active' "
            "AND r.kind = 'msisdn' WHERE c.kind = 'msisdn' AND c.action = 'upsert' "
            "AND (c.existing_id IS NULL OR r.id <> c.existing_id) "
            "AND NOT (r.licence_id IS NOT NULL AND r.licence_id = %s AND "
            f"(%s OR EXISTS (SELECT 1 FROM {STAGE} e WHERE e.ref = r.ref))) ORDER BY c.line",
            [lic, self.run.replace],
        ):
            held = (
                f", held by {holder}" if holder_type == HolderType.ORGANISATION and holder else ""
            )
            self.errors.add(
                line, "msisdn", f"this mobile number is already registered as {handle}{held}"
            )

    def apply(self) -> None:
        s, run, lic = self.stage, self.run, self.licence
        pg = connection.vendor == "postgresql"
        if pg:
            s.execute("SET CONSTRAINTS endpoint_no_overlap DEFERRED")
        now, label = self.db_now, run.actor_label[:255]
        event = (
            f"INSERT INTO {EVENTS} (registration_id, from_status, to_status, at, actor_label, "
            "reason, import_run_id) "
        )
        s.execute(
            event + f"SELECT existing_id, existing_status, 'active', %s, %s, %s, %s FROM {STAGE} "
            "WHERE action = 'upsert' AND existing_id IS NOT NULL AND existing_status <> 'active'",
            [now, label, f"import #{run.pk}", run.pk],
        )
        s.execute(
            event + f"SELECT existing_id, existing_status, 'ended', %s, %s, %s, %s FROM {STAGE} "
            "WHERE action = 'end' AND existing_status IN ('active', 'pending')",
            [now, label, f"import #{run.pk}", run.pk],
        )
        ended = 0
        if run.replace:
            s.execute(
                event + f"SELECT r.id, r.status, 'ended', %s, %s, %s, %s FROM {ENDPOINTS} r "
                "WHERE r.licence_id = %s AND r.status IN ('active', 'pending') AND "
                f"NOT EXISTS (SELECT 1 FROM {STAGE} x WHERE x.ref = r.ref)",
                [now, label, f"import #{run.pk} (--replace)", run.pk, lic.pk],
            )
            ended += s.execute(
                f"UPDATE {ENDPOINTS} SET status = 'ended', status_changed_at = %s, "
                "updated_at = %s, last_import_id = %s WHERE licence_id = %s AND "
                "status IN ('active', 'pending') AND "
                f"NOT EXISTS (SELECT 1 FROM {STAGE} x WHERE x.ref = {ENDPOINTS}.ref)",
                [now, now, run.pk, lic.pk],
            )
        by_rows = s.execute(
            f"UPDATE {ENDPOINTS} SET status = 'ended', status_changed_at = %s, updated_at = %s, "
            f"last_import_id = %s FROM {STAGE} x WHERE {ENDPOINTS}.id = x.existing_id "
            f"AND x.action = 'end' AND {ENDPOINTS}.status IN ('active', 'pending')",
            [now, now, run.pk],
        )
        updated = s.execute(
            f"UPDATE {ENDPOINTS} SET kind = x.kind, network = x.network, "
            "ip_version = x.ip_version, prefix_len = x.prefix_len, range_start = x.range_start, "
            "range_end = x.range_end, msisdn_encrypted = x.msisdn_encrypted, "
            "msisdn_hmac = x.msisdn_hmac, holder_type = x.holder_type, "
            "holder_name = x.holder_name, holder_name_encrypted = x.holder_name_encrypted, "
            "subscriber_id = x.subscriber_id, delegated_from_id = x.parent_id, "
            "family = x.family, content_hash = x.content_hash, "
            f"status_changed_at = CASE WHEN {ENDPOINTS}.status = 'active' "
            f"THEN {ENDPOINTS}.status_changed_at ELSE %s END, status = 'active', "
            f"updated_at = %s, last_import_id = %s FROM {STAGE} x "
            f"WHERE {ENDPOINTS}.id = x.existing_id AND x.action = 'upsert' AND "
            f"({ENDPOINTS}.content_hash <> x.content_hash OR {ENDPOINTS}.status <> 'active')",
            [now, now, run.pk],
        )
        created = s.execute(
            f"INSERT INTO {ENDPOINTS} (handle, kind, source, licence_id, registrant_id, ref, "
            "holder_type, holder_name, holder_name_encrypted, subscriber_id, network, "
            "ip_version, prefix_len, range_start, range_end, msisdn_encrypted, msisdn_hmac, "
            "delegated_from_id, family, status, status_changed_at, content_hash, "
            "last_import_id, created_by_label, is_demo, created_at, updated_at) "
            "SELECT handle, kind, 'licensee', %s, %s, ref, holder_type, holder_name, "
            "holder_name_encrypted, subscriber_id, network, ip_version, prefix_len, "
            "range_start, range_end, msisdn_encrypted, msisdn_hmac, parent_id, family, "
            "'active', %s, content_hash, %s, %s, %s, %s, %s "
            f"FROM {STAGE} WHERE existing_id IS NULL AND action = 'upsert'"
            # In the order of the random handles: the GiST index of the overlap constraint is
            # built markedly faster from scattered than from address-ordered input.
            + (" ORDER BY handle" if pg else ""),
            [lic.pk, lic.holder_id, now, run.pk, label, lic.is_demo, now, now],
        )
        if next(s.fetch(f"SELECT COUNT(*) FROM {STAGE} WHERE parent_line IS NOT NULL"))[0]:
            s.execute(
                f"UPDATE {ENDPOINTS} SET delegated_from_id = p.id FROM {STAGE} c "
                f"JOIN {ENDPOINTS} p ON p.licence_id = %s AND p.ref = c.delegated_from "
                f"WHERE {ENDPOINTS}.licence_id = %s AND {ENDPOINTS}.ref = c.ref "
                "AND c.parent_line IS NOT NULL",
                [lic.pk, lic.pk],
            )
        run.created, run.updated, run.ended = created, updated, ended + by_rows
        run.unchanged = max(0, run.rows - created - updated - by_rows)
        touched = created + updated
        if pg:
            try:
                with transaction.atomic():
                    s.execute("SET CONSTRAINTS endpoint_no_overlap IMMEDIATE")
            except IntegrityError:
                self._explain_overlaps(touched, certain=True)
        elif touched:
            self._explain_overlaps(touched, certain=False)

    def _explain_overlaps(self, touched: int, *, certain: bool) -> None:
        """Name every touched row that overlaps another family's active prefix."""
        s, run = self.stage, self.run
        before = self.errors.count
        if touched <= PROBE_LIMIT:
            rows = list(
                s.fetch(
                    f"SELECT x.line, r.id, r.ip_version, r.prefix_len, r.range_start, "
                    f"r.range_end, r.family, r.network FROM {STAGE} x JOIN {ENDPOINTS} r "
                    "ON r.licence_id = %s AND r.ref = x.ref WHERE x.action = 'upsert' "
                    "AND x.kind = 'prefix' AND r.last_import_id = %s ORDER BY x.line",
                    [self.licence.pk, run.pk],
                )
            )
            for line, pk, version, length, start, end, family, network in rows:
                other = overlap.conflicting(
                    version=version,
                    length=length,
                    start=bytes(start),
                    end=bytes(end),
                    family=family,
                    exclude_pk=pk,
                )
                if other is not None:
                    self._overlap_error(line, network, other)
        else:
            for clash in overlap.sweep(overlap.active_spans()):
                self._clash(clash)
                if self.errors.count - before > MAX_ERRORS * 10:
                    break
        if certain and self.errors.count == before:
            self.errors.add(0, "prefix", "overlapping prefixes (refused by the database)")

    def _line_of(self, pk: int) -> tuple[int, str] | None:
        for line, ref in self.stage.fetch(
            f"SELECT x.line, x.ref FROM {STAGE} x JOIN {ENDPOINTS} r ON r.licence_id = %s "
            "AND r.ref = x.ref WHERE r.id = %s AND r.last_import_id = %s",
            [self.licence.pk, pk, self.run.pk],
        ):
            return int(line), str(ref)
        return None

    def _clash(self, clash: overlap.Clash) -> None:
        inner, outer = self._line_of(clash.inner.key), self._line_of(clash.outer.key)
        if inner is not None:
            line, mine, theirs, their_line = inner[0], clash.inner.key, clash.outer.key, outer
        elif outer is not None:
            line, mine, theirs, their_line = outer[0], clash.outer.key, clash.inner.key, None
        else:
            return
        reg = EndpointRegistration.objects.get(pk=mine)
        other = EndpointRegistration.objects.get(pk=theirs)
        if their_line is not None:
            self.errors.add(
                line,
                "prefix",
                f"{reg.network} overlaps {other.network} on line {their_line[0]} "
                f"(ref {their_line[1]}); a prefix may overlap only the one it is delegated from "
                "(delegated_from)",
            )
        else:
            self._overlap_error(line, reg.network, other)

    def _overlap_error(self, line: int, network: str | None, other: EndpointRegistration) -> None:
        at = self._line_of(other.pk) if other.licence_id == self.licence.pk else None
        if at is not None:
            self.errors.add(
                line,
                "prefix",
                f"{network} overlaps {other.network} on line {at[0]} (ref {at[1]}); a prefix may "
                "overlap only the one it is delegated from (delegated_from)",
            )
            return
        held = (
            f", held by {other.holder_name}"
            if other.holder_type == HolderType.ORGANISATION and other.holder_name
            else ""
        )
        self.errors.add(
            line,
            "prefix",
            f"{network} overlaps {other.network}, registration {other.handle}{held}; a prefix "
            "may overlap only the one it is delegated from (delegated_from)",
        )


class SubscriberJob(Job):
    load_columns = SUBSCRIBER_LOAD
    filled_columns = SUBSCRIBER_FILLED

    def __init__(self, *, run: ImportRun, errors: Errors) -> None:
        self.regimes = validation.Regimes()  # before the COPY begins: no query may run during it
        super().__init__(run=run, errors=errors)

    def row(self, line: int, row: dict[str, str]) -> tuple[Any, ...]:
        d = validation.clean_subscriber(row, self.regimes)
        if d.action == RowAction.END:
            return (line, d.ref, d.action, *([None] * 9), self.date(d.end_date), None, None, None)
        individual = d.subscriber_type == HolderType.INDIVIDUAL
        status = (
            SubscriberStatus.ENDED
            if d.end_date is not None and d.end_date <= self.today
            else SubscriberStatus.ACTIVE
        )
        return (
            line,
            d.ref,
            d.action,
            d.subscriber_type,
            d.category,
            "" if individual else d.name,
            pii.encrypt(d.name, purpose=validation.P_NAME) if individual else None,
            validation.name_hash(d.name) if individual else None,
            d.identity_kind,
            pii.encrypt(d.identity, purpose=validation.identity_purpose(d.identity_kind)),
            validation.identity_hash(d.identity_kind, d.identity),
            self.date(d.start_date),
            self.date(d.end_date),
            status,
            d.regime_id,
            d.content_hash(),
        )

    def check(self) -> None:
        s = self.stage
        self._licence_open()
        self.duplicates()
        s.execute(
            f"UPDATE {STAGE} SET existing_id = r.id, existing_status = r.status, "
            f"existing_start = r.start_date FROM {SUBSCRIBERS} r "
            f"WHERE r.licence_id = %s AND r.ref = {STAGE}.ref",
            [self.licence.pk],
        )
        for line, ref in s.fetch(
            f"SELECT line, ref FROM {STAGE} WHERE action = 'end' AND existing_id IS NULL"
        ):
            self.errors.add(line, "ref", f"no subscriber {ref} of this licence to end")
        today = self.date(self.today)
        s.execute(
            f"UPDATE {STAGE} SET end_date = %s WHERE action = 'end' AND end_date IS NULL", [today]
        )
        for (line,) in s.fetch(
            f"SELECT line FROM {STAGE} WHERE action = 'end' AND end_date < existing_start"
        ):
            self.errors.add(line, "end_date", "before the subscriber's start date")

    def apply(self) -> None:
        s, run, lic = self.stage, self.run, self.licence
        now, today = self.db_now, self.date(self.today)
        ended = 0
        if run.replace:
            ended += s.execute(
                f"UPDATE {SUBSCRIBERS} SET status = 'ended', end_date = %s, updated_at = %s, "
                "last_import_id = %s WHERE licence_id = %s AND status = 'active' AND "
                f"NOT EXISTS (SELECT 1 FROM {STAGE} x WHERE x.ref = {SUBSCRIBERS}.ref)",
                [today, now, run.pk, lic.pk],
            )
        by_rows = s.execute(
            f"UPDATE {SUBSCRIBERS} SET end_date = x.end_date, status = CASE WHEN x.end_date <= %s "
            f"THEN 'ended' ELSE 'active' END, updated_at = %s, last_import_id = %s FROM {STAGE} x "
            f"WHERE {SUBSCRIBERS}.id = x.existing_id AND x.action = 'end' AND "
            f"({SUBSCRIBERS}.status = 'active' AND ({SUBSCRIBERS}.end_date IS NULL OR "
            f"{SUBSCRIBERS}.end_date <> x.end_date))",
            [today, now, run.pk],
        )
        updated = s.execute(
            f"UPDATE {SUBSCRIBERS} SET subscriber_type = x.subscriber_type, "
            "category = x.category, name = x.name, name_encrypted = x.name_encrypted, "
            "name_hmac = x.name_hmac, identity_kind = x.identity_kind, "
            "identity_encrypted = x.identity_encrypted, identity_hmac = x.identity_hmac, "
            "start_date = x.start_date, end_date = x.end_date, status = x.status, "
            "regime_id = x.regime_id, content_hash = x.content_hash, updated_at = %s, "
            f"last_import_id = %s FROM {STAGE} x WHERE {SUBSCRIBERS}.id = x.existing_id "
            f"AND x.action = 'upsert' AND ({SUBSCRIBERS}.content_hash <> x.content_hash "
            f"OR {SUBSCRIBERS}.status <> x.status)",
            [now, run.pk],
        )
        created = s.execute(
            f"INSERT INTO {SUBSCRIBERS} (licence_id, ref, subscriber_type, category, name, "
            "name_encrypted, name_hmac, identity_kind, identity_encrypted, identity_hmac, "
            "start_date, end_date, status, regime_id, content_hash, last_import_id, is_demo, "
            "created_at, updated_at) SELECT %s, ref, subscriber_type, category, name, "
            "name_encrypted, name_hmac, identity_kind, identity_encrypted, identity_hmac, "
            "start_date, end_date, status, regime_id, content_hash, %s, %s, %s, %s "
            f"FROM {STAGE} WHERE existing_id IS NULL AND action = 'upsert'",
            [lic.pk, run.pk, lic.is_demo, now, now],
        )
        run.created, run.updated, run.ended = created, updated, ended + by_rows
        run.unchanged = max(0, run.rows - created - updated - by_rows)


__all__ = ["EndpointKind", "EndpointStatus", "execute"]
